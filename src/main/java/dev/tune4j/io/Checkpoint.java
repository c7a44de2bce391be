package dev.tune4j.io;

import dev.tune4j.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Set;

/**
 * Named weight tensors read from disk (one safetensors file or a sharded folder). Tensors are
 * views of memory-mapped files, not copies: they stay valid only until {@link #close()}. Using a
 * tensor after its checkpoint is closed throws {@link IllegalStateException} (never a crash); copy
 * what must outlive it with {@link Tensor#toHeap()}. The mapping is shared, so worker threads may
 * read the tensors concurrently.
 */
public interface Checkpoint extends AutoCloseable {

    /** All tensor names, sorted. */
    Set<String> names();

    default boolean contains(String name) { return names().contains(name); }

    /** The header entry of a tensor; throws naming the checkpoint when absent. */
    TensorInfo info(String name);

    /** The tensor as a zero-copy view (F32, F16 or BF16); other dtypes throw naming file, tensor and dtype. */
    Tensor tensor(String name);

    /** The tensor's raw little-endian bytes, for any dtype (e.g. I64 position ids). */
    MemorySegment bytes(String name);

    /** The string metadata ({@code __metadata__} of a file, {@code metadata} of a shard index). */
    Map<String, String> metadata();

    /** Unmaps the files; tensors obtained from this checkpoint must not be used afterwards. */
    @Override
    void close();
}
