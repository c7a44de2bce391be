package dev.tune4j.bench;

import dev.tune4j.autograd.Var;
import dev.tune4j.autograd.ops.*;
import dev.tune4j.cli.BenchEmbedCommand;
import dev.tune4j.kernel.AttentionMask;
import dev.tune4j.kernel.Parallel;
import dev.tune4j.model.ModelLoader;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.nn.Block;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.Transformer;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Where the time of one encoder forward goes, section by section (best of several runs). Not a test. */
public final class EmbedProfile {
    static final Map<String, long[]> best = new LinkedHashMap<>();
    static Map<String, Long> cur;

    static Var time(String name, java.util.function.Supplier<Var> f) {
        long t0 = clock();
        Var v = f.get();
        cur.merge(name, clock() - t0, Long::sum);
        return v;
    }

    static final java.lang.management.ThreadMXBean MX = java.lang.management.ManagementFactory.getThreadMXBean();
    static boolean cpu;

    /** With one thread, the main thread's CPU time: what the sections cost without the other tenants' load. */
    static long clock() {
        return cpu ? MX.getCurrentThreadCpuTime() : System.nanoTime();
    }

    public static void main(String[] args) throws Exception {
        int batch = 32, seq = 128, threads = args.length > 0 ? Integer.parseInt(args[0]) : 2, runs = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        Parallel.setThreads(threads);
        cpu = threads == 1;
        try (PretrainedModel m = ModelLoader.load("builtin:all-minilm-l6-v2")) {
            Transformer t = m.model();
            System.out.println("weights heap: " + t.layers.get(0).attn.q.weight.value().isHeap());
            int[][] mask = new int[batch][seq];
            for (int[] row : mask) Arrays.fill(row, 1);
            TokenBatch in = new TokenBatch(BenchEmbedCommand.syntheticIds(batch, seq, t.config.vocabSize), batch, seq, mask, null, null);
            AttentionMask am = new AttentionMask(false, mask);
            long bestTotal = Long.MAX_VALUE;
            Map<String, Long> bestMap = null;
            for (int r = 0; r < runs; r++) {
                cur = new LinkedHashMap<>();
                long t0 = clock();
                final Var x0 = time("embed", () -> {
                    Var e = t.embed.forward(in.ids(), batch, seq);
                    int[] pos = new int[batch * seq];
                    for (int i = 0; i < pos.length; i++) pos[i] = i % seq;
                    e = AddOp.apply(e, t.posEmbed.forward(pos, batch, seq));
                    e = AddOp.apply(e, t.typeEmbed.forward(new int[batch * seq], batch, seq));
                    return t.embedNorm.forward(e);
                });
                Var h = x0;
                for (Block b : t.layers) {
                    Var xx = h;
                    Var q = time("q,k,v linear", () -> b.attn.q.forward(xx));
                    Var k = time("q,k,v linear", () -> b.attn.k.forward(xx));
                    Var v = time("q,k,v linear", () -> b.attn.v.forward(xx));
                    Var a = time("attention", () -> AttentionOp.apply(ReshapeOp.apply(q, batch, seq, 12, 32), ReshapeOp.apply(k, batch, seq, 12, 32),
                            ReshapeOp.apply(v, batch, seq, 12, 32), am, (float) (1 / Math.sqrt(32))));
                    Var o = time("o linear", () -> b.attn.o.forward(ReshapeOp.apply(a, batch, seq, 384)));
                    Var s1 = time("add+norm", () -> b.norm1.forward(AddOp.apply(xx, o)));
                    Var u = time("up linear", () -> b.mlp.up.forward(s1));
                    Var g = time("gelu", () -> GeluOp.apply(u, GeluOp.Kind.ERF));
                    Var d = time("down linear", () -> b.mlp.down.forward(g));
                    h = time("add+norm", () -> b.norm2.forward(AddOp.apply(s1, d)));
                }
                long total = clock() - t0;
                if (total < bestTotal) { bestTotal = total; bestMap = cur; }
                System.out.printf("run %d: %.1f ms%n", r, total / 1e6);
            }
            System.out.printf("best %.1f ms = %.0f tokens/s%n", bestTotal / 1e6, batch * seq / (bestTotal / 1e9));
            for (var e : bestMap.entrySet()) System.out.printf("  %-14s %8.1f ms %5.1f%%%n", e.getKey(), e.getValue() / 1e6, 100.0 * e.getValue() / bestTotal);
        }
    }
}
