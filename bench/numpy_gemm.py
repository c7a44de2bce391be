#!/usr/bin/env python3
"""numpy float32 matmul throughput, the reference for `tune4j bench gemm`.

Thread count must be fixed before numpy loads OpenBLAS, so each count runs in its own process:
    python3 bench/numpy_gemm.py                 # 1 and 2 threads, each in a child process
    python3 bench/numpy_gemm.py --threads 2 --m 1024 --n 768 --k 768 --layout nt
Prints one JSON object per result: layout, m, n, k, threads, gflops (median of runs).
"""
import argparse
import json
import os
import subprocess
import sys
import time

SIZES = [(1024, 768, 768), (1024, 3072, 768), (1024, 768, 3072), (2048, 2048, 2048)]
LAYOUTS = ["nn", "nt", "tn"]


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, action="append")
    p.add_argument("--m", type=int)
    p.add_argument("--n", type=int)
    p.add_argument("--k", type=int)
    p.add_argument("--layout", default="all", choices=["all"] + LAYOUTS)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--runs", type=int, default=9)
    return p.parse_args()


def run_in_process(args, threads):
    import numpy as np  # imported only here, after the thread count is in the environment

    sizes = SIZES if args.m is None else [(args.m, args.n or args.m, args.k or args.m)]
    layouts = LAYOUTS if args.layout == "all" else [args.layout]
    rng = np.random.default_rng(0)
    for m, n, k in sizes:
        for layout in layouts:
            # Operands stored as the layout says: nt takes b as [n, k], tn takes a as [k, m].
            a = rng.standard_normal((k, m) if layout == "tn" else (m, k), dtype=np.float32)
            b = rng.standard_normal((n, k) if layout == "nt" else (k, n), dtype=np.float32)
            f = {"nn": lambda: a @ b, "nt": lambda: a @ b.T, "tn": lambda: a.T @ b}[layout]
            for _ in range(args.warmup):
                f()
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                f()
                times.append(time.perf_counter() - t0)
            times.sort()
            med = times[len(times) // 2]
            print(json.dumps({"layout": layout, "m": m, "n": n, "k": k, "threads": threads,
                              "gflops": round(2.0 * m * n * k / med / 1e9, 2),
                              "gflops_best": round(2.0 * m * n * k / times[0] / 1e9, 2), "impl": "numpy"}), flush=True)


def main():
    args = parse()
    threads = args.threads or [1, 2]
    if os.environ.get("_NUMPY_GEMM_CHILD"):
        run_in_process(args, threads[0])
        return
    for t in threads:
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(t), OMP_NUM_THREADS=str(t), _NUMPY_GEMM_CHILD="1")
        argv = [a for a in sys.argv[1:]]
        # the child gets exactly one --threads
        clean, skip = [], False
        for a in argv:
            if skip:
                skip = False
                continue
            if a == "--threads":
                skip = True
                continue
            if a.startswith("--threads="):
                continue
            clean.append(a)
        subprocess.run([sys.executable, __file__, "--threads", str(t)] + clean, env=env, check=True)


if __name__ == "__main__":
    main()
