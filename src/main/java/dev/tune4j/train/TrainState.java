package dev.tune4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything the training loop advances, in one object rather than in the loop's local variables,
 * so that a checkpoint can write it and a resumed run can continue from it: updates done, the data
 * cursor (epoch and micro-batches consumed in it), early-stopping state and the metric history.
 * (The optimizer's moments live in the optimizer, the weights in the model; the learning-rate
 * schedule is a function of the optimizer's step count, the data order of the epoch number and
 * the dropout masks of the position in the run, so none of them has state of its own.) State that
 * a later method adds to the loop belongs here too, with its line in {@link #toJson} and
 * {@link #fromJson}.
 */
public final class TrainState {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Optimizer updates done. */
    public int step;
    /** The current epoch (0-based) and the micro-batches of it already consumed. */
    public int epoch, batchInEpoch;
    /** The best value of the early-stopping metric so far (NaN before the first evaluation). */
    public double best = Double.NaN;
    public int bestStep = -1;
    /** Evaluations since the best one. */
    public int sinceBest;
    public boolean stoppedEarly;
    /** Trainable weights at the best evaluation, by parameter name (null: not kept). */
    public Map<String, Tensor> bestWeights;
    public Evaluator.Evaluation bestEvaluation;
    /** (step, training loss) per update and (step, validation loss) per evaluation. */
    public final List<double[]> trainCurve = new ArrayList<>(), valCurve = new ArrayList<>();

    /**
     * The state as JSON, all but the best weights (tensors: a checkpoint stores them beside it).
     * Numbers read back bit for bit: Java writes the shortest decimal that parses to the same
     * double, and NaN and the infinities go as strings.
     */
    public ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("step", step).put("epoch", epoch).put("batch_in_epoch", batchInEpoch);
        n.put("best", best).put("best_step", bestStep).put("since_best", sinceBest).put("stopped_early", stoppedEarly);
        n.put("best_weights_kept", bestWeights != null);
        if (bestEvaluation != null) {
            ObjectNode ev = n.putObject("best_evaluation");
            ev.put("loss", bestEvaluation.loss()).put("count", bestEvaluation.count());
            ObjectNode metrics = ev.putObject("metrics");
            bestEvaluation.metrics().forEach(metrics::put);
            ev.set("details", JSON.valueToTree(bestEvaluation.details()));
        }
        n.set("train_curve", curve(trainCurve));
        n.set("val_curve", curve(valCurve));
        return n;
    }

    /** The state {@link #toJson} wrote, with the best weights given separately (null when none were kept). */
    public static TrainState fromJson(JsonNode n, Map<String, Tensor> bestWeights) {
        TrainState s = new TrainState();
        s.step = require(n, "step").asInt();
        s.epoch = require(n, "epoch").asInt();
        s.batchInEpoch = require(n, "batch_in_epoch").asInt();
        s.best = require(n, "best").asDouble();
        s.bestStep = require(n, "best_step").asInt();
        s.sinceBest = require(n, "since_best").asInt();
        s.stoppedEarly = require(n, "stopped_early").asBoolean();
        if (require(n, "best_weights_kept").asBoolean() != (bestWeights != null)) {
            throw new IllegalArgumentException("training state: the best weights are " + (bestWeights == null ? "missing" : "present but not expected"));
        }
        s.bestWeights = bestWeights;
        JsonNode ev = n.get("best_evaluation");
        if (ev != null) {
            Map<String, Double> metrics = new LinkedHashMap<>();
            ev.path("metrics").properties().forEach(e -> metrics.put(e.getKey(), e.getValue().asDouble()));
            @SuppressWarnings("unchecked")
            Map<String, Object> details = JSON.convertValue(ev.path("details"), Map.class);
            s.bestEvaluation = new Evaluator.Evaluation(require(ev, "loss").asDouble(), require(ev, "count").asLong(), metrics,
                    details == null ? Map.of() : details);
        }
        readCurve(require(n, "train_curve"), s.trainCurve);
        readCurve(require(n, "val_curve"), s.valCurve);
        return s;
    }

    private static ArrayNode curve(List<double[]> points) {
        ArrayNode a = JSON.createArrayNode();
        for (double[] p : points) a.addArray().add(p[0]).add(p[1]);
        return a;
    }

    private static void readCurve(JsonNode a, List<double[]> into) {
        for (JsonNode p : a) into.add(new double[] {p.get(0).asDouble(), p.get(1).asDouble()});
    }

    private static JsonNode require(JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) throw new IllegalArgumentException("training state: '" + key + "' is missing");
        return v;
    }
}
