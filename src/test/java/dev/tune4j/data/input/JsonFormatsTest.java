package dev.tune4j.data.input;

import dev.tune4j.data.Reject;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static dev.tune4j.data.input.Rows.bytes;
import static dev.tune4j.data.input.Rows.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonFormatsTest {

    @Test
    void jsonlMalformedLinesAreRejectedWithTheirLineAndNeighboursSurvive() throws IOException {
        Rows r = new Rows();
        JsonlFormat.read(bytes("""
                {"text": "one"}
                {"text": "two",,}

                [1, 2]
                {"text": "three"} {"text": "glued"}
                {"text": "four"}
                """), "f.jsonl", r);
        assertEquals(2, r.rows.size());
        assertEquals("one", r.text(0, "text"));
        assertEquals("four", r.text(1, "text"));
        assertEquals(6, r.line(1), "blank lines still count as lines");
        assertEquals(3, r.rejects.size());
        Reject bad = r.rejects.get(0);
        assertEquals("malformed", bad.reason());
        assertEquals(2, bad.origin().line());
        assertTrue(bad.detail().contains("line 2"), bad.detail());
        assertEquals("{\"text\": \"two\",,}", bad.content());
        assertTrue(r.rejects.get(1).detail().contains("expected a JSON object"), r.rejects.get(1).detail());
        assertEquals(5, r.rejects.get(2).origin().line(), "two objects on one line are not one row");
    }

    @Test
    void jsonlInvalidUtf8RejectsOnlyThatLineWithByteOffset() throws IOException {
        Rows r = new Rows();
        byte[] l1 = utf8("{\"text\": \"ok\"}\n");        // 15 bytes
        JsonlFormat.read(bytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, l1, utf8("{\"text\": \"bad "),
                new byte[] {(byte) 0xFF}, utf8("\"}\n{\"text\": \"fine\"}\n")), "f.jsonl", r);
        assertEquals(2, r.rows.size(), "BOM skipped, first and last rows kept");
        assertEquals(1, r.rejects.size());
        Reject bad = r.rejects.get(0);
        assertEquals("invalid_utf8", bad.reason());
        assertEquals(2, bad.origin().line());
        assertEquals("f.jsonl:2: invalid UTF-8 at byte offset " + (3 + 15 + 14), bad.detail());
    }

    @Test
    void jsonArrayElementsAreReadOneByOneAndABadOneCostsOnlyItself() throws IOException {
        Rows r = new Rows();
        JsonArrayFormat.read(bytes("""
                [
                  {"text": "a [tricky] {string} with \\"quotes\\" and , commas"},
                  {"text": "broken", "x": tru},
                  42,
                  {"text": "multi",
                   "label": "line"}
                ]
                """), "f.json", r);
        assertEquals(2, r.rows.size());
        assertEquals("a [tricky] {string} with \"quotes\" and , commas", r.text(0, "text"));
        assertEquals(2, r.line(0));
        assertEquals("line", r.text(1, "label"));
        assertEquals(5, r.line(1), "an element's line is where it starts");
        assertEquals(2, r.rejects.size());
        assertEquals(3, r.rejects.get(0).origin().line());
        assertEquals("malformed", r.rejects.get(0).reason());
        assertTrue(r.rejects.get(1).detail().contains("expected a JSON object"), r.rejects.get(1).detail());
    }

    @Test
    void jsonArrayUnterminatedElementAndMissingBracketAreReported() throws IOException {
        Rows r = new Rows();
        JsonArrayFormat.read(bytes("[{\"text\": \"ok\"},\n{\"text\": \"never closed\n"), "f.json", r);
        assertEquals(1, r.rows.size());
        assertEquals(1, r.rejects.size());
        assertTrue(r.rejects.get(0).detail().startsWith("unterminated JSON element starting at line 2"), r.rejects.get(0).detail());

        Rows s = new Rows();
        JsonArrayFormat.read(bytes("{\"text\": 1}"), "f.json", s);
        assertTrue(s.rejects.get(0).detail().contains("expected a JSON array"));
    }

    @Test
    void jsonArrayInvalidUtf8RejectsTheElementContainingIt() throws IOException {
        Rows r = new Rows();
        JsonArrayFormat.read(bytes(utf8("[{\"text\": \"ok\"},\n{\"text\": \"b"), new byte[] {(byte) 0xC0, (byte) 0xAF}, utf8("\"},\n{\"text\": \"c\"}]")), "f.json", r);
        assertEquals(2, r.rows.size());
        assertEquals("invalid_utf8", r.rejects.get(0).reason());
        assertEquals(2, r.rejects.get(0).origin().line());
    }
}
