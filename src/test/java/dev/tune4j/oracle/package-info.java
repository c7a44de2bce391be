/**
 * An independent reference ("oracle") for tune4j's transformer engine, written with libtorch
 * through the bytedeco Java bindings (test scope only). It shares no code with the engine: plain
 * Java arrays go in and come out, and every computation is spelled out from its definition in
 * float64 torch ops.
 *
 * <h2>Inputs</h2>
 * A {@link dev.tune4j.oracle.Checkpoint}: the config.json map plus float32 weights and shapes keyed
 * by the real Hugging Face tensor names. {@link dev.tune4j.oracle.RandomCheckpoints} builds small
 * random ones for the families llama, llama3, qwen2, mistral, gpt2 and bert, and the decoders'
 * *ForSequenceClassification ({@code classifier});
 * {@link dev.tune4j.oracle.RealCheckpoints#allMiniLmL6V2()} recovers the packaged all-MiniLM-L6-v2
 * weights under their Hugging Face names.
 *
 * <h2>Entry points</h2>
 * <ul>
 *   <li>{@link dev.tune4j.oracle.LlamaOracle}: {@code layer(ckpt, i, hidden, shape, upstream)},
 *       {@code logits(ckpt, ids, upstream)}, {@code loss(ckpt, ids, targets)} for Llama 2/3,
 *       Mistral and Qwen2 checkpoints, and {@code classify(ckpt, ids, lengths, labels, classWeights)}
 *       for their *ForSequenceClassification (last real token, score, class-weighted cross-entropy);</li>
 *   <li>{@link dev.tune4j.oracle.Gpt2Oracle}: the same four for GPT-2;</li>
 *   <li>{@link dev.tune4j.oracle.LossOracle#crossEntropy}: libtorch's own fused cross_entropy (with
 *       class weights, ignore index, mean or sum) and its gradient;</li>
 *   <li>{@link dev.tune4j.oracle.BertOracle}: {@code layer(ckpt, i, hidden, shape, mask, upstream)}
 *       and {@code encode(ckpt, ids, mask, types, pooling, normalize, upstream)};</li>
 *   <li>{@link dev.tune4j.oracle.Rope#inverseFrequencies}: RoPE frequencies (default, linear, llama3).</li>
 *   <li>LoRA (PEFT's maths, {@code LoraTerm}): Llama and GPT-2 layers whose checkpoint holds
 *       {@code <module>.lora_A.weight} / {@code .lora_B.weight} add scaling · (x·Aᵀ)·Bᵀ, with
 *       {@code lora_r}, {@code lora_alpha}, {@code use_rslora} in the config map;
 *       {@link dev.tune4j.oracle.RandomCheckpoints#withLora} adds random adapters.</li>
 * </ul>
 * Each returns an {@link dev.tune4j.oracle.OracleResult}: the output and its shape and, when an
 * upstream W is given (loss = sum(out * W)) or in loss mode (mean cross-entropy, -100 ignored), the
 * differentiated scalar, the gradient of every weight the computation used under its Hugging Face
 * name, and the gradient of the input hidden states. Pass null as upstream for forward only.
 *
 * <h2>Why it can be trusted</h2>
 * Its blocks match torch's fused ones (rms_norm, layer_norm, gelu, silu, scaled_dot_product_attention
 * with GQA and masks, cross_entropy); RoPE and llama3 frequencies match hand-worked values; every
 * gradient matches finite differences; whole models show causality, padding invariance and the GQA
 * head pairing; and its BERT reproduces ONNX Runtime on the real all-MiniLM-L6-v2 export.
 */
package dev.tune4j.oracle;
