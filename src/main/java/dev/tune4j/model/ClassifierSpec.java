package dev.tune4j.model;

import java.util.List;

/**
 * The sequence classifier to make of a pre-trained model ({@link PretrainedModel#classifier(ClassifierSpec)}).
 *
 * @param labels    class names in id order
 * @param pooling   null for the family's own (CLS for BERT, LAST_TOKEN for decoders); MEAN is a BERT option
 * @param freshHead start the output layer (classifier / score) afresh even when the checkpoint has one;
 *                  needed to replace a classifier checkpoint's head that has other labels
 * @param seed      seeds the init of every head weight the checkpoint does not supply
 */
public record ClassifierSpec(List<String> labels, SequenceClassifier.Pooling pooling, boolean freshHead, long seed) {

    public ClassifierSpec {
        labels = new ClassLabels(labels).names();
    }

    /** The family's pooling, the checkpoint's head when it has these labels, seed 42. */
    public static ClassifierSpec of(List<String> labels) {
        return new ClassifierSpec(labels, null, false, 42);
    }

    public ClassifierSpec withPooling(SequenceClassifier.Pooling p) {
        return new ClassifierSpec(labels, p, freshHead, seed);
    }

    public ClassifierSpec withFreshHead(boolean fresh) {
        return new ClassifierSpec(labels, pooling, fresh, seed);
    }

    public ClassifierSpec withSeed(long s) {
        return new ClassifierSpec(labels, pooling, freshHead, s);
    }
}
