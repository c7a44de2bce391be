package dev.tune4j.autograd;

import dev.tune4j.tensor.Shape;
import dev.tune4j.tensor.Tensor;

import java.lang.ref.SoftReference;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where ops get their output tensors ({@link #allocate}), so that one forward serves training and
 * inference. While a tape records, an output is a fresh tensor, kept alive by the backward steps
 * that read it. With no tape and a scratch scope open, it is a buffer reused from this thread's
 * pool, not zeroed (every op overwrites all of its output): a forward then costs no fresh array per
 * op, which the JVM would zero. With no tape and no scope, it is a fresh tensor again.
 *
 * <p>Lifetime rule: a buffer handed out while a scope is the innermost one open on this thread
 * belongs to that scope, and returns to the pool when the scope closes, to be overwritten by the
 * next op that asks for one of its size. A value that must outlive the scope goes through
 * {@link #keep}, which hands its buffer to the enclosing scope, or from the outermost scope to the
 * caller for good (it never returns to the pool). So a module that opens a scope returns only
 * kept values, and nothing may hold a value that was not kept past its scope's end:
 * {@code try (Scratch scratch = Scratch.open()) { Var y = ...; return scratch.keep(y); }}.
 * Under a tape, scopes own nothing, so {@link #keep} changes nothing. In place: an elementwise op
 * whose caller never reads its input again may write over it ({@link #overwrite}), but only with
 * no tape and when the input is a temporary of the innermost scope.
 *
 * <p>Scopes belong to the thread that opened them and close innermost first. The pool keeps the
 * buffers of the last outermost scope's sizes, softly held, so memory pressure can reclaim them.
 */
public final class Scratch implements AutoCloseable {
    private static final ThreadLocal<Scratch> INNERMOST = new ThreadLocal<>();
    private static final ThreadLocal<SoftReference<Pool>> POOL = new ThreadLocal<>();

    private final Scratch enclosing;
    private final List<float[]> owned = new ArrayList<>();
    private boolean closed;

    private Scratch(Scratch enclosing) {
        this.enclosing = enclosing;
    }

    /** Opens a scope on this thread until the returned one is closed. */
    public static Scratch open() {
        Scratch s = new Scratch(INNERMOST.get());
        INNERMOST.set(s);
        return s;
    }

    /**
     * An op's output tensor: a pooled buffer with arbitrary contents when no tape records and a
     * scope is open (the op must write every element), else a fresh zeroed tensor.
     */
    public static Tensor allocate(int... shape) {
        Scratch s = INNERMOST.get();
        if (s == null || Tape.current() != null) return Tensor.zeros(shape);
        long n = Shape.numel(shape);
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("tensor too large for a heap array: " + Shape.str(shape));
        float[] buffer = pool().take((int) n);
        s.owned.add(buffer);
        return Tensor.of(buffer, shape);
    }

    /**
     * The output tensor of an elementwise op whose caller never reads x again: x's own tensor, so
     * that the op works in place, when no tape records (none keeps x for a backward) and x is a
     * buffer of the innermost scope (a temporary, not a weight or a caller's value); else
     * {@link #allocate}. In place, a forward reads and writes one buffer rather than two, which
     * for the MLP's wide activations is memory traffic a forward feels.
     */
    public static Tensor overwrite(Var x) {
        Scratch s = INNERMOST.get();
        if (s == null || Tape.current() != null || !x.value().isHeap()) return allocate(x.shape());
        float[] buffer = x.data();
        for (float[] b : s.owned) if (b == buffer) return x.value();
        return allocate(x.shape());
    }

    /**
     * Lets v outlive this scope: its buffer, if this scope owns it, moves to the enclosing scope, or
     * leaves the pool for good when this scope is the outermost. Returns v.
     */
    public Var keep(Var v) {
        if (closed) throw new IllegalStateException("keep on a closed scratch scope");
        if (!v.value().isHeap()) return v;
        float[] buffer = v.data();
        for (int i = owned.size() - 1; i >= 0; i--) {
            if (owned.get(i) == buffer) {
                owned.remove(i);
                if (enclosing != null) enclosing.owned.add(buffer);
                break;
            }
        }
        return v;
    }

    /** Returns the buffers this scope still owns to the pool. */
    @Override
    public void close() {
        if (closed) return;
        if (INNERMOST.get() != this) throw new IllegalStateException("scratch scopes must close innermost first");
        closed = true;
        if (enclosing == null) INNERMOST.remove();
        else INNERMOST.set(enclosing);
        Pool pool = pool();
        for (float[] b : owned) pool.give(b);
        owned.clear();
        if (enclosing == null) pool.keepOnlyUsedSizes();
    }

    private static Pool pool() {
        SoftReference<Pool> ref = POOL.get();
        Pool p = ref == null ? null : ref.get();
        if (p == null) {
            p = new Pool();
            POOL.set(new SoftReference<>(p));
        }
        return p;
    }

    /** Free buffers by length, the most recently freed (cache-warm) first. */
    private static final class Pool {
        final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
        /** Lengths asked for since the last outermost scope closed. */
        final Set<Integer> used = new HashSet<>();

        float[] take(int n) {
            used.add(n);
            ArrayDeque<float[]> q = free.get(n);
            float[] b = q == null ? null : q.poll();
            return b != null ? b : new float[n];
        }

        void give(float[] b) {
            free.computeIfAbsent(b.length, k -> new ArrayDeque<>()).push(b);
        }

        /** Drops the sizes the last forward did not use (e.g. an earlier batch's sequence length). */
        void keepOnlyUsedSizes() {
            free.keySet().retainAll(used);
            used.clear();
        }
    }
}
