package dev.tune4j.data.input;

import java.util.Locale;

/** The input formats tune4j reads, recognised by file extension (a trailing {@code .gz} is decompressed). */
public enum InputFormat {
    JSONL, JSON, CSV, TSV, PARQUET, TEXT;

    /** The format a file name implies, or null when the extension is not one of ours. */
    public static InputFormat ofFileName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".gz")) n = n.substring(0, n.length() - 3);
        if (n.endsWith(".jsonl") || n.endsWith(".ndjson")) return JSONL;
        if (n.endsWith(".json")) return JSON;
        if (n.endsWith(".csv")) return CSV;
        if (n.endsWith(".tsv") || n.endsWith(".tab")) return TSV;
        if (n.endsWith(".parquet") || n.endsWith(".pq")) return PARQUET;
        if (n.endsWith(".txt") || n.endsWith(".text") || n.endsWith(".md")) return TEXT;
        return null;
    }

    public static InputFormat parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown input format '" + s + "' (expected one of jsonl, json, csv, tsv, parquet, text)");
        }
    }
}
