package dev.tune4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.model.bert.BertClassifier;
import dev.tune4j.model.bert.TinyBertClassifierCheckpoint;
import dev.tune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** `tune4j inspect` on a BertForSequenceClassification folder: architecture, head size and labels. */
class InspectClassifierTest {
    @TempDir
    Path dir;

    @Test
    void inspectShowsTheClassifierArchitectureAndItsLabels() throws Exception {
        Path folder = dir.resolve("cls");
        Map<String, Tensor> written = TinyBertClassifierCheckpoint.write(folder, BertClassifier.ARCHITECTURE, 1);
        ModelCommandsTest.Run r = ModelCommandsTest.run("inspect", folder.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode o = r.jsonLines().getFirst();
        assertEquals("BertForSequenceClassification", o.path("architecture").asText());
        assertEquals("bert", o.path("family").asText());
        assertEquals(written.values().stream().mapToLong(Tensor::numel).sum(), o.path("parameters").asLong(), "pooler and classifier counted");
        assertEquals(3, o.path("num_labels").asInt());
        assertEquals("[\"negative\",\"neutral\",\"positive\"]", o.path("labels").toString());
        assertEquals(0, o.path("unexpected_tensors").size());

        Path base = dir.resolve("base");
        TinyBertClassifierCheckpoint.write(base, "BertModel", 1);
        JsonNode b = ModelCommandsTest.run("inspect", base.toString(), "--json").jsonLines().getFirst();
        assertEquals("BertModel", b.path("architecture").asText());
        assertTrue(b.path("labels").isMissingNode(), "an encoder has no labels: " + b);
        assertEquals(0, b.path("unexpected_tensors").size());
    }
}
