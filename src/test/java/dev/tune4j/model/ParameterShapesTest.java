package dev.tune4j.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tune4j.model.bert.BertClassifier;
import dev.tune4j.model.bert.TinyBertClassifierCheckpoint;
import dev.tune4j.nn.Module;
import dev.tune4j.nn.TransformerConfig;
import dev.tune4j.oracle.RandomCheckpoints;
import dev.tune4j.report.Json;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every family's parameterShapes (what loading checks a checkpoint against) matches the module its build makes. */
class ParameterShapesTest {

    @Test
    void familiesDescribeTheModulesTheyBuildWithoutBuildingThem() throws Exception {
        List<HfConfig> configs = new ArrayList<>();
        configs.add(new HfConfig(Json.MAPPER.readTree(TinyBertClassifierCheckpoint.config("BertForSequenceClassification")), "bert classifier"));
        configs.add(new HfConfig(Json.MAPPER.readTree(TinyBertClassifierCheckpoint.config("BertModel")), "bert"));
        ObjectNode mean = (ObjectNode) Json.MAPPER.readTree(TinyBertClassifierCheckpoint.config("BertModel"));
        mean.putObject(BertClassifier.TUNE4J_HEAD).put("pooling", "mean");
        configs.add(new HfConfig(mean, "bert mean head"));
        for (String family : List.of("llama", "mistral", "gpt2")) {
            configs.add(new HfConfig(Json.MAPPER.valueToTree(RandomCheckpoints.build(family, Map.of(), 1).config()), family));
            configs.add(new HfConfig(Json.MAPPER.valueToTree(RandomCheckpoints.classifier(family, 3, Map.of(), 1).config()), family + " classifier"));
        }
        for (HfConfig hf : configs) {
            ModelFamily f = Families.forConfig(hf);
            TransformerConfig c = f.config(hf);
            Module built = f.build(c, hf);
            Map<String, String> have = new TreeMap<>(), described = new TreeMap<>();
            built.namedParameters().forEach((name, p) -> have.put(name, Arrays.toString(p.shape())));
            f.parameterShapes(c, hf).forEach((name, shape) -> described.put(name, Arrays.toString(shape)));
            assertEquals(have, described, hf.source());
        }
    }
}
