#!/usr/bin/env bash
# Kill a training run at random moments with SIGKILL, resume it each time, and check that it ends
# with the same weights, bit for bit, as a run never interrupted.
#
#   bench/kill-resume.sh [KILLS] [WORKDIR]        (defaults: 20 kills, a fresh folder under /tmp)
#
# The run: LoRA (with dropout) on the built-in MiniLM, a small two-topic data set made here,
# gradient accumulation 2, early stopping on validation loss, a checkpoint after every update.
# Most kills fall at a random moment (startup, data preparation, an update, an evaluation, a
# checkpoint write); every fourth waits for a checkpoint write to begin and kills it half-way.
# When a killed run has completed before all kills are done, another one starts from scratch;
# every completed run is compared with the reference (adapter bytes and metrics.jsonl less its
# timings). Exit status 0 when all of them are equal.
set -euo pipefail
kills=${1:-20}
work=${2:-$(mktemp -d /tmp/tune4j-kill-resume.XXXXXX)}
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$work"
cd "$work"
# One thread count for every run: a bit-exact resume needs the same reduction order.
export TUNE4J_JAVA_OPTS="-Dtune4j.threads=${TUNE4J_THREADS:-2}"

"$root/tune4j" --version > /dev/null # builds the jar when the sources changed
now() { date +%s.%N; }

awk 'BEGIN {
  split("invoice payment overdue account balance refund billing transfer", money, " ");
  split("football match goal league striker referee season stadium", sport, " ");
  split("the our about this please again today news", filler, " ");
  srand(7);
  for (i = 0; i < 200; i++) {
    c = i % 2; t = "";
    n = 6 + int(rand() * 10);
    for (w = 0; w < n; w++) {
      k = 1 + int(rand() * 8);
      t = t (rand() < 0.33 ? filler[k] : (c == 0 ? money[k] : sport[k])) " ";
    }
    printf "{\"body\": \"%s#%d\", \"topic\": \"%s\"}\n", t, i, (c == 0 ? "money" : "sport");
  }
}' > topics.jsonl

recipe() { # output folder
  cat <<EOF
model: builtin:all-minilm-l6-v2
data: {train: topics.jsonl, validation: 0.2, text_field: body, label_field: topic, max_length: 32}
method: lora
lora: {dropout: 0.1}
optimizer: {lr: 0.002}
train: {epochs: 3, batch_size: 8, grad_accumulation: 2}
eval: {every: 3, metric: loss, early_stopping_patience: 3}
checkpoint: {every: 1, keep: 2}
log: {every: 1}
output: $1
EOF
}
recipe ref > ref.yaml
recipe killed > killed.yaml

strip() { sed -E 's/,?"(elapsed_s|tokens_per_s)":[^,}]*//g' "$1"; }

echo "kill-resume: reference run" >&2
start=$(now)
"$root/tune4j" train ref.yaml --overwrite > ref.log 2>&1
span=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
echo "kill-resume: the reference took ${span}s; $kills kills follow" >&2

done_kills=0 in_write=0 resumes=0 runs=0 equal=0 different=0
fresh=1
while :; do
  if [ "$fresh" = 1 ]; then args=(killed.yaml --overwrite); else args=(killed.yaml --resume); resumes=$((resumes + 1)); fi
  "$root/tune4j" train "${args[@]}" >> killed.log 2>&1 &
  pid=$!
  killed=0
  if [ "$done_kills" -lt "$kills" ]; then
    if [ $((done_kills % 4)) = 3 ]; then
      # wait (up to the reference's duration) for a checkpoint write to begin, then kill it
      deadline=$(awk -v a="$(now)" -v s="$span" 'BEGIN { printf "%.3f", a + s }')
      while kill -0 "$pid" 2>/dev/null && awk -v a="$(now)" -v d="$deadline" 'BEGIN { exit !(a < d) }'; do
        if compgen -G "killed/checkpoints/.step-*.tmp-*" > /dev/null; then break; fi
        sleep 0.002
      done
    else
      sleep "$(awk -v s="$span" -v r="$RANDOM" 'BEGIN { printf "%.2f", 0.3 + (r / 32767) * s * 0.6 }')"
    fi
    if kill -9 "$pid" 2>/dev/null; then
      killed=1
      done_kills=$((done_kills + 1))
    fi
  fi
  status=0
  { wait "$pid"; } 2> /dev/null || status=$? # (no "Killed" notice from the shell)
  if [ "$killed" = 1 ]; then
    if compgen -G "killed/checkpoints/.step-*.tmp-*" > /dev/null; then in_write=$((in_write + 1)); where="during a checkpoint write"; else where=""; fi
    newest=$(ls killed/checkpoints 2>/dev/null | grep -E '^step-[0-9]+$' | sort -t- -k2 -n | tail -1 || true)
    echo "kill-resume: kill $done_kills $where (newest checkpoint: ${newest:-none})" >&2
    # killed before any checkpoint: nothing to resume, so the run starts again
    if [ -n "$newest" ]; then fresh=0; else fresh=1; fi
    continue
  fi
  if [ "$status" != 0 ]; then echo "kill-resume: the run failed (status $status); see $work/killed.log" >&2; exit 1; fi
  runs=$((runs + 1))
  if cmp -s ref/adapter/adapter_model.safetensors killed/adapter/adapter_model.safetensors \
      && diff -q <(strip ref/metrics.jsonl) <(strip killed/metrics.jsonl) > /dev/null; then
    equal=$((equal + 1)); verdict="equal"
  else
    different=$((different + 1)); verdict="DIFFERENT"
  fi
  echo "kill-resume: completed run $runs: adapter and metrics $verdict to the reference" >&2
  if [ "$done_kills" -ge "$kills" ]; then break; fi
  fresh=1
done
echo "kill-resume: $done_kills SIGKILLs ($in_write during a checkpoint write), $resumes resumes, $runs completed runs: $equal equal, $different different (work folder $work)"
[ "$different" = 0 ]
