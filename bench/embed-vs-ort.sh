#!/usr/bin/env bash
# tune4j bench embed against ONNX Runtime on the same ONNX file, batch and thread count, run
# alternately (ORT, tune4j, ORT, tune4j, ...) so that load on a shared machine hits both alike.
#   bench/embed-vs-ort.sh [ROUNDS] [extra options for both, e.g. --batch 32 --seq 128 --threads 2]
# Prints each run's JSON line, then the median tokens/s of each and their ratio.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/find-jdk.sh
rounds="${1:-5}"
shift || true
opts=("$@")

mvn -B -q -DskipTests package >&2
mvn -B -q test-compile >&2
[ -f target/test-cp.txt ] && [ target/test-cp.txt -nt pom.xml ] || \
  mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/test-cp.txt -Dmdep.includeScope=test >&2
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss8m)

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for i in $(seq "$rounds"); do
  "${java[@]}" -cp "target/classes:target/test-classes:$(cat target/test-cp.txt)" dev.tune4j.bench.OrtEmbedBench "${opts[@]}" 2>/dev/null | tee -a "$out"
  ./tune4j bench embed --json "${opts[@]}" 2>/dev/null | tee -a "$out"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
ort = [r["tokens_per_s"] for r in rows if r["impl"].startswith("onnxruntime")]
t4j = [r["tokens_per_s"] for r in rows if r["impl"] == "tune4j"]
mo, mt = statistics.median(ort), statistics.median(t4j)
print(f"onnxruntime: median {mo:.0f} tokens/s (runs: {sorted(ort)})")
print(f"tune4j:      median {mt:.0f} tokens/s (runs: {sorted(t4j)})")
print(f"ratio tune4j/onnxruntime: {mt / mo:.3f} (best vs best: {max(t4j) / max(ort):.3f})")
PY
