package dev.tune4j.nn;

import dev.tune4j.autograd.Parameter;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Transformer.parameterShapes describes, without allocating, exactly the parameters the constructor builds. */
class TransformerShapesTest {

    @Test
    void shapesWithoutBuildingMatchTheBuiltModuleForEveryKindOfConfig() {
        TransformerConfig gpt2 = TransformerConfig.gpt2Like(50, 24, 2, 4, 16);
        TransformerConfig llama = TransformerConfig.llamaLike(61, 32, 3, 4, 2, 32);
        llama.tieEmbeddings = false;
        TransformerConfig bert = TransformerConfig.gpt2Like(40, 16, 2, 2, 20);
        bert.typeVocabSize = 2;
        bert.embeddingNorm = true;
        bert.preNorm = false;
        bert.finalNorm = false;
        bert.lmHead = false;
        TransformerConfig biased = TransformerConfig.gpt2Like(30, 8, 1, 2, 8);
        biased.lmHeadBias = true;
        biased.headDim = 6;
        for (TransformerConfig c : List.of(gpt2, llama, bert, biased)) {
            Map<String, String> built = new TreeMap<>(), described = new TreeMap<>();
            for (Map.Entry<String, Parameter> p : new Transformer(c).namedParameters().entrySet()) built.put(p.getKey(), Arrays.toString(p.getValue().shape()));
            Transformer.parameterShapes(c).forEach((name, shape) -> described.put(name, Arrays.toString(shape)));
            assertEquals(built, described);
        }
    }
}
