package dev.tune4j.data.input;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.data.Origin;

/** One parsed input record: its fields as they were in the file, before any schema mapping. */
public record RawRow(Origin origin, ObjectNode fields) {}
