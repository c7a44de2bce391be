package dev.tune4j.data.input;

import org.junit.jupiter.api.Test;

import java.io.IOException;

import static dev.tune4j.data.input.Rows.bytes;
import static dev.tune4j.data.input.Rows.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CsvFormatTest {

    @Test
    void quotedFieldsHoldDelimitersDoubledQuotesAndNewlines() throws IOException {
        Rows r = new Rows();
        CsvFormat.read(bytes("""
                text,label
                "hello, world",greeting
                "she said ""hi""
                and left",story
                plain 5'10" tall,fact
                "",empty
                """), "f.csv", ',', r);
        assertEquals(4, r.rows.size());
        assertEquals("hello, world", r.text(0, "text"));
        assertEquals("she said \"hi\"\nand left", r.text(1, "text"));
        assertEquals(3, r.line(1));
        assertEquals("plain 5'10\" tall", r.text(2, "text"), "a quote inside an unquoted field is text");
        assertEquals(5, r.line(2), "line numbers stay right after an embedded newline");
        assertEquals("", r.text(3, "text"));
        assertEquals(0, r.rejects.size());
    }

    @Test
    void bomAndCrLfAreHandledAndBlankLinesSkipped() throws IOException {
        Rows r = new Rows();
        CsvFormat.read(bytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, utf8("text,label\r\n\r\na,b\r\n\"x\r\ny\",z\r\n")), "f.csv", ',', r);
        assertEquals(2, r.rows.size());
        assertTrue(r.rows.get(0).fields().has("text"), "the BOM is not part of the first column name");
        assertEquals("x\ny", r.text(1, "text"));
    }

    @Test
    void wrongFieldCountsAndStrayCharactersAreRejectedAlone() throws IOException {
        Rows r = new Rows();
        CsvFormat.read(bytes("""
                text,label
                one,a,extra
                two
                "three"x,c
                four,d
                """), "f.csv", ',', r);
        assertEquals(1, r.rows.size());
        assertEquals("four", r.text(0, "text"));
        assertEquals(3, r.rejects.size());
        assertEquals("expected 2 fields (as in the header), found 3", r.rejects.get(0).detail());
        assertEquals(3, r.rejects.get(1).origin().line());
        assertTrue(r.rejects.get(2).detail().startsWith("unexpected character 'x' after a closing quote (line 4, column 8)"), r.rejects.get(2).detail());
        assertEquals("\"three\"x,c", r.rejects.get(2).content());
    }

    @Test
    void anUnterminatedQuoteRejectsItsLineAndParsingResumesAfterIt() throws IOException {
        Rows r = new Rows();
        CsvFormat.read(bytes("""
                text,label
                "oops,a
                fine,b
                also fine,c
                """), "f.csv", ',', r);
        assertEquals(2, r.rows.size());
        assertEquals("fine", r.text(0, "text"));
        assertEquals(3, r.line(0));
        assertEquals(1, r.rejects.size());
        assertEquals(2, r.rejects.get(0).origin().line());
        assertTrue(r.rejects.get(0).detail().startsWith("unterminated quoted field"), r.rejects.get(0).detail());
    }

    @Test
    void invalidUtf8RejectsTheRecordItIsIn() throws IOException {
        Rows r = new Rows();
        CsvFormat.read(bytes(utf8("text,label\n\"multi\nli"), new byte[] {(byte) 0xE2, (byte) 0x28, (byte) 0xA1}, utf8("ne\",x\nok,y\n")), "f.csv", ',', r);
        assertEquals(1, r.rows.size());
        assertEquals("ok", r.text(0, "text"));
        assertEquals("invalid_utf8", r.rejects.get(0).reason());
        assertEquals(2, r.rejects.get(0).origin().line(), "the record starts on line 2");
        assertEquals("f.csv:3: invalid UTF-8 at byte offset 20", r.rejects.get(0).detail(), "11 + 7 + 2 bytes before it, on line 3");
    }

    @Test
    void tsvUsesTabs() throws IOException {
        Rows r = new Rows();
        CsvFormat.read(bytes("text\tlabel\na, b\tc\n\"q\tuoted\"\td\n"), "f.tsv", '\t', r);
        assertEquals("a, b", r.text(0, "text"));
        assertEquals("q\tuoted", r.text(1, "text"));
    }

    @Test
    void aBrokenHeaderMakesTheFileUnreadable() {
        assertThrows(IllegalArgumentException.class, () -> CsvFormat.read(bytes("text,text\na,b\n"), "f.csv", ',', new Rows()));
        assertThrows(IllegalArgumentException.class, () -> CsvFormat.read(bytes("text,\na,b\n"), "f.csv", ',', new Rows()));
    }
}
