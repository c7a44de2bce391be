package dev.tune4j.data.input;

import dev.tune4j.data.Reject;

/** Receives the rows of an input file in order, and a reject for every record that could not be read. */
public interface RowSink {
    void row(RawRow row);

    void reject(Reject reject);
}
