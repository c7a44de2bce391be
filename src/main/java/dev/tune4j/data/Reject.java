package dev.tune4j.data;

/**
 * A row that did not make it into the output, with the rule that dropped it.
 *
 * @param reason     the rule's name as counted in the report (e.g. {@code malformed}, {@code near_duplicates})
 * @param detail     a human sentence: what exactly was wrong
 * @param origin     the row's file and line
 * @param content    the row as far as it was understood: a JSON object, or the raw text of a malformed line
 * @param keptOrigin for duplicates: the row that was kept in its place (else null)
 * @param similarity for near duplicates and conflicts: Jaccard similarity to {@code keptOrigin} (else NaN)
 */
public record Reject(String reason, String detail, Origin origin, Object content, Origin keptOrigin, double similarity) {
    public Reject(String reason, String detail, Origin origin, Object content) {
        this(reason, detail, origin, content, null, Double.NaN);
    }
}
