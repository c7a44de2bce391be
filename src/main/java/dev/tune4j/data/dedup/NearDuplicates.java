package dev.tune4j.data.dedup;

import dev.tune4j.kernel.Parallel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Near-duplicate detection: MinHash signatures, LSH banding to find candidate pairs, and an exact
 * Jaccard check of every candidate on the shingle sets themselves, so a pair is only ever called a
 * near duplicate when it truly is one (MinHash only decides which pairs are worth checking).
 *
 * <p>Clustering is greedy and has no chaining: rows are visited in order; a row not yet dropped
 * becomes a representative (it is kept) and drops every later candidate whose exact similarity to
 * <em>it</em> reaches the threshold. So every dropped row is at or above the threshold against the
 * kept row that replaced it, and no two kept rows that were candidates are at or above it.
 * Results depend on the rows, their order and the seed only (not on the thread count).
 */
public final class NearDuplicates {

    /**
     * @param unit       word or character shingles
     * @param shingle    shingle size (words or characters)
     * @param threshold  Jaccard similarity at or above which two rows are near duplicates
     * @param numPerm    MinHash functions
     * @param bands      LSH bands (0: chosen from threshold and numPerm, see {@link MinHash#bandsFor})
     * @param seed       seed of the hash functions
     */
    public record Config(Shingler.Unit unit, int shingle, double threshold, int numPerm, int bands, long seed) {
        /** Beyond these, signatures and shingles cost time and memory with nothing left to gain. */
        public static final int MAX_PERMUTATIONS = 1024, MAX_SHINGLE = 1000;

        public Config {
            if (shingle < 1 || shingle > MAX_SHINGLE) throw new IllegalArgumentException("shingle size must be in [1, " + MAX_SHINGLE + "], got " + shingle);
            if (!(threshold > 0 && threshold <= 1)) throw new IllegalArgumentException("near-duplicate threshold must be in (0, 1], got " + threshold);
            if (numPerm < 1 || numPerm > MAX_PERMUTATIONS) {
                throw new IllegalArgumentException("MinHash permutations must be in [1, " + MAX_PERMUTATIONS + "], got " + numPerm);
            }
            if (bands < 0 || bands > numPerm) throw new IllegalArgumentException("LSH bands must be in [1, " + numPerm + "] (the permutations), got " + bands);
        }

        /** A config with the shingles spelled as on the command line: {@code word:3} or {@code char:5}. */
        public static Config of(String shingles, double threshold, int numPerm, int bands, long seed) {
            String[] sh = shingles.split(":", -1);
            if (sh.length != 2 || !sh[1].strip().matches("\\d{1,9}")) {
                throw new IllegalArgumentException("shingles '" + shingles + "': expected word:N or char:N");
            }
            return new Config(Shingler.Unit.parse(sh[0].strip()), Integer.parseInt(sh[1].strip()), threshold, numPerm, bands, seed);
        }

        public static Config defaults() {
            return new Config(Shingler.Unit.WORD, 3, 0.8, 128, 0, 42);
        }

        public Config withThreshold(double t) {
            return new Config(unit, shingle, t, numPerm, bands, seed);
        }

        public int[] banding() {
            if (bands == 0) return MinHash.bandsFor(threshold, numPerm);
            return new int[] {bands, numPerm / bands};
        }
    }

    /** What deduplication decided for each row, with the work it took. */
    public record Result(int[] representative, float[] similarity, long candidatePairs, int dropped) {
        /** The kept row that replaced row i, or -1 when row i is kept. */
        public int representativeOf(int i) {
            return representative[i];
        }
    }

    /** A query row whose most similar reference row reaches the threshold. */
    public record Match(int row, int reference, double similarity) {}

    public final Config config;
    public final int bands, rowsPerBand;
    private final int n;
    // Shingle sets are not kept (they would be the largest thing in memory): the few rows that
    // become candidates are shingled again for the exact check.
    private final List<String> texts;
    private final Shingler shingler;
    private final long[][] tables;     // per band: (hash << 32 | row), sorted
    private final int[][] position;    // per band: row -> index in tables[band], -1 when the row has no shingles
    public final long indexNanos;

