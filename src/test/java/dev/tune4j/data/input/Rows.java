package dev.tune4j.data.input;

import dev.tune4j.data.Reject;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Test sink: collects what a reader produced. */
final class Rows implements RowSink {
    final List<RawRow> rows = new ArrayList<>();
    final List<Reject> rejects = new ArrayList<>();

    @Override
    public void row(RawRow row) {
        rows.add(row);
    }

    @Override
    public void reject(Reject reject) {
        rejects.add(reject);
    }

    String text(int i, String field) {
        return rows.get(i).fields().get(field).asText();
    }

    long line(int i) {
        return rows.get(i).origin().line();
    }

    static ByteArrayInputStream bytes(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    static ByteArrayInputStream bytes(byte[]... parts) throws IOException {
        var out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) out.write(p);
        return new ByteArrayInputStream(out.toByteArray());
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
