package dev.tune4j.data;

/**
 * Where a row came from: the input file as given and its 1-based line (for Parquet: the 1-based
 * row number). Every kept or rejected row carries one, so a report line can always be traced back.
 */
public record Origin(String file, long line) {
    @Override
    public String toString() {
        return file + ":" + line;
    }
}
