#!/usr/bin/env bash
# The fine-tuning study, one JVM per arm so that each arm's peak RSS is its own:
#   bench/study.sh [DATA] [MAX_LENGTHS] [ARMS]
# e.g. bench/study.sh ../shared/data/spam-assassin.jsonl 128 ngram,head,lora,partial,full,scratch
# Prints one JSON line per arm (see `tune4j bench study --help`); every arm trains on the same split.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-../shared/data/spam-assassin.jsonl}"
lengths="${2:-128}"
arms="${3:-ngram,head,lora,partial,full,scratch}"
[ -f "$data" ] || { echo "study: $data not found (the SpamAssassin file lives in ../shared/data)" >&2; exit 1; }
./tune4j --version >/dev/null
for len in ${lengths//,/ }; do
  for arm in ${arms//,/ }; do
    ./tune4j bench study --data "$data" --max-length "$len" --arms "$arm" --epochs "${EPOCHS:-4}" --out "${OUT:-runs/study}" --json 2>/dev/null
  done
done
