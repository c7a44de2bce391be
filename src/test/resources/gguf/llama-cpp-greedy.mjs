// Loads a GGUF in llama.cpp (through node-llama-cpp's prebuilt CPU binaries), evaluates the given
// prompt token ids, decodes greedily, and prints one JSON line:
//   {"llama_cpp": "<release>", "generated": [ids...], "next": [[[id, p], ...], ...], "tokenized": [ids...]}
// "next" holds, for every prompt position, llama.cpp's probability of each vocabulary id it lists being
// the next token (teacher-forced on the prompt); "tokenized" is llama.cpp's own tokenization of TEXT
// (special tokens parsed), when TEXT is given.
//
// usage: node llama-cpp-greedy.mjs NODE_LLAMA_CPP_DIR MODEL.gguf PROMPT_IDS(comma-separated) N [TEXT]
import {pathToFileURL} from "node:url";
import {join} from "node:path";
import {readFileSync} from "node:fs";

const [dir, modelPath, promptArg, nArg, text] = process.argv.slice(2);
if (!dir || !modelPath || !promptArg || !nArg) {
    console.error("usage: node llama-cpp-greedy.mjs NODE_LLAMA_CPP_DIR MODEL.gguf PROMPT_IDS N [TEXT]");
    process.exit(2);
}
const {getLlama, LlamaLogLevel} = await import(pathToFileURL(join(dir, "dist", "index.js")).href);
const release = JSON.parse(readFileSync(join(dir, "llama", "binariesGithubRelease.json"), "utf8")).release;

// Prebuilt binaries only: never build, never download, CPU only.
const llama = await getLlama({gpu: false, build: "never", skipDownload: true, usePrebuiltBinaries: true, logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath});
// An F32 KV cache (llama.cpp keeps F16 by default), so that F32 files compare with our float32 forward.
const context = await model.createContext({contextSize: 128, batchSize: 128, threads: 1, flashAttention: false,
    experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32"});
const sequence = context.getSequence();

const prompt = promptArg.split(",").map(Number);
const generated = [];
for await (const token of sequence.evaluate(prompt, {temperature: 0})) {
    generated.push(token);
    if (generated.length >= Number(nArg)) break;
}
await sequence.clearHistory();
const forced = await sequence.controlledEvaluate(prompt.map((t) => [t, {generateNext: {probabilities: true}}]));
const next = forced.map((r) => [...r.next.probabilities.entries()]);
const tokenized = text === undefined ? null : model.tokenize(text, true);
console.log(JSON.stringify({llama_cpp: release, generated, next, tokenized}));
await context.dispose();
await model.dispose();
await llama.dispose();
