package dev.tune4j.tensor;

import java.util.Arrays;

/** Small helpers for shapes (int arrays, outermost dimension first). */
public final class Shape {
    private Shape() {}

    public static long numel(int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + str(shape));
            n *= d;
        }
        return n;
    }

    public static String str(int... shape) {
        return Arrays.toString(shape);
    }

    /** Throws a clear error naming the op and the shapes involved. */
    public static void check(boolean ok, String op, String what, int[]... shapes) {
        if (ok) return;
        StringBuilder sb = new StringBuilder(op).append(": ").append(what).append(" (shapes");
        for (int[] s : shapes) sb.append(' ').append(str(s));
        throw new IllegalArgumentException(sb.append(')').toString());
    }
}
