package dev.tune4j.model;

import dev.tune4j.report.Json;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class FamiliesTest {
    @Test
    void unknownArchitectureIsAClearErrorListingWhatIsSupported() throws Exception {
        HfConfig hf = new HfConfig(Json.MAPPER.readTree("{\"architectures\":[\"FalconForCausalLM\"],\"model_type\":\"falcon\"}"), "m/config.json");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Families.forConfig(hf));
        assertTrue(e.getMessage().contains("FalconForCausalLM"), e.getMessage());
        assertTrue(e.getMessage().contains("LlamaForCausalLM") && e.getMessage().contains("GPT2LMHeadModel")
                && e.getMessage().contains("BertModel"), e.getMessage());
    }

    @Test
    void familiesAreFoundByArchitectureOrModelType() throws Exception {
        assertEquals("llama", Families.forConfig(new HfConfig(Json.MAPPER.readTree("{\"architectures\":[\"Qwen2ForCausalLM\"]}"), "x")).name());
        assertEquals("gpt2", Families.forConfig(new HfConfig(Json.MAPPER.readTree("{\"model_type\":\"gpt2\"}"), "x")).name());
        assertEquals("bert", Families.forConfig(new HfConfig(Json.MAPPER.readTree("{\"architectures\":[\"BertModel\"]}"), "x")).name());
    }

    @Test
    void missingRequiredKeyIsNamed() throws Exception {
        HfConfig hf = new HfConfig(Json.MAPPER.readTree("{\"architectures\":[\"LlamaForCausalLM\"],\"vocab_size\":10}"), "m/config.json");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Families.forConfig(hf).config(hf));
        assertTrue(e.getMessage().contains("hidden_size"), e.getMessage());
    }
}
