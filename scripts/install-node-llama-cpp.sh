#!/usr/bin/env bash
# Installs llama.cpp's prebuilt CPU binaries (the npm package node-llama-cpp, pinned) into
# ~/.cache/tune4j/node-llama-cpp, where LlamaCppParityTest looks for them. Best effort: without
# npm, on a platform with no prebuilt package, or when the install fails or runs over 5 minutes,
# it says so and the test skips with a message. Nothing is built and no install script runs.
set -u
VERSION=3.21.1
DIR="$HOME/.cache/tune4j/node-llama-cpp"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) PLATFORM=linux-x64 ;;
  Linux-aarch64) PLATFORM=linux-arm64 ;;
  Darwin-arm64) PLATFORM=mac-arm64-metal ;;
  Darwin-x86_64) PLATFORM=mac-x64 ;;
  *) echo "install-node-llama-cpp: no prebuilt llama.cpp for $(uname -s)-$(uname -m); LlamaCppParityTest will skip"; exit 0 ;;
esac
if grep -qs "\"version\": \"$VERSION\"" "$DIR/node_modules/node-llama-cpp/package.json"; then
  echo "install-node-llama-cpp: node-llama-cpp $VERSION already in $DIR"
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "install-node-llama-cpp: npm not found; LlamaCppParityTest will skip"
  exit 0
fi
mkdir -p "$DIR"
[ -f "$DIR/package.json" ] || echo '{"private": true}' > "$DIR/package.json"
start=$(date +%s)
if timeout 300 npm install --prefix "$DIR" --no-audit --no-fund --ignore-scripts --omit=optional --save-exact \
    "node-llama-cpp@$VERSION" "@node-llama-cpp/$PLATFORM@$VERSION" > "$DIR/install.log" 2>&1; then
  echo "install-node-llama-cpp: node-llama-cpp $VERSION ($PLATFORM) in $DIR: $(( $(date +%s) - start )) s, $(du -sh "$DIR/node_modules" | cut -f1)"
else
  echo "install-node-llama-cpp: npm install failed or timed out after $(( $(date +%s) - start )) s (see $DIR/install.log); LlamaCppParityTest will skip"
fi
exit 0
