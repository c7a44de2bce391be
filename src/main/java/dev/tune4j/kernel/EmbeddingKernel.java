package dev.tune4j.kernel;

import dev.tune4j.tensor.Storage;

/** Row gather from an embedding table, and its backward, a deterministic scatter-add. */
public final class EmbeddingKernel {
    private EmbeddingKernel() {}

    /**
     * out[i, :] = table[ids[i], :]. The table is read through {@link Storage#read}, so a frozen
     * F16/BF16 memory-mapped table is upcast row by row, never copied whole. Ids must be validated.
     */
    public static void gather(Storage table, int dim, int[] ids, float[] out) {
        Parallel.forRange(ids.length, Math.max(1, 4096 / Math.max(1, dim)), (s, e) -> {
            for (int i = s; i < e; i++) table.read((long) ids[i] * dim, out, i * dim, dim);
        });
    }

    /**
     * dTable[ids[i], :] += dOut[i, :] for every i. Each thread owns a range of table rows and walks
     * all ids in order, so a repeated id's contributions are added in position order whatever the
     * thread count, with no two threads writing the same row.
     */
    public static void scatterAdd(int[] ids, float[] dOut, float[] dTable, int vocab, int dim) {
        Parallel.forRange(vocab, Math.max(1, vocab / 64), (v0, v1) -> {
            for (int i = 0; i < ids.length; i++) {
                int id = ids[i];
                if (id >= v0 && id < v1) Elementwise.axpy(1f, dOut, i * dim, dTable, id * dim, dim);
            }
        });
    }
}
