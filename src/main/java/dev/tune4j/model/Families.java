package dev.tune4j.model;

import dev.tune4j.model.bert.BertFamily;
import dev.tune4j.model.gpt2.Gpt2Family;
import dev.tune4j.model.llama.LlamaFamily;

import java.util.List;
import java.util.TreeSet;

/** The registry of supported model families. */
public final class Families {
    public static final List<ModelFamily> ALL = List.of(new LlamaFamily(), new Gpt2Family(), new BertFamily());

    private Families() {}

    /** The family for a config.json, matched by architecture first, then model_type. */
    public static ModelFamily forConfig(HfConfig hf) {
        String arch = hf.architecture();
        String type = hf.modelType();
        for (ModelFamily f : ALL) if (arch != null && f.architectures().contains(arch)) return f;
        for (ModelFamily f : ALL) if (type != null && f.modelTypes().contains(type)) return f;
        TreeSet<String> archs = new TreeSet<>(), types = new TreeSet<>();
        for (ModelFamily f : ALL) {
            archs.addAll(f.architectures());
            types.addAll(f.modelTypes());
        }
        throw new IllegalArgumentException(hf.source() + ": unsupported architecture " + (arch == null ? "(none)" : "'" + arch + "'")
                + " / model_type " + (type == null ? "(none)" : "'" + type + "'")
                + ". Supported architectures: " + String.join(", ", archs) + "; model types: " + String.join(", ", types));
    }

    public static ModelFamily byName(String name) {
        for (ModelFamily f : ALL) if (f.name().equals(name)) return f;
        throw new IllegalArgumentException("unknown model family '" + name + "'");
    }
}
