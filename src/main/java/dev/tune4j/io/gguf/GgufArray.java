package dev.tune4j.io.gguf;

import java.util.List;

/**
 * A GGUF array value: its element type and the elements, each carried as {@link GgufType} says
 * (a nested array as another GgufArray).
 */
public record GgufArray(GgufType elementType, List<?> items) {
    public GgufArray {
        if (elementType == null) throw new IllegalArgumentException("a GGUF array needs an element type");
        items = List.copyOf(items);
    }

    public int size() { return items.size(); }
}
