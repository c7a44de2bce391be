package dev.tune4j.io;

import dev.tune4j.tensor.Tensor;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One safetensors file, memory-mapped read-only. The header is read and validated with plain
 * reads before anything is mapped; the data buffer is then mapped once into a shared arena owned
 * by this object, and every tensor is a slice of it ({@link Tensor#wrap}), so opening a multi-GB
 * checkpoint copies nothing. Tensors must not be used after {@link #close()}.
 */
public final class SafetensorsFile implements Checkpoint {
    private final Path path;
    private final SafetensorsHeader header;
    private final Arena arena;
    private final MemorySegment data;
    private final Path registryKey;
    private final Set<String> names;
    private volatile boolean closed;

    private SafetensorsFile(Path path, SafetensorsHeader header, Arena arena, MemorySegment data, Path registryKey) {
        this.path = path;
        this.header = header;
        this.arena = arena;
        this.data = data;
        this.registryKey = registryKey;
        this.names = Collections.unmodifiableSet(new TreeSet<>(header.tensors().keySet()));
    }

    /** Opens and validates {@code file}; throws {@link FileFormatException} naming file and tensor when malformed. */
    public static SafetensorsFile open(Path file) throws IOException {
        String source = file.toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) SafetensorsHeader.checkLength(source, size, 0); // throws: no room for the prefix
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, prefix, 0, source);
            long n = prefix.getLong(0);
            SafetensorsHeader.checkLength(source, size, n);
            ByteBuffer json = ByteBuffer.allocate((int) n);
            readFully(ch, json, 8, source);
            SafetensorsHeader header = SafetensorsHeader.parse(source, size, n, json.array());

            Arena arena = Arena.ofShared();
            try {
                long dataLength = size - header.dataStart();
                MemorySegment data = dataLength == 0 ? MemorySegment.ofArray(new byte[0])
                        : ch.map(FileChannel.MapMode.READ_ONLY, header.dataStart(), dataLength, arena);
                return new SafetensorsFile(file, header, arena, data, MappedFiles.acquire(file));
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long position, String source) throws IOException {
        while (dst.hasRemaining()) {
            int r = ch.read(dst, position + dst.position());
            if (r < 0) throw new EOFException(source + ": file shrank while its header was read");
        }
    }

    public Path path() { return path; }

    public SafetensorsHeader header() { return header; }

    @Override
    public Set<String> names() { return names; }

    @Override
    public boolean contains(String name) { return header.tensors().containsKey(name); }

    @Override
    public TensorInfo info(String name) {
        TensorInfo t = header.tensors().get(name);
        if (t == null) {
            throw new IllegalArgumentException(path + ": no tensor '" + name + "' (the file holds " + names.size()
                    + " tensors" + (names.isEmpty() ? "" : ", e.g. '" + names.iterator().next() + "'") + ")");
        }
        return t;
    }

    @Override
    public Tensor tensor(String name) {
        TensorInfo t = info(name);
        return Tensor.wrap(slice(t), t.engineDType(path.toString()), t.shape());
    }

    @Override
    public MemorySegment bytes(String name) {
        return slice(info(name));
    }

    private MemorySegment slice(TensorInfo t) {
        if (closed) throw new IllegalStateException(path + " is closed; its tensors cannot be read any more");
        return data.asSlice(t.begin(), t.byteSize());
    }

    @Override
    public Map<String, String> metadata() { return header.metadata(); }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            arena.close();
        } finally {
            MappedFiles.release(registryKey);
        }
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + names.size() + " tensors]";
    }
}
