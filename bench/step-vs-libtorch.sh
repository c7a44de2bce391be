#!/usr/bin/env bash
# tune4j bench step against a libtorch harness of the same shapes (TorchStepBench), run
# alternately (libtorch, tune4j, libtorch, ...) so that load on a shared machine hits both alike.
#   bench/step-vs-libtorch.sh [ROUNDS] [options for both, e.g. --preset smollm2-135m --mode lora]
# Defaults: --batch 4 --seq 256 --threads 2; OMP_WAIT_POLICY=passive for libtorch, as in the issue.
# Prints each run's JSON line, then the medians of tokens/s and peak RSS and the ratio.
# Extra tune4j-only options go in TUNE4J_OPTS (e.g. TUNE4J_OPTS="--base-dtype bf16").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/find-jdk.sh
rounds="${1:-3}"
shift || true
opts=(--batch 4 --seq 256 --threads 2 "$@")

mvn -B -q -o -DskipTests package >&2
mvn -B -q -o test-compile >&2
[ -f target/test-cp.txt ] && [ target/test-cp.txt -nt pom.xml ] || \
  mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/test-cp.txt -Dmdep.includeScope=test >&2
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss8m)

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for i in $(seq "$rounds"); do
  OMP_WAIT_POLICY=passive "${java[@]}" -cp "target/classes:target/test-classes:$(cat target/test-cp.txt)" \
    dev.tune4j.bench.TorchStepBench "${opts[@]}" 2>/dev/null | tee -a "$out"
  ./tune4j bench step --json "${opts[@]}" ${TUNE4J_OPTS:-} 2>/dev/null | tee -a "$out"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
def med(impl, key):
    return statistics.median(r[key] for r in rows if r["impl"].startswith(impl))
for impl in ("libtorch", "tune4j"):
    runs = sorted(round(r["tokens_per_s"], 1) for r in rows if r["impl"].startswith(impl))
    print(f"{impl:9s} median {med(impl, 'tokens_per_s'):.1f} tokens/s, peak RSS {med(impl, 'peak_rss_mb'):.0f} MB (runs: {runs})")
print(f"ratio tune4j/libtorch: {med('tune4j', 'tokens_per_s') / med('libtorch', 'tokens_per_s'):.3f}; "
      f"memory tune4j/libtorch: {med('tune4j', 'peak_rss_mb') / med('libtorch', 'peak_rss_mb'):.2f}")
PY
