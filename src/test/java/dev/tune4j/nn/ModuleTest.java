package dev.tune4j.nn;

import dev.tune4j.autograd.Parameter;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ModuleTest {
    @Test
    void parametersCarryFullDottedNamesInRegistrationOrder() {
        Transformer m = new Transformer(TransformerConfig.llamaLike(50, 16, 2, 4, 2, 32));
        Map<String, Parameter> named = m.namedParameters();
        List<String> names = List.copyOf(named.keySet());
        assertEquals("embed.weight", names.get(0));
        assertTrue(named.containsKey("layers.1.attn.k.weight"));
        assertTrue(named.containsKey("layers.0.mlp.gate.weight"));
        assertEquals("final_norm.weight", names.get(names.size() - 1), "tied head has no lm_head weight");
        for (var e : named.entrySet()) assertEquals(e.getKey(), e.getValue().name());
        assertArrayEquals(new int[] {2 * 4, 16}, named.get("layers.0.attn.k.weight").shape(), "GQA: 2 kv heads of 4 dims");
    }

    @Test
    void freezingByNameStopsGradientsForThoseParameters() {
        Transformer m = new Transformer(TransformerConfig.gpt2Like(40, 16, 2, 2, 16));
        long all = m.trainableParameterCount();
        int n = m.freeze(name -> name.startsWith("embed.") || name.startsWith("layers.0."));
        assertTrue(n > 0);
        assertTrue(m.trainableParameterCount() < all);
        assertTrue(m.namedParameters().get("layers.0.attn.q.weight").frozen());
        assertFalse(m.namedParameters().get("layers.1.attn.q.weight").frozen());
        m.unfreezeAll();
        assertEquals(all, m.trainableParameterCount());
    }

    @Test
    void parametersAddedAfterAttachingAreNamedByTheirFullPath() {
        Transformer m = new Transformer(TransformerConfig.llamaLike(50, 16, 2, 4, 2, 32));
        Linear q = m.layers.get(1).attn.q;
        assertEquals("layers.1.attn.q", q.path());
        q.addAdapter(2, 1f, 0f, new java.util.SplittableRandom(1));
        Map<String, Parameter> named = m.namedParameters();
        assertTrue(named.containsKey("layers.1.attn.q.lora_A"));
        assertTrue(named.containsKey("layers.1.attn.q.lora_B"));
        for (var e : named.entrySet()) assertEquals(e.getKey(), e.getValue().name());
        assertSame(q, m.namedModules().get("layers.1.attn.q"));
    }

    @Test
    void attachingASubtreeRenamesWhatWasAddedToItBefore() {
        Linear inner = new Linear(3, 2, false, new java.util.SplittableRandom(1), 0.1f);
        Module block = new Module() {};
        block.child("proj", inner);
        inner.addAdapter(1, 1f, 0f, new java.util.SplittableRandom(2));
        Module root = new Module() {};
        root.child("encoder", block);
        assertEquals(List.of("encoder.proj.weight", "encoder.proj.lora_A", "encoder.proj.lora_B"), List.copyOf(root.namedParameters().keySet()));
        for (var e : root.namedParameters().entrySet()) assertEquals(e.getKey(), e.getValue().name());
        assertEquals("encoder.proj", inner.path());
        assertThrows(IllegalArgumentException.class, () -> block.child("proj", new Linear(1, 1, false, new java.util.SplittableRandom(1), 0f)));
    }
}
