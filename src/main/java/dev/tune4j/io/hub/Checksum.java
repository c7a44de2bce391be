package dev.tune4j.io.hub;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The digest a downloaded file must have: SHA-256 of the content for an LFS file (the Hub's
 * {@code lfs.sha256}, also its ETag), or for a file stored in git the blob id, SHA-1 of
 * {@code "blob <size>\0"} followed by the content.
 */
record Checksum(String algorithm, String hex, byte[] prefix) {

    static Checksum sha256(String hex) {
        return new Checksum("SHA-256", hex.toLowerCase(Locale.ROOT), new byte[0]);
    }

    static Checksum gitBlob(String hex, long size) {
        return new Checksum("SHA-1", hex.toLowerCase(Locale.ROOT), ("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII));
    }

    /** A digest primed with the prefix, ready for the content. */
    MessageDigest start() {
        try {
            MessageDigest d = MessageDigest.getInstance(algorithm);
            d.update(prefix);
            return d;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is missing from this JDK", e);
        }
    }

    /** The finished digest in hex. */
    static String hex(MessageDigest finished) {
        return HexFormat.of().formatHex(finished.digest());
    }

    String label() {
        return algorithm.equals("SHA-1") ? "git blob id" : algorithm;
    }
}
