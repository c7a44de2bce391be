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

mvn -B -q -DskipTests package >&2
mvn -B -q test-compile >&2
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
# Medians of tokens/s and peak RSS per implementation, then the ratios.
awk '
  function num(key,   m) { return match($0, "\"" key "\":[0-9.]+") ? substr($0, RSTART + length(key) + 3, RLENGTH - length(key) - 3) + 0 : -1 }
  function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  /^\{/ {
    impl = $0 ~ /"impl":"libtorch/ ? "libtorch" : "tune4j"
    n[impl]++; tps[impl, n[impl]] = num("tokens_per_s"); rss[impl, n[impl]] = num("peak_rss_mb")
  }
  END {
    for (k = 1; k <= 2; k++) {
      impl = k == 1 ? "libtorch" : "tune4j"; runs = ""
      for (i = 1; i <= n[impl]; i++) { a[i] = tps[impl, i]; b[i] = rss[impl, i]; runs = runs sprintf(" %.1f", a[i]) }
      mt[impl] = median(a, n[impl]); mr[impl] = median(b, n[impl])
      printf "%-9s median %.1f tokens/s, peak RSS %.0f MB (runs:%s)\n", impl, mt[impl], mr[impl], runs
    }
    printf "ratio tune4j/libtorch: %.3f; memory tune4j/libtorch: %.2f\n", mt["tune4j"] / mt["libtorch"], mr["tune4j"] / mr["libtorch"]
  }' "$out"
