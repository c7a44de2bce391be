package dev.tune4j.audit;

/**
 * One fold of cross-validation: a model trained on some rows only, then asked for the class
 * probabilities of the rows it did not see. {@link LabelAudit} calls it once per fold.
 */
public interface FoldModel {
    /**
     * @param train   rows to train on (indices into the audited rows)
     * @param heldOut rows to predict
     * @param fold    the fold's number (for seeds and names)
     * @return probabilities [heldOut.length][classes], each row summing to 1
     */
    double[][] fitPredict(int[] train, int[] heldOut, int fold);
}
