package dev.tune4j.model;

import dev.tune4j.autograd.Parameter;
import dev.tune4j.autograd.Var;
import dev.tune4j.nn.Linear;
import dev.tune4j.nn.Module;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.Transformer;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A sequence classifier of any family: a {@link Transformer} backbone, a pooling of its last hidden
 * states to one vector per sequence, and a head producing one logit per class. Implemented by the
 * modules themselves ({@code bert.BertClassifier}, {@link DecoderClassifier}), so {@link #module()}
 * is the object itself: the tree whose parameters a trainer optimises and a checkpoint saves.
 */
public interface SequenceClassifier {

    /** How a classifier reduces [B, T, hidden] to [B, hidden]. */
    enum Pooling {
        /** BERT's [CLS] token through the tanh pooler (BertForSequenceClassification). */
        CLS,
        /** The mean over tokens whose attention mask is 1, no pooler (a tune4j BERT option; not a transformers class). */
        MEAN,
        /** The last token whose attention mask is 1 (Llama/Qwen2/Mistral/GPT2ForSequenceClassification). */
        LAST_TOKEN
    }

    /** Class logits [B, numLabels]. */
    Var logits(TokenBatch batch);

    ClassLabels classLabels();

    /** Class names in id order (config.json's id2label). */
    default java.util.List<String> labels() { return classLabels().names(); }

    default int numLabels() { return classLabels().size(); }

    Pooling pooling();

    /** The transformer whose hidden states are pooled. */
    Transformer backbone();

    /** The layer producing the logits (BERT's classifier, a decoder's score): what a fresh head re-initialises. */
    Linear output();

    /** This classifier as a module (the object itself). */
    Module module();

    /** Every parameter outside the backbone (pooler, classifier or score), by full name in {@link #module()}. */
    default Map<String, Parameter> headParameters() {
        Set<Parameter> backbone = new HashSet<>(backbone().parameters());
        Map<String, Parameter> head = new LinkedHashMap<>();
        module().namedParameters().forEach((name, p) -> {
            if (!backbone.contains(p)) head.put(name, p);
        });
        return head;
    }
}
