package dev.tune4j.audit;

import dev.tune4j.autograd.ops.MeanPoolOp;
import dev.tune4j.data.collate.TokenRows;
import dev.tune4j.model.PretrainedModel;
import dev.tune4j.nn.TokenBatch;
import dev.tune4j.nn.Transformer;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The fast default of a label audit: the pre-trained model reads every text once (the mean of its
 * last hidden states over the real tokens, as sentence-transformers pools), and each fold trains
 * only a {@link SoftmaxHead} with L2 weight λ on those fixed embeddings. Minutes of encoding, then
 * seconds per fold.
 */
public final class HeadFolds implements FoldModel {
    private final float[][] features;
    private final int[] labels;
    private final int classes;
    private final double lambda;

    public HeadFolds(float[][] features, int[] labels, int classes, double lambda) {
        if (features.length != labels.length) throw new IllegalArgumentException(features.length + " embeddings for " + labels.length + " labels");
        this.features = features;
        this.labels = labels;
        this.classes = classes;
        this.lambda = lambda;
    }

    @Override
    public double[][] fitPredict(int[] train, int[] heldOut, int fold) {
        SoftmaxHead head = SoftmaxHead.fit(features, labels, train, classes, lambda);
        double[][] out = new double[heldOut.length][];
        for (int i = 0; i < heldOut.length; i++) out[i] = head.predict(features[heldOut[i]]);
        return out;
    }

    /**
     * Mean-pooled last hidden states of the model's backbone (any family), texts cut to
     * {@code maxLength} tokens, in input order. Texts are batched by length so little goes to padding.
     */
    public static float[][] embed(PretrainedModel model, List<String> texts, int maxLength, int batchSize) {
        Transformer backbone = model.model();
        TokenRows rows = TokenRows.encode(model.requireTokenizer(), texts, maxLength);
        Integer[] order = new Integer[rows.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> rows.row(i).length));
        float[][] out = new float[rows.size()][];
        boolean wasTraining = backbone.isTraining();
        backbone.train(false);
        try {
            int d = backbone.config.hidden;
            for (int from = 0; from < order.length; from += batchSize) {
                int[] idx = new int[Math.min(batchSize, order.length - from)];
                for (int i = 0; i < idx.length; i++) idx[i] = order[from + i];
                TokenBatch batch = rows.batch(idx);
                float[] pooled = MeanPoolOp.apply(backbone.hidden(batch), batch.attentionMask()).value().toHeap().data();
                for (int i = 0; i < idx.length; i++) out[idx[i]] = Arrays.copyOfRange(pooled, i * d, (i + 1) * d);
            }
        } finally {
            backbone.train(wasTraining);
        }
        return out;
    }
}
