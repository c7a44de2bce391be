package dev.tune4j.cli;

import dev.tune4j.model.ModelLoader;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.nn.Norm;
import dev.tune4j.nn.TransformerConfig;
import dev.tune4j.report.Json;
import dev.tune4j.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Describe a model: architecture, parameters, dtypes, vocabulary, context. Reads headers only; builds nothing.")
public final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = ModelOptions.MODEL_HELP)
    String model;

    @Mixin
    ModelOptions options = new ModelOptions();

    @Option(names = "--json", description = "one JSON object instead of text")
    boolean json;

    @Override
    public Integer call() throws Exception {
        try (PretrainedModel m = ModelLoader.open(model, options.toLoaderOptions())) {
            Map<String, Object> facts = describe(m);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(Json.line(facts));
            } else {
                int width = facts.keySet().stream().mapToInt(String::length).max().orElse(0);
                facts.forEach((k, v) -> out.printf("%-" + width + "s  %s%n", k, v));
            }
            out.flush();
        }
        return 0;
    }

    /** The facts `inspect` prints, in order. */
    static Map<String, Object> describe(PretrainedModel m) {
        TransformerConfig c = m.config();
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("model", m.spec());
        f.put("architecture", m.hfConfig().architecture());
        f.put("model_type", m.hfConfig().modelType());
        f.put("family", m.family().name());
        f.put("parameters", m.parameterCount());
        f.put("dtypes", m.dtypeCounts());
        f.put("vocab_size", c.vocabSize);
        f.put("context_length", c.maxPositions);
        f.put("hidden_size", c.hidden);
        f.put("layers", c.layers);
        f.put("heads", c.heads);
        f.put("kv_heads", c.kvHeads);
        f.put("head_dim", c.headDim());
        f.put("intermediate_size", c.intermediate);
        f.put("positions", c.positions.name().toLowerCase(Locale.ROOT));
        f.put("norm", c.norm == Norm.Kind.LAYER_NORM ? "layer_norm" : "rms_norm");
        f.put("norm_eps", Double.parseDouble(Float.toString(c.normEps))); // 1.0E-12, not the float's binary expansion
        f.put("attention", c.causal ? "causal" : "bidirectional");
        f.put("lm_head", c.lmHead);
        f.put("tied_embeddings", c.lmHead && c.tieEmbeddings);
        java.util.List<String> labels = m.labels();
        if (!labels.isEmpty()) {
            f.put("num_labels", labels.size());
            f.put("labels", labels);
        }
        Tokenizer t = m.tokenizer();
        f.put("tokenizer", t != null);
        if (t != null) {
            f.put("tokenizer_vocab_size", t.vocabSize());
            f.put("tokenizer_max_length", t.maxLength() == Integer.MAX_VALUE ? null : t.maxLength());
        }
        f.put("unexpected_tensors", m.unexpectedTensors());
        return f;
    }
}
