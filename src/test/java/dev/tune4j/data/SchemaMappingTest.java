package dev.tune4j.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.data.input.RawRow;
import dev.tune4j.report.Json;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SchemaMappingTest {

    static List<RawRow> rows(String... json) throws Exception {
        List<RawRow> out = new ArrayList<>();
        for (int i = 0; i < json.length; i++) out.add(new RawRow(new Origin("f", i + 1), (ObjectNode) Json.MAPPER.readTree(json[i])));
        return out;
    }

    static Schema detect(String... json) throws Exception {
        return SchemaMapping.detect(rows(json), null, Map.of(), null).schema;
    }

    @Test
    void eachSchemaIsDetectedFromItsFields() throws Exception {
        assertEquals(Schema.TEXT, detect("{\"text\": \"a\", \"id\": 1}"));
        assertEquals(Schema.CLASSIFICATION, detect("{\"text\": \"a\", \"label\": \"x\"}"));
        assertEquals(Schema.INSTRUCTION, detect("{\"instruction\": \"do\", \"input\": \"\", \"output\": \"done\"}"));
        assertEquals(Schema.INSTRUCTION, detect("{\"instruction\": \"do\", \"output\": \"done\"}"), "input is optional");
        assertEquals(Schema.CHAT, detect("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"));
        assertEquals(Schema.CHAT, detect("{\"conversations\": [{\"from\": \"human\", \"value\": \"hi\"}]}"));
        assertEquals(Schema.PREFERENCE, detect("{\"prompt\": \"p\", \"chosen\": \"c\", \"rejected\": \"r\"}"));
        assertThrows(IllegalArgumentException.class, () -> detect("{\"body\": \"a\"}"));
    }

    @Test
    void selfInstructSeedRowsTakeTheirSingleInstanceAsInputAndOutput() throws Exception {
        String one = "{\"id\": \"seed_task_1\", \"instruction\": \"Find the antonym.\", \"instances\": [{\"input\": \"day\", \"output\": \"night\"}]}";
        String two = "{\"id\": \"seed_task_2\", \"instruction\": \"Add.\", \"instances\": [{\"input\": \"1+1\", \"output\": \"2\"}, {\"input\": \"2+2\", \"output\": \"4\"}]}";
        SchemaMapping m = SchemaMapping.detect(rows(one), null, Map.of(), null);
        assertEquals(Schema.INSTRUCTION, m.schema);
        Example e = (Example) m.convert(rows(one).get(0));
        assertArrayEquals(new String[] {"Find the antonym.", "day", "night"}, e.texts);
        assertEquals(Map.of("id", "seed_task_1"), e.meta);
        Reject r = assertInstanceOf(Reject.class, m.convert(rows(two).get(0)));
        assertTrue(r.detail().contains("holds 2 input/output pairs"), r.detail());
    }

    @Test
    void conversationalPreferenceRowsTakeTheirOneUserAndAssistantTurns() throws Exception {
        String row = "{\"prompt\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Capital of France?\"}],"
                + " \"chosen\": [{\"role\": \"assistant\", \"content\": \"Paris.\"}], \"rejected\": [{\"role\": \"assistant\", \"content\": \"Lyon.\"}]}";
        SchemaMapping m = SchemaMapping.detect(rows(row), null, Map.of(), null);
        assertEquals(Schema.PREFERENCE, m.schema);
        Example e = (Example) m.convert(rows(row).get(0));
        assertArrayEquals(new String[] {"Capital of France?", "Paris.", "Lyon."}, e.texts);
        String multi = "{\"prompt\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}, {\"role\": \"user\", \"content\": \"c\"}],"
                + " \"chosen\": \"d\", \"rejected\": \"e\"}";
        Reject r = assertInstanceOf(Reject.class, m.convert(rows(multi).get(0)));
        assertTrue(r.detail().contains("multi-turn"), r.detail());
        String wrongRole = "{\"prompt\": \"p\", \"chosen\": [{\"role\": \"user\", \"content\": \"x\"}], \"rejected\": \"r\"}";
        assertInstanceOf(Reject.class, m.convert(rows(wrongRole).get(0)));
    }

    @Test
    void fieldsCanBeRemapped() throws Exception {
        SchemaMapping m = SchemaMapping.detect(rows("{\"body\": \"hello\", \"category\": \"news\", \"src\": \"web\"}"), null,
                Map.of("text", "body"), "src");
        assertEquals(Schema.CLASSIFICATION, m.schema, "label found by its alias 'category'");
        Example e = (Example) m.convert(rows("{\"body\": \"hello\", \"category\": \"news\", \"src\": \"web\"}").get(0));
        assertEquals("hello", e.texts[0]);
        assertEquals("news", e.label);
        assertEquals("web", e.splitKey);
        assertEquals(Map.of("src", "web"), e.meta, "unmapped scalar fields are kept as provenance");
        assertThrows(IllegalArgumentException.class, () -> SchemaMapping.detect(rows("{\"a\": 1}"), null, Map.of("txt", "a"), null));
    }

    @Test
    void missingAndWronglyTypedFieldsAreRejectsNotErrors() throws Exception {
        SchemaMapping m = SchemaMapping.detect(rows("{\"text\": \"a\", \"label\": \"x\"}"), null, Map.of(), null);
        Reject missing = (Reject) m.convert(rows("{\"text\": \"no label\"}").get(0));
        assertEquals("missing_field", missing.reason());
        assertEquals("missing field 'label'", missing.detail());
        Reject blank = (Reject) m.convert(rows("{\"text\": \"a\", \"label\": \"  \"}").get(0));
        assertEquals("missing_field", blank.reason());
        Reject typed = (Reject) m.convert(rows("{\"text\": {\"nested\": 1}, \"label\": \"x\"}").get(0));
        assertEquals("invalid_field", typed.reason());
        Example numeric = (Example) m.convert(rows("{\"text\": \"a\", \"label\": 3}").get(0));
        assertEquals("3", numeric.label, "numeric labels become strings");
    }

    @Test
    void shareGptAndOpenAiChatsBecomeRoleContentMessages() throws Exception {
        SchemaMapping m = SchemaMapping.detect(rows("{\"conversations\": []}"), Schema.CHAT, Map.of(), null);
        Example e = (Example) m.convert(rows("{\"conversations\": [{\"from\": \"system\", \"value\": \"be nice\"}, {\"from\": \"human\", \"value\": \"hi\"},"
                + " {\"from\": \"gpt\", \"value\": \"hello\"}]}").get(0));
        assertArrayEquals(new String[] {"system", "user", "assistant"}, e.roles);
        assertArrayEquals(new String[] {"be nice", "hi", "hello"}, e.texts);
        assertTrue(e.isResponse(2) && !e.isResponse(1));

        SchemaMapping o = SchemaMapping.detect(rows("{\"messages\": []}"), Schema.CHAT, Map.of(), null);
        Example parts = (Example) o.convert(rows("{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"a\"},"
                + " {\"type\": \"image_url\"}, {\"type\": \"text\", \"text\": \"b\"}]}]}").get(0));
        assertEquals("a\nb", parts.texts[0]);
        Example fromCsv = (Example) o.convert(rows("{\"messages\": \"[{\\\"role\\\": \\\"user\\\", \\\"content\\\": \\\"x\\\"}]\"}").get(0));
        assertEquals("x", fromCsv.texts[0], "a JSON string holding the list (as CSV files do) is read");
        Reject noRole = (Reject) o.convert(rows("{\"messages\": [{\"content\": \"x\"}]}").get(0));
        assertEquals("invalid_field", noRole.reason());
    }

    @Test
    void instructionInputIsOptionalAndContentSidesAreSeparate() throws Exception {
        SchemaMapping m = SchemaMapping.detect(rows("{\"instruction\": \"i\", \"output\": \"o\"}"), null, Map.of(), null);
        Example e = (Example) m.convert(rows("{\"instruction\": \"Translate\", \"output\": \"Bonjour\"}").get(0));
        assertEquals("", e.texts[1]);
        assertEquals("Translate\u0001", e.content(Schema.Side.PROMPT));
        assertEquals("Bonjour", e.content(Schema.Side.RESPONSE));
        assertNull(e.label);
    }
}
