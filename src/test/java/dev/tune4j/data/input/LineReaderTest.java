package dev.tune4j.data.input;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static dev.tune4j.data.input.Rows.bytes;
import static dev.tune4j.data.input.Rows.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LineReaderTest {

    static List<LineReader.Line> lines(java.io.InputStream in) throws IOException {
        List<LineReader.Line> out = new ArrayList<>();
        try (LineReader r = new LineReader(in)) {
            for (LineReader.Line l; (l = r.next()) != null; ) out.add(l);
        }
        return out;
    }

    @Test
    void bomIsSkippedAndCrLfEndingsStripped() throws IOException {
        List<LineReader.Line> l = lines(bytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, utf8("héllo\r\nworld\n")));
        assertEquals(2, l.size());
        assertEquals("héllo", l.get(0).text());
        assertEquals("world", l.get(1).text());
        assertEquals(0, l.get(0).byteOffset());
        assertEquals(3 + "héllo\r\n".getBytes(java.nio.charset.StandardCharsets.UTF_8).length, l.get(1).byteOffset());
    }

    @Test
    void invalidUtf8IsReportedAtItsAbsoluteByteOffsetAndOnlyOnItsLine() throws IOException {
        byte[] first = utf8("good line\n");                       // 10 bytes
        byte[] second = utf8("ab");
        List<LineReader.Line> l = lines(bytes(first, second, new byte[] {(byte) 0xC3, 0x28}, utf8("cd\nnext ok")));
        assertEquals(3, l.size());
        assertTrue(l.get(0).valid());
        assertEquals(10 + 2, l.get(1).badByte(), "offset of the 0xC3 byte");
        assertEquals("ab\uFFFD(cd", l.get(1).text());
        assertTrue(l.get(2).valid());
        assertEquals("next ok", l.get(2).text(), "a last line without a newline is still a line");
    }

    @Test
    void linesLongerThanTheBufferAreWhole() throws IOException {
        String big = "x".repeat(200_000) + "é";
        List<LineReader.Line> l = lines(bytes(big + "\nshort\n"));
        assertEquals(big, l.get(0).text());
        assertEquals("short", l.get(1).text());
        assertEquals(2, l.get(1).number());
    }

    @Test
    void emptyInputHasNoLinesAndBlankLinesCount() throws IOException {
        assertEquals(0, lines(bytes("")).size());
        List<LineReader.Line> l = lines(bytes("\n\na\n"));
        assertEquals(3, l.size());
        assertEquals(3, l.get(2).number());
    }
}
