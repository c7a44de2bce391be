package dev.tune4j.cli;

import dev.tune4j.recipe.TinyLmDemo;
import dev.tune4j.report.Json;
import dev.tune4j.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Train a tiny byte-level GPT on built-in text and show it learning (no downloads).")
public final class DemoCommand implements Runnable {
    @Option(names = "--steps", description = "optimizer updates (default ${DEFAULT-VALUE})", defaultValue = "300")
    int steps;

    @Option(names = "--seed", defaultValue = "42")
    long seed;

    @Option(names = "--json", description = "one JSON object per line")
    boolean json;

    @Override
    public void run() {
        TinyLmDemo.Options d = TinyLmDemo.Options.defaults();
        TinyLmDemo.Options o = new TinyLmDemo.Options(steps, d.batch(), d.seq(), d.hidden(), d.layers(), d.heads(), d.lr(), seed, d.evalEvery());
        if (!json) System.out.printf("tune4j demo: byte-level GPT, %d blocks, hidden %d, %d updates on built-in text%n", o.layers(), o.hidden(), o.steps());
        TinyLmDemo.Outcome out = TinyLmDemo.run(o, new Trainer.Listener() {
            public void onStep(Trainer.Step s) {
                if (s.step() % 25 != 0 && s.step() != 1) return;
                if (json) emit("step", "step", s.step(), "lr", s.lr(), "loss", s.loss(), "grad_norm", s.gradNorm(), "seconds", s.seconds());
                else System.out.printf("step %4d  lr %.2e  train loss %.4f  grad norm %.3f%n", s.step(), s.lr(), s.loss(), s.gradNorm());
            }

            public void onEval(Trainer.Eval e) {
                if (json) emit("eval", "step", e.step(), "val_loss", e.evaluation().loss(), "improved", e.improved());
                else System.out.printf("step %4d  validation loss %.4f%s%n", e.step(), e.evaluation().loss(), e.improved() ? "  (best)" : "");
            }
        });
        if (json) {
            emit("result", "parameters", out.parameters(), "initial_val_loss", out.initialValLoss(),
                    "final_train_loss", out.result().lastTrainLoss(), "best_val_loss", out.result().bestValLoss(),
                    "best_step", out.result().bestStep(), "sample", out.sample());
        } else {
            System.out.printf("parameters %,d; validation loss %.3f -> %.3f (best at step %d)%n", out.parameters(),
                    out.initialValLoss(), out.result().bestValLoss(), out.result().bestStep());
            System.out.println("sample: " + out.sample().replace('\n', ' '));
        }
    }

    private static void emit(String type, Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type);
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        System.out.println(Json.line(m));
    }
}
