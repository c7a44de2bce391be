#!/usr/bin/env python3
"""Interleaved tune4j vs numpy GEMM comparison, for BENCHMARKS.md.

The machine may be shared, so the two are run alternately, size by size, for several rounds.
"GFLOP/s" is the median over rounds of each run's median; "paired ratio" is the median
over rounds of tune4j/numpy within the round (the two ran back to back); "best" is the fastest
single call over all rounds (least disturbed by other load):
    python3 bench/compare_gemm.py --rounds 5 > /tmp/gemm.md
Needs the jar (mvn -B -q -DskipTests package) and numpy. Raw JSON lines go to stderr.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES = [(1024, 768, 768), (1024, 3072, 768), (1024, 768, 3072), (2048, 2048, 2048)]


def run(cmd, env=None):
    out = subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    rows = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    for r in rows:
        print(json.dumps(r), file=sys.stderr, flush=True)
    return rows


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--runs", type=int, default=9)
    args = p.parse_args()
    results = {}  # (impl, layout, m, n, k, threads) -> [median gflops per round]
    best = {}  # same key -> [best gflops per round]
    for rnd in range(args.rounds):
        for t in [int(x) for x in args.threads.split(",")]:
            for m, n, k in SIZES:
                size = ["--m", str(m), "--n", str(n), "--k", str(k)]
                ours = run([os.path.join(ROOT, "tune4j"), "bench", "gemm", *size, "--threads", str(t),
                            "--runs", str(args.runs), "--json"])
                theirs = run([sys.executable, os.path.join(ROOT, "bench", "numpy_gemm.py"), *size,
                              "--threads", str(t), "--runs", str(args.runs)])
                for impl, rows in (("tune4j", ours), ("numpy", theirs)):
                    for r in rows:
                        key = (impl, r["layout"], r["m"], r["n"], r["k"], r["threads"])
                        results.setdefault(key, []).append(r["gflops"])
                        best.setdefault(key, []).append(r["gflops_best"])
        print(f"round {rnd + 1}/{args.rounds} done", file=sys.stderr, flush=True)

    print("| m × n × k | layout | threads | tune4j GFLOP/s | numpy GFLOP/s | ratio | paired ratio | tune4j best | numpy best |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for t in [int(x) for x in args.threads.split(",")]:
        for m, n, k in SIZES:
            for layout in ("nn", "nt", "tn"):
                key = (layout, m, n, k, t)
                ours = statistics.median(results[("tune4j",) + key])
                theirs = statistics.median(results[("numpy",) + key])
                ours_best = max(best[("tune4j",) + key])
                theirs_best = max(best[("numpy",) + key])
                paired = statistics.median(a / b for a, b in zip(results[("tune4j",) + key], results[("numpy",) + key]))
                print(f"| {m} × {n} × {k} | {layout} | {t} | {ours:.1f} | {theirs:.1f} | {ours / theirs:.2f} "
                      f"| {paired:.2f} | {ours_best:.1f} | {theirs_best:.1f} |")


if __name__ == "__main__":
    main()
