package dev.tune4j.data.input;

import dev.tune4j.data.Origin;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * Parquet through DuckDB's embedded engine (its JDBC driver ships the native library): each row is
 * turned into JSON by DuckDB itself, so nested columns (lists of {role, content} structs for chat
 * data) arrive in the same shape as from a JSONL file. Results are streamed, not materialised.
 * The "line" of a Parquet row is its 1-based row number.
 */
final class ParquetFormat {
    private ParquetFormat() {}

    static void read(Path path, String file, RowSink sink) throws SQLException {
        Properties props = new Properties();
        props.setProperty("jdbc_stream_results", "true");
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:", props)) {
            try (Statement s = c.createStatement()) {
                s.execute("SET preserve_insertion_order = true");
            }
            try (PreparedStatement p = c.prepareStatement("SELECT to_json(t)::VARCHAR FROM read_parquet(?) t")) {
                p.setString(1, path.toAbsolutePath().toString());
                try (ResultSet rs = p.executeQuery()) {
                    long row = 0;
                    while (rs.next()) {
                        row++;
                        JsonRows.parse(rs.getString(1), new Origin(file, row), 1, sink);
                    }
                }
            }
        }
    }
}