    private NearDuplicates(Config config, List<String> texts) {
        long t0 = System.nanoTime();
        this.config = config;
        int[] br = config.banding();
        this.bands = br[0];
        this.rowsPerBand = br[1];
        this.n = texts.size();
        this.texts = texts;
        this.shingler = new Shingler(config.unit(), config.shingle());
        int[] bandHash = new int[n * bands];
        boolean[] empty = new boolean[n];
        MinHash minHash = new MinHash(config.numPerm(), config.seed());
        Parallel.forRange(n, 64, (start, end) -> {
            int[] sig = new int[config.numPerm()];
            for (int i = start; i < end; i++) {
                long[] sh = shingler.shingles(texts.get(i));
                empty[i] = sh.length == 0;
                minHash.signature(sh, sig);
                for (int b = 0; b < bands; b++) {
                    long h = 0x9E3779B97F4A7C15L * (b + 1);
                    for (int r = 0; r < rowsPerBand; r++) h = Shingler.mix64(h ^ (sig[b * rowsPerBand + r] & 0xFFFFFFFFL));
                    bandHash[i * bands + b] = (int) (h ^ (h >>> 32));
                }
            }
        });
        this.tables = new long[bands][];
        this.position = new int[bands][];
        int nonEmpty = 0;
        for (boolean e : empty) if (!e) nonEmpty++;
        final int m = nonEmpty;
        Parallel.forRange(bands, 1, (start, end) -> {
            for (int b = start; b < end; b++) {
                long[] keys = new long[m];
                int k = 0;
                for (int i = 0; i < n; i++) {
                    if (empty[i]) continue;                     // nothing to compare: never a near duplicate
                    keys[k++] = ((long) bandHash[i * bands + b] << 32) | i;
                }
                Arrays.sort(keys);
                int[] pos = new int[n];
                Arrays.fill(pos, -1);
                for (int q = 0; q < m; q++) pos[(int) keys[q]] = q;
                tables[b] = keys;
                position[b] = pos;
            }
        });
        this.indexNanos = System.nanoTime() - t0;
    }

    /** Shingles, signs and bands every text (in parallel). The list is kept (not copied) for the exact checks. */
    public static NearDuplicates index(List<String> texts, Config config) {
        if (!(config.threshold() > 0 && config.threshold() <= 1)) {
            throw new IllegalArgumentException("near-duplicate threshold must be in (0, 1], got " + config.threshold());
        }
        return new NearDuplicates(config, texts);
    }

    public int size() {
        return n;
    }

    /** Exact Jaccard similarity of rows i and j over their shingle sets. */
    public double jaccard(int i, int j) {
        return Shingler.jaccard(shingler.shingles(texts.get(i)), shingler.shingles(texts.get(j)));
    }

    private boolean empty(int i) {
        return position[0][i] < 0;
    }

    /** Greedy clustering over all rows in order: see the class comment. */
    public Result deduplicate() {
        int[] rep = new int[n];
        Arrays.fill(rep, -1);
        float[] sim = new float[n];
        int[] stamp = new int[n];
        Arrays.fill(stamp, -1);
        long candidates = 0;
        int dropped = 0;
        double t = config.threshold();
        for (int i = 0; i < n; i++) {
            if (rep[i] != -1 || empty(i)) continue;
            long[] mine = null;
            for (int b = 0; b < bands; b++) {
                long[] keys = tables[b];
                int p = position[b][i];
                int h = (int) (keys[p] >>> 32);
                for (int q = p + 1; q < keys.length && (int) (keys[q] >>> 32) == h; q++) {
                    int j = (int) keys[q];                  // j > i: rows are sorted within a bucket
                    if (rep[j] != -1 || stamp[j] == i) continue;
                    stamp[j] = i;
                    candidates++;
                    if (mine == null) mine = shingler.shingles(texts.get(i));
                    double s = Shingler.jaccard(mine, shingler.shingles(texts.get(j)));
                    if (s >= t) {
                        rep[j] = i;
                        sim[j] = (float) s;
                        dropped++;
                    }
                }
            }
        }
        return new Result(rep, sim, candidates, dropped);
    }

    /**
     * For each query row (role 1), its most similar reference row (role 0) at or above the
     * threshold among the LSH candidates; rows with role -1 take no part. Used by the leakage check.
     */
    public List<Match> crossMatches(byte[] role) {
        if (role.length != n) throw new IllegalArgumentException("crossMatches: " + role.length + " roles for " + n + " rows");
        List<Match> out = new ArrayList<>();
        int[] stamp = new int[n];
        Arrays.fill(stamp, -1);
        double t = config.threshold();
        for (int i = 0; i < n; i++) {
            if (role[i] != 1 || empty(i)) continue;
            long[] mine = null;
            int best = -1;
            double bestSim = -1;
            for (int b = 0; b < bands; b++) {
                long[] keys = tables[b];
                int p = position[b][i];
                int h = (int) (keys[p] >>> 32);
                int q = p;
                while (q > 0 && (int) (keys[q - 1] >>> 32) == h) q--;
                for (; q < keys.length && (int) (keys[q] >>> 32) == h; q++) {
                    int j = (int) keys[q];
                    if (role[j] != 0 || stamp[j] == i) continue;
                    stamp[j] = i;
                    if (mine == null) mine = shingler.shingles(texts.get(i));
                    double s = Shingler.jaccard(mine, shingler.shingles(texts.get(j)));
                    if (s >= t && (s > bestSim || s == bestSim && j < best)) {
                        best = j;
                        bestSim = s;
                    }
                }
            }
            if (best >= 0) out.add(new Match(i, best, bestSim));
        }
        return out;
    }
}
