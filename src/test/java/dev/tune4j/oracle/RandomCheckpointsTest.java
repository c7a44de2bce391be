package dev.tune4j.oracle;

import dev.tune4j.oracle.BertOracle.Pooling;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The random checkpoints carry Hugging Face's names, shapes and config keys, and are reproducible. */
class RandomCheckpointsTest {

    private static void assertShape(Checkpoint c, String name, int... shape) {
        assertTrue(c.has(name), "missing " + name);
        assertArrayEquals(shape, c.shape(name), name);
    }

    @Test
    void llamaHasTheHfLayoutWithGroupedKvAndATiedHead() {
        Checkpoint c = RandomCheckpoints.llama(1);
        assertEquals(1 + 2 * 9 + 1, c.weights().size());
        assertShape(c, "model.embed_tokens.weight", 101, 64);
        assertShape(c, "model.layers.1.self_attn.q_proj.weight", 64, 64);
        assertShape(c, "model.layers.1.self_attn.k_proj.weight", 32, 64);
        assertShape(c, "model.layers.1.self_attn.v_proj.weight", 32, 64);
        assertShape(c, "model.layers.1.self_attn.o_proj.weight", 64, 64);
        assertShape(c, "model.layers.0.mlp.gate_proj.weight", 90, 64);
        assertShape(c, "model.layers.0.mlp.up_proj.weight", 90, 64);
        assertShape(c, "model.layers.0.mlp.down_proj.weight", 64, 90);
        assertShape(c, "model.layers.0.input_layernorm.weight", 64);
        assertShape(c, "model.layers.0.post_attention_layernorm.weight", 64);
        assertShape(c, "model.norm.weight", 64);
        assertFalse(c.has("lm_head.weight"));
        assertEquals(true, c.config().get("tie_word_embeddings"));
        assertEquals(List.of("LlamaForCausalLM"), c.config().get("architectures"));
        for (String key : List.of("hidden_size", "intermediate_size", "num_attention_heads", "num_key_value_heads", "num_hidden_layers",
                "rms_norm_eps", "rope_theta", "vocab_size", "max_position_embeddings", "model_type")) {
            assertTrue(c.config().containsKey(key), key);
        }
    }

    @Test
    void llama3Qwen2AndMistralCarryTheirDistinguishingFeatures() {
        Checkpoint l3 = RandomCheckpoints.llama3(1);
        assertShape(l3, "lm_head.weight", 103, 64);
        assertShape(l3, "model.layers.0.self_attn.k_proj.weight", 16, 64);
        assertEquals("llama3", ((Map<?, ?>) l3.config().get("rope_scaling")).get("rope_type"));

        Checkpoint q = RandomCheckpoints.qwen2(1);
        assertEquals("qwen2", q.config().get("model_type"));
        assertShape(q, "model.layers.0.self_attn.q_proj.bias", 64);
        assertShape(q, "model.layers.0.self_attn.k_proj.bias", 32);
        assertShape(q, "model.layers.0.self_attn.v_proj.bias", 32);
        assertFalse(q.has("model.layers.0.self_attn.o_proj.bias"));
        assertFalse(q.has("lm_head.weight"));

        Checkpoint m = RandomCheckpoints.build("mistral", Map.of("head_dim", 8), 1);
        assertEquals(List.of("MistralForCausalLM"), m.config().get("architectures"));
        assertShape(m, "model.layers.0.self_attn.q_proj.weight", 32, 64);
        assertShape(m, "model.layers.0.self_attn.o_proj.weight", 64, 32);
        assertShape(m, "lm_head.weight", 99, 64);
    }

    @Test
    void gpt2UsesConv1dLayoutWithTransformerPrefixAndTiedHead() {
        Checkpoint c = RandomCheckpoints.gpt2(1);
        assertShape(c, "transformer.wte.weight", 101, 48);
        assertShape(c, "transformer.wpe.weight", 64, 48);
        assertShape(c, "transformer.h.0.ln_1.weight", 48);
        assertShape(c, "transformer.h.0.ln_1.bias", 48);
        assertShape(c, "transformer.h.0.attn.c_attn.weight", 48, 144);
        assertShape(c, "transformer.h.0.attn.c_attn.bias", 144);
        assertShape(c, "transformer.h.0.attn.c_proj.weight", 48, 48);
        assertShape(c, "transformer.h.1.mlp.c_fc.weight", 48, 192);
        assertShape(c, "transformer.h.1.mlp.c_proj.weight", 192, 48);
        assertShape(c, "transformer.ln_f.bias", 48);
        assertFalse(c.has("lm_head.weight"));
        assertEquals(2 + 2 * 12 + 2, c.weights().size());
        for (String key : List.of("n_embd", "n_head", "n_layer", "n_positions", "layer_norm_epsilon", "vocab_size")) {
            assertTrue(c.config().containsKey(key), key);
        }
    }

