package dev.tune4j.train.optim;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

class ParamGroupsTest {

    static Parameter p(String name, int... shape) {
        return new Parameter(name, Tensor.zeros(shape));
    }

    static Map<String, List<String>> names(List<ParamGroup> groups) {
        return groups.stream().collect(Collectors.toMap(ParamGroup::name,
                g -> g.params().stream().map(Parameter::name).toList()));
    }

    @Test
    void huggingFaceNamesAreSplitIntoDecayNoDecayAndEmbeddings() {
        Parameter wte = p("transformer.wte.weight", 50, 8);
        List<Parameter> params = new ArrayList<>(List.of(
                p("embeddings.word_embeddings.weight", 30, 8),       // BERT
                p("embeddings.position_embeddings.weight", 16, 8),
                p("embeddings.LayerNorm.weight", 8),
                p("embeddings.LayerNorm.bias", 8),
                p("encoder.layer.0.attention.self.query.weight", 8, 8),
                p("encoder.layer.0.attention.self.query.bias", 8),
                p("encoder.layer.0.output.LayerNorm.weight", 8),
                wte,                                                   // GPT-2
                p("transformer.wpe.weight", 16, 8),
                p("transformer.h.0.ln_1.weight", 8),
                p("transformer.h.0.mlp.c_fc.weight", 8, 32),
                p("transformer.ln_f.weight", 8),
                p("model.embed_tokens.weight", 30, 8),                // Llama
                p("model.layers.0.input_layernorm.weight", 8),
                p("model.norm.weight", 8),
                p("pooler.dense.weight", 8, 8),
                p("logit_scale", 1)));
        params.add(wte); // lm_head tied to wte: the same Parameter object listed again
        List<ParamGroup> groups = ParamGroups.build(params, new ParamGroups.Config(1e-4, 0.01, 3.0));
        Map<String, List<String>> n = names(groups);
        assertEquals(List.of("encoder.layer.0.attention.self.query.weight", "transformer.h.0.mlp.c_fc.weight", "pooler.dense.weight"),
                n.get(ParamGroups.DECAY));
        assertEquals(List.of("embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias", "encoder.layer.0.attention.self.query.bias",
                        "encoder.layer.0.output.LayerNorm.weight", "transformer.h.0.ln_1.weight", "transformer.ln_f.weight",
                        "model.layers.0.input_layernorm.weight", "model.norm.weight", "logit_scale"),
                n.get(ParamGroups.NO_DECAY));
        assertEquals(List.of("embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight", "transformer.wte.weight",
                        "transformer.wpe.weight", "model.embed_tokens.weight"),
                n.get(ParamGroups.EMBEDDINGS));

        Map<String, ParamGroup> byName = groups.stream().collect(Collectors.toMap(ParamGroup::name, Function.identity()));
        assertEquals(0.01, byName.get(ParamGroups.DECAY).weightDecay());
        assertEquals(0.0, byName.get(ParamGroups.NO_DECAY).weightDecay());
        assertEquals(0.0, byName.get(ParamGroups.EMBEDDINGS).weightDecay());
        assertEquals(1e-4, byName.get(ParamGroups.DECAY).baseLr());
        assertEquals(1e-4, byName.get(ParamGroups.NO_DECAY).lr());
        assertEquals(3e-4, byName.get(ParamGroups.EMBEDDINGS).baseLr(), 1e-18);
        assertEquals(3e-4, byName.get(ParamGroups.EMBEDDINGS).lr(), 1e-18);
    }

    @Test
    void emptyGroupsAreLeftOut() {
        List<ParamGroup> groups = ParamGroups.build(List.of(p("dense.weight", 2, 2)), 1e-3, 0.1);
        assertEquals(List.of(ParamGroups.DECAY), groups.stream().map(ParamGroup::name).toList());
    }

    @Test
    void invalidHyperparametersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new ParamGroups.Config(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> new ParamGroups.Config(1e-3, Double.NaN));
        ParamGroup g = new ParamGroup("g", List.of(), 1e-3, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.setBetas(0.9, 1.0));
        assertTrue(e.getMessage().contains("beta2"), e.getMessage());
    }
}
