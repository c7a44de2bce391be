#!/usr/bin/env bash
# Instruction tuning on real instructions: the self-instruct seed tasks (../shared/data) on a decoder
# (default: the small Llama that `tune4j bench forgetting` pre-trains). Trains twice, without and with
# packing, and reports the held-out masked (response-only) loss before and after, the throughput, and
# how many held-out answers end with the end-of-turn token.
#   bench/sft-self-instruct.sh [MODEL] [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-runs/forgetting/pretrain/model}
OUT=${2:-runs/sft-self-instruct}
DATA=${DATA:-../shared/data/self-instruct-seed-tasks.jsonl}
[ -f "$DATA" ] || { echo "no $DATA (the shared data sets)"; exit 1; }
mkdir -p "$OUT"
echo "task: sft" > "$OUT/recipe.yaml"
for packing in false true; do
  run="$OUT/packing-$packing"
  ./tune4j train "$OUT/recipe.yaml" --overwrite --json \
    --set model="$MODEL" --set task=sft --set data.train="$DATA" --set data.validation=0.15 --set data.max_length=128 \
    --set method=full --set optimizer.lr=5e-4 --set train.epochs=8 --set train.batch_size=8 --set sft.packing=$packing \
    --set eval.samples='["Give me three tips for staying focused."]' --set eval.sample_tokens=40 \
    --set output="$run" > "$run.log"
  jq -r --arg p "$packing" '"packing \($p): held-out response loss \(.validation_before.loss|.*1000|round/1000) -> \(.validation.loss|.*1000|round/1000); \(.sft.loss_token_fraction*100|round)% of tokens carry loss; \(.timing.train_s|round) s training, \(.timing.tokens_per_s|round) tokens/s (rows incl. padding)\(if .sft.packed_rows then ", \(.sft.packed_rows) packed rows, fill \(.sft.packing_fill*100|round)%" else "" end)"' "$run/results.json"
done
# held-out instructions through the chat template, greedy: does the answer end with the end-of-turn token?
# (those short enough to leave room for an answer in the model's context)
mapfile -t prompts < <(jq -r '.instruction + (if .input != "" then "\n\n" + .input else "" end) | gsub("\n"; " ") | select(length < 200)' \
  "$OUT/packing-false/data/validation.jsonl")
./tune4j generate --model "$OUT/packing-false" --chat --max-new-tokens 64 --json --prompt "${prompts[@]}" > "$OUT/generations.jsonl"
jq -s '"held-out answers ending with the end-of-turn token: \(map(select(.finish == "eos")) | length) of \(length)"' -r "$OUT/generations.jsonl"
