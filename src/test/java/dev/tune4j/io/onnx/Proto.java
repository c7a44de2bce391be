package dev.tune4j.io.onnx;

import com.google.protobuf.CodedOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Builds protobuf messages for tests with protobuf's own wire-format writer. */
final class Proto {
    interface Body {
        void write(CodedOutputStream out) throws IOException;
    }

    private Proto() {}

    static byte[] msg(Body body) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            body.write(out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A packed repeated int64 field. */
    static void packedInt64(CodedOutputStream out, int field, long... values) throws IOException {
        out.writeByteArray(field, msg(o -> { for (long v : values) o.writeInt64NoTag(v); }));
    }

    static void packedFloat(CodedOutputStream out, int field, float... values) throws IOException {
        out.writeByteArray(field, msg(o -> { for (float v : values) o.writeFloatNoTag(v); }));
    }

    static void packedInt32(CodedOutputStream out, int field, int... values) throws IOException {
        out.writeByteArray(field, msg(o -> { for (int v : values) o.writeInt32NoTag(v); }));
    }

    static void packedDouble(CodedOutputStream out, int field, double... values) throws IOException {
        out.writeByteArray(field, msg(o -> { for (double v : values) o.writeDoubleNoTag(v); }));
    }
}
