package dev.tune4j.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A parsed and fully validated safetensors header. Layout of the format: 8 bytes little-endian
 * unsigned header length N, N bytes of UTF-8 JSON, then the data buffer; each tensor's
 * {@code data_offsets} are relative to the start of that buffer. Validation follows the reference
 * implementation: every dtype known, every byte range matching dtype x shape, ranges contiguous
 * from 0 and together covering the data buffer exactly (so a truncated file is caught here).
 */
public record SafetensorsHeader(long headerLength, Map<String, String> metadata, Map<String, TensorInfo> tensors) {

    /** The reference implementation refuses larger headers; so do we (a huge N means corruption). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    /** Element sizes of every dtype the format defines (tensors of any of them can be mapped as bytes). */
    static final Map<String, Integer> DTYPE_BYTES = Map.ofEntries(
            Map.entry("BOOL", 1), Map.entry("U8", 1), Map.entry("I8", 1),
            Map.entry("F8_E5M2", 1), Map.entry("F8_E4M3", 1), Map.entry("F8_E8M0", 1),
            Map.entry("I16", 2), Map.entry("U16", 2), Map.entry("F16", 2), Map.entry("BF16", 2),
            Map.entry("I32", 4), Map.entry("U32", 4), Map.entry("F32", 4),
            Map.entry("F64", 8), Map.entry("I64", 8), Map.entry("U64", 8), Map.entry("C64", 8));

    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    public SafetensorsHeader {
        metadata = Collections.unmodifiableMap(metadata);
        tensors = Collections.unmodifiableMap(tensors);
    }

    /** Absolute file offset of the data buffer. */
    public long dataStart() { return 8 + headerLength; }

    /** Size of the data buffer (the last tensor's end offset). */
    public long dataLength() {
        long end = 0;
        for (TensorInfo t : tensors.values()) end = Math.max(end, t.end());
        return end;
    }

    /**
     * Validates the length prefix against the file size before anything is read: {@code headerLength}
     * is the raw little-endian u64 (negative here means above 2^63).
     */
    static void checkLength(String source, long fileSize, long headerLength) {
        if (fileSize < 8) {
            throw new FileFormatException(source, null, "truncated: the file has " + fileSize
                    + " bytes, fewer than the 8-byte header length prefix");
        }
        if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
            throw new FileFormatException(source, null, "header length " + Long.toUnsignedString(headerLength)
                    + " is beyond the " + MAX_HEADER_BYTES + "-byte limit (corrupt length prefix or not a safetensors file)");
        }
        if (8 + headerLength > fileSize) {
            throw new FileFormatException(source, null, "truncated: the header claims " + headerLength
                    + " bytes but only " + (fileSize - 8) + " follow the length prefix");
        }
    }

    /** Parses the JSON header and checks every entry against the {@code fileSize}. */
    static SafetensorsHeader parse(String source, long fileSize, long headerLength, byte[] json) {
        checkLength(source, fileSize, headerLength);
        JsonNode root;
        try {
            root = STRICT.readTree(json);
        } catch (JsonProcessingException e) {
            throw new FileFormatException(source, null, "header is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (java.io.IOException e) {
            throw new FileFormatException(source, null, "header cannot be read: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new FileFormatException(source, null, "header is not a JSON object");
        }
        Map<String, String> metadata = new TreeMap<>();
        List<TensorInfo> list = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            if (e.getKey().equals("__metadata__")) {
                readMetadata(source, e.getValue(), metadata);
            } else {
                list.add(readTensor(source, e.getKey(), e.getValue()));
            }
        }
        long dataLength = fileSize - 8 - headerLength;
        list.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long expected = 0;
        for (TensorInfo t : list) {
            if (t.begin() != expected) {
                throw new FileFormatException(source, t.name(), t.begin() < expected
                        ? "data_offsets [" + t.begin() + ", " + t.end() + "] overlap the previous tensor, which ends at " + expected
                        : "data_offsets [" + t.begin() + ", " + t.end() + "] leave a gap after byte " + expected + " of the data buffer");
            }
            if (t.end() > dataLength) {
                throw new FileFormatException(source, t.name(), "data_offsets [" + t.begin() + ", " + t.end()
                        + "] run past the end of the file: the data buffer holds " + dataLength + " bytes (truncated file?)");
            }
            expected = t.end();
        }
        if (expected != dataLength) {
            throw new FileFormatException(source, null, "the tensors cover " + expected + " bytes but the data buffer holds "
                    + dataLength + " (extra bytes after the last tensor)");
        }
        Map<String, TensorInfo> byName = new LinkedHashMap<>();
        for (TensorInfo t : list) byName.put(t.name(), t);
        return new SafetensorsHeader(headerLength, metadata, byName);
    }

    private static void readMetadata(String source, JsonNode node, Map<String, String> into) {
        if (node.isNull()) return;
        if (!node.isObject()) throw new FileFormatException(source, "__metadata__", "must be a JSON object of strings");
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new FileFormatException(source, "__metadata__", "value of '" + e.getKey() + "' is not a string");
            }
            into.put(e.getKey(), e.getValue().textValue());
        }
    }

    private static TensorInfo readTensor(String source, String name, JsonNode node) {
        if (!node.isObject()) throw new FileFormatException(source, name, "entry is not a JSON object");
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new FileFormatException(source, name, "missing or non-string 'dtype'");
        }
        String dtype = dtypeNode.textValue();
        Integer elementBytes = DTYPE_BYTES.get(dtype);
        if (elementBytes == null) {
            throw new FileFormatException(source, name, "unknown dtype '" + dtype + "' (the format defines "
                    + new TreeMap<>(DTYPE_BYTES).keySet() + "; tensors load as F32, F16, BF16)");
        }
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw new FileFormatException(source, name, "missing or non-array 'shape'");
        }
        int[] shape = new int[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || d.bigIntegerValue().signum() < 0) {
                throw new FileFormatException(source, name, "shape " + shapeNode + " has a dimension that is not a non-negative integer");
            }
            if (!d.canConvertToInt()) {
                throw new FileFormatException(source, name, "shape " + shapeNode + " has a dimension above " + Integer.MAX_VALUE);
            }
            shape[i] = d.intValue();
        }
        JsonNode offsets = node.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2
                || !offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()
                || !offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()) {
            throw new FileFormatException(source, name, "'data_offsets' must be an array of two integers, got " + offsets);
        }
        long begin = offsets.get(0).longValue(), end = offsets.get(1).longValue();
        if (begin < 0 || end < begin) {
            throw new FileFormatException(source, name, "data_offsets " + offsets + " are negative or reversed");
        }
        long bytes;
        try {
            long n = 1;
            for (int d : shape) n = Math.multiplyExact(n, d);
            bytes = Math.multiplyExact(n, (long) elementBytes);
        } catch (ArithmeticException e) {
            throw new FileFormatException(source, name, "shape " + shapeNode + " overflows a 64-bit byte count");
        }
        if (end - begin != bytes) {
            throw new FileFormatException(source, name, "data_offsets " + offsets + " span " + (end - begin)
                    + " bytes but " + dtype + " " + shapeNode + " needs " + bytes);
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }
}
