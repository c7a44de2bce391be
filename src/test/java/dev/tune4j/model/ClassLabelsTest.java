package dev.tune4j.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.report.Json;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Class names from and to config.json's id2label / label2id / num_labels, as Hugging Face reads and writes them. */
class ClassLabelsTest {

    private static HfConfig hf(String json) throws Exception {
        return new HfConfig(Json.MAPPER.readTree(json), "test");
    }

    private static List<String> labelsOf(String json) throws Exception {
        return ClassLabels.fromConfig(hf(json)).names();
    }

    @Test
    void labelsComeFromId2LabelElseNumLabelsElseTwo() throws Exception {
        assertEquals(List.of("b", "a", "c"), labelsOf("{\"id2label\": {\"1\": \"a\", \"0\": \"b\", \"2\": \"c\"}}"));
        assertEquals(List.of("LABEL_0", "LABEL_1", "LABEL_2", "LABEL_3"), labelsOf("{\"num_labels\": 4}"));
        assertEquals(List.of("LABEL_0", "LABEL_1"), labelsOf("{}"));
        assertEquals(List.of("x", "y"), labelsOf("{\"id2label\": {\"0\": \"x\", \"1\": \"y\"}, \"num_labels\": 2}"));

        IllegalArgumentException gap = assertThrows(IllegalArgumentException.class, () -> labelsOf("{\"id2label\": {\"0\": \"x\", \"2\": \"y\"}}"));
        assertTrue(gap.getMessage().contains("0..1") && gap.getMessage().contains("[0, 2]"), gap.getMessage());
        IllegalArgumentException contradiction = assertThrows(IllegalArgumentException.class,
                () -> labelsOf("{\"id2label\": {\"0\": \"x\", \"1\": \"y\"}, \"num_labels\": 3}"));
        assertTrue(contradiction.getMessage().contains("num_labels 3"), contradiction.getMessage());
        assertThrows(IllegalArgumentException.class, () -> labelsOf("{\"id2label\": {\"first\": \"x\"}}"));
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class, () -> new ClassLabels(List.of("x", "x")));
        assertTrue(dup.getMessage().contains("duplicate label 'x'"), dup.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ClassLabels(List.of()));
    }

    @Test
    void writtenLabelsReadBackAndReplaceAStaleNumLabels() throws Exception {
        ClassLabels labels = new ClassLabels(List.of("spam", "ham", "eggs"));
        ObjectNode config = (ObjectNode) Json.MAPPER.readTree("{\"num_labels\": 2, \"id2label\": {\"0\": \"old\", \"1\": \"older\"}}");
        labels.writeTo(config);
        assertFalse(config.has("num_labels"));
        assertEquals("eggs", config.path("id2label").path("2").asText());
        assertEquals(1, config.path("label2id").path("ham").asInt());
        assertEquals(labels, ClassLabels.fromConfig(new HfConfig(config, "written")));
        assertEquals(Map.of("spam", 0, "ham", 1, "eggs", 2), labels.ids());
        assertEquals(2, labels.id("eggs"));
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> labels.id("bacon"));
        assertTrue(unknown.getMessage().contains("bacon") && unknown.getMessage().contains("spam, ham, eggs"), unknown.getMessage());
    }
}
