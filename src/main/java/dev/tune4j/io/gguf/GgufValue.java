package dev.tune4j.io.gguf;

import java.util.List;

/** One metadata value with its GGUF type; {@link GgufType} says how each type is carried in Java. */
public record GgufValue(GgufType type, Object value) {
    public GgufValue {
        check(type, value, "value");
    }

    public static GgufValue string(String s) { return new GgufValue(GgufType.STRING, s); }

    public static GgufValue u32(long v) { return new GgufValue(GgufType.UINT32, v); }

    public static GgufValue i32(long v) { return new GgufValue(GgufType.INT32, v); }

    public static GgufValue f32(double v) { return new GgufValue(GgufType.FLOAT32, (float) v); }

    public static GgufValue bool(boolean v) { return new GgufValue(GgufType.BOOL, v); }

    public static GgufValue array(GgufType elementType, List<?> items) {
        return new GgufValue(GgufType.ARRAY, new GgufArray(elementType, items));
    }

    /** The value as a long; an error unless it is an integer type. */
    public long asLong() {
        if (!type.isInteger()) throw new IllegalStateException("a GGUF " + type + " is not an integer");
        return (Long) value;
    }

    /** The value as a double, from any integer or float type. */
    public double asDouble() {
        if (value instanceof Number n) return n.doubleValue();
        throw new IllegalStateException("a GGUF " + type + " is not a number");
    }

    public String asString() {
        if (type != GgufType.STRING) throw new IllegalStateException("a GGUF " + type + " is not a string");
        return (String) value;
    }

    public GgufArray asArray() {
        if (type != GgufType.ARRAY) throw new IllegalStateException("a GGUF " + type + " is not an array");
        return (GgufArray) value;
    }

    static void check(GgufType type, Object value, String what) {
        boolean ok = switch (type) {
            case FLOAT32 -> value instanceof Float;
            case FLOAT64 -> value instanceof Double;
            case BOOL -> value instanceof Boolean;
            case STRING -> value instanceof String;
            case ARRAY -> value instanceof GgufArray;
            default -> value instanceof Long l && type.fits(l);
        };
        if (!ok) {
            throw new IllegalArgumentException("GGUF " + what + " " + describe(value) + " is not a " + type
                    + (type.isInteger() ? " (a Long in range)" : ""));
        }
        if (value instanceof GgufArray a) {
            for (Object item : a.items()) check(a.elementType(), item, "array element");
        }
    }

    private static String describe(Object v) {
        return v == null ? "null" : v.getClass().getSimpleName() + " " + (v instanceof String s && s.length() > 40 ? s.substring(0, 40) + "..." : v);
    }
}
