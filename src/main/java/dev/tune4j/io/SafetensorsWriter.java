package dev.tune4j.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.tensor.DType;
import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Storage;
import dev.tune4j.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Writes safetensors files the way the reference implementation lays them out: header keys
 * {@code __metadata__} first, tensors ordered by descending element size then name, data in the
 * same order, the JSON padded with spaces to a multiple of 8 bytes so every tensor starts aligned.
 * Values are converted from float32 on the way out (BF16 rounds to nearest even).
 *
 * <p>Every file is written atomically: into a temporary file in the same folder, forced to disk,
 * then renamed over the target. A failure at any point (full disk, a tensor source that throws)
 * deletes the temporary file and leaves the previous file untouched. A target that an open
 * checkpoint of this process has memory-mapped is refused.
 *
 * <p>Tensors may be given lazily ({@link #add(String, int[], DType, Supplier)}): each is
 * materialised only while it is written, e.g. to merge adapters layer by layer without holding a
 * second copy of the model.
 */
public final class SafetensorsWriter {
    private static final int CHUNK_ELEMENTS = 1 << 16;
    private static final Pattern SHARD_NAME = Pattern.compile("model-\\d{5}-of-\\d{5}\\.safetensors");

    private record Entry(String name, int[] shape, DType dtype, Supplier<Tensor> source) {
        long byteSize() { return Shape.numel(shape) * dtype.byteSize; }
    }

    private final DType defaultDtype;
    private final Map<String, String> metadata = new TreeMap<>();
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    /** A writer whose tensors are stored as {@code dtype} unless given another; metadata {"format": "pt"}. */
    public SafetensorsWriter(DType dtype) {
        this.defaultDtype = dtype;
        metadata.put("format", "pt");
    }

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public SafetensorsWriter add(String name, Tensor tensor) {
        return add(name, tensor, defaultDtype);
    }

    public SafetensorsWriter add(String name, Tensor tensor, DType dtype) {
        return add(name, tensor.shape(), dtype, () -> tensor);
    }

    /** Adds a tensor produced by {@code source} while the file is written; it must have {@code shape}. */
    public SafetensorsWriter add(String name, int[] shape, DType dtype, Supplier<Tensor> source) {
        if (name.equals("__metadata__")) throw new IllegalArgumentException("'__metadata__' is reserved and cannot name a tensor");
        Shape.numel(shape);
        if (entries.putIfAbsent(name, new Entry(name, shape.clone(), dtype, source)) != null) {
            throw new IllegalArgumentException("tensor '" + name + "' was added twice");
        }
        return this;
    }

    /** Writes all tensors into one file, atomically. */
    public void write(Path file) throws IOException {
        writeFile(file, sorted(new ArrayList<>(entries.values())), metadata);
    }

    /**
     * Writes the tensors into {@code folder} as shards of at most {@code maxShardBytes} of tensor
     * data each (a larger tensor gets a shard of its own), named {@code model-00001-of-0000N.safetensors},
     * plus {@value Safetensors#INDEX_FILE}. When everything fits in one shard it writes
     * {@value Safetensors#SINGLE_FILE} alone, as Hugging Face does. Each file is atomic, the set
     * of files is not (shards first, index last). Afterwards the weight files of an earlier write
     * that this one does not use ({@code model-*-of-*.safetensors}, {@value Safetensors#INDEX_FILE},
     * {@value Safetensors#SINGLE_FILE}) are deleted, as {@code save_pretrained} does: do not
     * export into the folder of a base model you want to keep.
     *
     * @return the files written, index last
     */
    public List<Path> writeSharded(Path folder, long maxShardBytes) throws IOException {
        if (maxShardBytes <= 0) throw new IllegalArgumentException("maxShardBytes must be positive, got " + maxShardBytes);
        Files.createDirectories(folder);
        List<List<Entry>> shards = new ArrayList<>();
        List<Entry> current = new ArrayList<>();
        long currentBytes = 0;
        for (Entry e : entries.values()) {   // insertion order keeps a layer's tensors together
            if (!current.isEmpty() && currentBytes + e.byteSize() > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(e);
            currentBytes += e.byteSize();
        }
        if (!current.isEmpty() || shards.isEmpty()) shards.add(current);

        List<Path> written = new ArrayList<>();
        if (shards.size() == 1) {
            Path single = folder.resolve(Safetensors.SINGLE_FILE);
            writeFile(single, sorted(shards.getFirst()), metadata);
            written.add(single);
        } else {
            Map<String, String> weightMap = new TreeMap<>();
            long total = 0;
            for (int i = 0; i < shards.size(); i++) {
                String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
                Path shard = folder.resolve(name);
                writeFile(shard, sorted(shards.get(i)), metadata);
                written.add(shard);
                for (Entry e : shards.get(i)) {
                    weightMap.put(e.name(), name);
                    total += e.byteSize();
                }
            }
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode index = mapper.createObjectNode();
            index.putObject("metadata").put("total_size", total);
            ObjectNode map = index.putObject("weight_map");
            weightMap.forEach(map::put);
            byte[] json = mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(index);
            Path indexFile = folder.resolve(Safetensors.INDEX_FILE);
            atomicWrite(indexFile, ch -> writeAll(ch, ByteBuffer.wrap(json)));
            written.add(indexFile);
        }
        removeStale(folder, written);
        return written;
    }

    private static void removeStale(Path folder, List<Path> written) throws IOException {
        List<Path> stale = new ArrayList<>();
        try (var s = Files.list(folder)) {
            s.filter(p -> !written.contains(p))
                    .filter(p -> SHARD_NAME.matcher(p.getFileName().toString()).matches()
                            || p.getFileName().toString().equals(Safetensors.INDEX_FILE)
                            || p.getFileName().toString().equals(Safetensors.SINGLE_FILE))
                    .forEach(stale::add);
        }
        // Unlinking a mapped file is safe (the mapping keeps the old pages); only overwriting in place is not.
        for (Path p : stale) Files.deleteIfExists(p);
    }

    /** Reference order: larger elements first (keeps every tensor aligned to its element size), then by name. */
    private static List<Entry> sorted(List<Entry> list) {
        list.sort(Comparator.comparingInt((Entry e) -> -e.dtype().byteSize).thenComparing(Entry::name));
        return list;
    }

    static byte[] header(List<Entry> list, Map<String, String> metadata) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Entry e : list) {
            ObjectNode t = root.putObject(e.name());
            t.put("dtype", e.dtype().safetensorsName);
            ArrayNode shape = t.putArray("shape");
            for (int d : e.shape()) shape.add(d);
            t.putArray("data_offsets").add(offset).add(offset + e.byteSize());
            offset += e.byteSize();
        }
        byte[] json;
        try {
            json = mapper.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    private static void writeFile(Path file, List<Entry> list, Map<String, String> metadata) throws IOException {
        byte[] header = header(list, metadata);
        atomicWrite(file, ch -> {
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            writeAll(ch, prefix);
            writeAll(ch, ByteBuffer.wrap(header));
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK_ELEMENTS * 4).order(ByteOrder.LITTLE_ENDIAN);
            float[] chunk = new float[CHUNK_ELEMENTS];
            for (Entry e : list) writeTensor(ch, e, buf, chunk, file);
            long expected = 8 + header.length + list.stream().mapToLong(Entry::byteSize).sum();
            if (ch.position() != expected) {
                throw new IOException(file + ": wrote " + ch.position() + " bytes, expected " + expected);
            }
        });
    }

    private static void writeTensor(FileChannel ch, Entry e, ByteBuffer buf, float[] chunk, Path file) throws IOException {
        Tensor t = e.source().get();
        if (t == null || !Arrays.equals(t.shape(), e.shape())) {
            throw new IllegalArgumentException(file + ": tensor '" + e.name() + "' was declared with shape "
                    + Shape.str(e.shape()) + " but its source gave " + (t == null ? "null" : Shape.str(t.shape())));
        }
        Storage storage = t.storage();
        if (storage instanceof Storage.Segment seg && seg.dtype() == e.dtype()) {
            // Same dtype on both sides: copy the stored bytes as they are.
            MemorySegment bytes = seg.segment();
            long chunkBytes = (long) CHUNK_ELEMENTS * 4 * 16;
            for (long off = 0; off < bytes.byteSize(); off += chunkBytes) {
                writeAll(ch, bytes.asSlice(off, Math.min(chunkBytes, bytes.byteSize() - off)).asByteBuffer());
            }
            return;
        }
        long n = t.numel();
        for (long start = 0; start < n; start += CHUNK_ELEMENTS) {
            int len = (int) Math.min(CHUNK_ELEMENTS, n - start);
            storage.read(start, chunk, 0, len);
            buf.clear();
            switch (e.dtype()) {
                case F32 -> buf.asFloatBuffer().put(chunk, 0, len);
                case BF16 -> { for (int i = 0; i < len; i++) buf.putShort(i * 2, DType.f32ToBf16(chunk[i])); }
                case F16 -> { for (int i = 0; i < len; i++) buf.putShort(i * 2, DType.f32ToF16(chunk[i])); }
            }
            buf.limit(len * e.dtype().byteSize);
            writeAll(ch, buf);
        }
    }

    private static void writeAll(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) ch.write(buf);
    }

    @FunctionalInterface
    interface Body {
        void write(FileChannel ch) throws IOException;
    }

    /**
     * Writes through a temporary file next to {@code target}, forces it to disk and renames it
     * over the target; on any failure the temporary file is deleted and the target left as it was.
     */
    static void atomicWrite(Path target, Body body) throws IOException {
        if (MappedFiles.isMapped(target)) {
            throw new IllegalStateException("refusing to write " + target + ": an open checkpoint of this process"
                    + " has it memory-mapped; close that checkpoint first or write to another path");
        }
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + target.getFileName() + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                body.write(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
            syncDirectory(dir);
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
    }

    /** Makes the rename itself durable; not every platform lets a directory be opened, so best effort. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // the data is on disk; only the directory entry's durability is left to the OS
        }
    }
}
