package dev.tune4j.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.nn.Module;
import dev.tune4j.nn.Transformer;
import dev.tune4j.nn.TransformerConfig;
import dev.tune4j.tokenizer.Tokenizer;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A family of checkpoints sharing one layout: how its config.json becomes a TransformerConfig,
 * and how its tensor names map onto tune4j parameters. Adding a family is one class.
 */
public interface ModelFamily {

    String name();

    /** config.json "architectures" values this family loads. */
    Set<String> architectures();

    /** config.json "model_type" values this family loads. */
    Set<String> modelTypes();

    TransformerConfig config(HfConfig hf);

    /**
     * The module a checkpoint of this config loads into: the {@link Transformer} itself, or a task
     * model holding it (a {@link SequenceClassifier} when {@link #isSequenceClassifier}); {@link #weights}
     * names its parameters.
     */
    default Module build(TransformerConfig config, HfConfig hf) {
        return new Transformer(config);
    }

    /** The shape of each parameter of {@link #build}'s module, by name, without building it (so loading checks a checkpoint first). */
    default Map<String, int[]> parameterShapes(TransformerConfig config, HfConfig hf) {
        return Transformer.parameterShapes(config);
    }

    /** The checkpoint-to-engine name mapping for a model of this config (parameter names of {@link #build}'s module). */
    List<WeightRule> weights(TransformerConfig config, HfConfig hf);

    /** A config.json for saving (starts from the loaded one when there was one). */
    ObjectNode toConfigJson(TransformerConfig config, HfConfig loaded);

    /** The name a checkpoint tensor is looked up by (e.g. without an optional model prefix). */
    default String canonicalName(String hfName) {
        return hfName;
    }

    /**
     * The name a tensor has in the state dict of the Hugging Face class this config loads as
     * (its "architectures"), from the name {@link #weights} uses: e.g. BertForSequenceClassification
     * holds the encoder under "bert.". PEFT adapters are keyed by these names.
     */
    default String stateDictName(String ruleName, HfConfig hf) {
        return ruleName;
    }

    /** LoRA's target modules when none are given: Hugging Face module names (empty: none, the user must choose). */
    default List<String> defaultLoraTargets() {
        return List.of();
    }

    /** Checkpoint tensors that carry no weights (e.g. cached attention masks) and may be ignored. */
    default boolean ignorable(String hfName) {
        return false;
    }

    /** Whether config.json describes a sequence classifier of this family ({@link #build} then returns a {@link SequenceClassifier}). */
    default boolean isSequenceClassifier(HfConfig hf) {
        return false;
    }

    /**
     * The config.json of this family's sequence classifier with {@code labels} over the backbone
     * {@code base} describes: the base's keys with the classifier's architectures, id2label/label2id,
     * and whatever else its Hugging Face class needs (pad_token_id for decoders).
     *
     * @param pooling   null for the family's own (CLS for BERT, LAST_TOKEN for decoders)
     * @param tokenizer the model's tokenizer, or null
     */
    default ObjectNode classifierConfig(HfConfig base, ClassLabels labels, SequenceClassifier.Pooling pooling, Tokenizer tokenizer) {
        throw new IllegalArgumentException("the " + name() + " family has no sequence classifier");
    }

    /**
     * The name Hugging Face's class for config {@code hf} saves a tensor under, given the name its
     * rule looks it up by (rules use {@link #canonicalName}s, which may drop a prefix the class writes).
     */
    default String savedName(String ruleName, HfConfig hf) {
        return ruleName;
    }

    /** Files to save beside the weights, saying what config.json cannot (e.g. README.md for a tune4j-only head): name -> text. */
    default Map<String, String> exportNotes(HfConfig hf) {
        return Map.of();
    }
}
