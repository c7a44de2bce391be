package dev.tune4j.data.input;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Splits a byte stream into lines and decodes each one as strict UTF-8. A line with invalid bytes
 * is still returned (with U+FFFD in their place) together with the absolute byte offset of the
 * first bad byte, so the caller can reject exactly that record and carry on with the next one.
 * A UTF-8 byte order mark at the start is skipped. Lines end at LF; a CR before it is dropped.
 */
public final class LineReader implements Closeable {

    /**
     * @param number     1-based line number
     * @param byteOffset offset of the line's first byte in the stream
     * @param text       the decoded line without its terminator
     * @param badByte    offset of the first byte that is not valid UTF-8, or -1
     */
    public record Line(long number, long byteOffset, String text, long badByte) {
        public boolean valid() {
            return badByte < 0;
        }
    }

    private final InputStream in;
    private final byte[] buf = new byte[1 << 16];
    private int pos, lim;
    private long bufStart;           // stream offset of buf[0]
    private byte[] line = new byte[256];
    private long lineNo;
    private boolean eof;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);

    public LineReader(InputStream in) {
        this.in = in;
    }

    /** The next line, or null at the end of the stream. */
    public Line next() throws IOException {
        if (eof && pos >= lim) return null;
        int len = 0;
        long start = bufStart + pos;
        boolean sawNewline = false;
        while (true) {
            if (pos >= lim) {
                if (!fill()) break;
            }
            int i = pos;
            while (i < lim && buf[i] != '\n') i++;
            int n = i - pos;
            if (len + n > line.length) line = Arrays.copyOf(line, Math.max(line.length * 2, len + n));
            System.arraycopy(buf, pos, line, len, n);
            len += n;
            pos = i;
            if (i < lim) {
                pos++;                      // consume the LF
                sawNewline = true;
                break;
            }
        }
        if (!sawNewline && len == 0 && eof) return null;
        lineNo++;
        int from = 0;
        if (lineNo == 1 && len >= 3 && (line[0] & 0xFF) == 0xEF && (line[1] & 0xFF) == 0xBB && (line[2] & 0xFF) == 0xBF) {
            from = 3;                       // byte order mark
        }
        if (len > from && line[len - 1] == '\r') len--;
        return decode(start, from, len);
    }

    private boolean fill() throws IOException {
        bufStart += lim;
        pos = 0;
        lim = 0;
        int n = in.readNBytes(buf, 0, buf.length);
        if (n <= 0) {
            eof = true;
            return false;
        }
        lim = n;
        if (n < buf.length) eof = true;
        return true;
    }

    private Line decode(long start, int from, int to) {
        boolean ascii = true;
        for (int i = from; i < to; i++) {
            if (line[i] < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) return new Line(lineNo, start, new String(line, from, to - from, StandardCharsets.ISO_8859_1), -1);
        decoder.reset();
        ByteBuffer bb = ByteBuffer.wrap(line, from, to - from);
        CharBuffer cb = CharBuffer.allocate(to - from + 1);   // UTF-8 never yields more chars than bytes
        long bad = -1;
        while (true) {
            CoderResult r = decoder.decode(bb, cb, true);
            if (r.isUnderflow()) break;
            if (r.isError()) {
                if (bad < 0) bad = start + bb.position();
                cb.put('\uFFFD');
                bb.position(bb.position() + r.length());
            } else {
                throw new IllegalStateException("UTF-8 decoder overflow");   // cannot happen: see capacity
            }
        }
        decoder.flush(cb);
        cb.flip();
        return new Line(lineNo, start, cb.toString(), bad);
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