    @Test
    void bertHasEncoderEmbeddingsAndPoolerNames() {
        Checkpoint c = RandomCheckpoints.bert(1);
        assertShape(c, "embeddings.word_embeddings.weight", 103, 32);
        assertShape(c, "embeddings.position_embeddings.weight", 64, 32);
        assertShape(c, "embeddings.token_type_embeddings.weight", 2, 32);
        assertShape(c, "embeddings.LayerNorm.weight", 32);
        assertShape(c, "encoder.layer.1.attention.self.query.weight", 32, 32);
        assertShape(c, "encoder.layer.1.attention.self.value.bias", 32);
        assertShape(c, "encoder.layer.1.attention.output.dense.weight", 32, 32);
        assertShape(c, "encoder.layer.1.attention.output.LayerNorm.bias", 32);
        assertShape(c, "encoder.layer.1.intermediate.dense.weight", 37, 32);
        assertShape(c, "encoder.layer.1.output.dense.weight", 32, 37);
        assertShape(c, "encoder.layer.1.output.LayerNorm.weight", 32);
        assertShape(c, "pooler.dense.weight", 32, 32);
        for (String key : List.of("hidden_size", "num_attention_heads", "intermediate_size", "layer_norm_eps", "type_vocab_size", "hidden_act")) {
            assertTrue(c.config().containsKey(key), key);
        }
    }

    @Test
    void theSameSeedGivesTheSameCheckpointAndOverridesReshapeIt() {
        for (String family : RandomCheckpoints.FAMILIES) {
            Checkpoint a = RandomCheckpoints.build(family, Map.of(), 5), b = RandomCheckpoints.build(family, Map.of(), 5);
            Checkpoint other = RandomCheckpoints.build(family, Map.of(), 6);
            assertEquals(a.weights().keySet(), b.weights().keySet());
            for (String n : a.weights().keySet()) assertArrayEquals(a.weight(n), b.weight(n), family + " " + n);
            String first = a.weights().keySet().iterator().next();
            assertFalse(Arrays.equals(a.weight(first), other.weight(first)), family + ": seeds must matter");
        }
        Checkpoint one = RandomCheckpoints.build("llama", Map.of("num_hidden_layers", 1, "tie_word_embeddings", false), 5);
        assertFalse(one.has("model.layers.1.input_layernorm.weight"));
        assertTrue(one.has("lm_head.weight"));
        assertThrows(IllegalArgumentException.class, () -> RandomCheckpoints.build("t5", Map.of(), 1));
    }

    @Test
    void everyFamilyRunsThroughItsOracle() {
        int[][] ids = {{1, 4, 9, 16, 25, 36, 49}};
        List<String> ran = new ArrayList<>();
        for (String family : RandomCheckpoints.FAMILIES) {
            Checkpoint c = RandomCheckpoints.build(family, Map.of(), 9);
            OracleResult r = switch (family) {
                case "gpt2" -> Gpt2Oracle.logits(c, ids, null);
                case "bert" -> BertOracle.encode(c, ids, null, null, Pooling.NONE, false, null);
                default -> LlamaOracle.logits(c, ids, null);
            };
            assertEquals(1, r.outputShape()[0]);
            assertEquals(7, r.outputShape()[1]);
            double spread = 0;
            for (float v : r.output()) {
                assertTrue(Float.isFinite(v), family);
                spread = Math.max(spread, Math.abs(v));
            }
            assertTrue(spread > 0.1, family + ": outputs should be of order one, max |out| " + spread);
            ran.add(family);
        }
        assertEquals(RandomCheckpoints.FAMILIES, ran);
    }
}
