package dev.tune4j.cli;

import dev.tune4j.model.bert.TinyBertClassifierCheckpoint;
import dev.tune4j.report.Json;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A complete, tiny model folder the CLI can run every command on in milliseconds: the random
 * {@link TinyBertClassifierCheckpoint} (labels negative, neutral, positive) with a word-level
 * tokenizer.json whose 40 ids match its vocabulary, and labelled rows written in its words.
 */
final class TinyClassifierFolder {
    private TinyClassifierFolder() {}

    static final List<String> LABELS = List.of("negative", "neutral", "positive");

    /** The tokenizer's words after its five special tokens; ids 5..39. */
    static final List<String> WORDS = List.of("good", "bad", "fine", "great", "awful", "movie", "book", "song", "food", "day",
            "very", "not", "quite", "really", "so", "the", "a", "this", "that", "was", "is", "and", "but", "loved", "hated",
            "liked", "plot", "actor", "music", "taste", "service", "price", "ending", "start", "ok");

    static Path write(Path folder) throws Exception {
        TinyBertClassifierCheckpoint.write(folder, "BertForSequenceClassification", 7);
        Files.writeString(folder.resolve("tokenizer.json"), tokenizerJson());
        return folder;
    }

    /** A BERT-style word-level tokenizer: lower-cased, split on whitespace and punctuation, "[CLS] $A [SEP]". */
    static String tokenizerJson() {
        String special = "\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true";
        List<String> tokens = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        tokens.addAll(WORDS);
        StringBuilder added = new StringBuilder(), vocab = new StringBuilder();
        for (int id = 0; id < tokens.size(); id++) {
            if (id < 5) added.append(id == 0 ? "" : ",").append("{\"id\":").append(id).append(",\"content\":\"").append(tokens.get(id)).append("\",").append(special).append('}');
            vocab.append(id == 0 ? "" : ",").append('"').append(tokens.get(id)).append("\":").append(id);
        }
        return "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[" + added + "],"
                + "\"normalizer\":{\"type\":\"Lowercase\"},\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"
                + "\"post_processor\":{\"type\":\"TemplateProcessing\","
                + "\"single\":[{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":0}}],"
                + "\"pair\":[{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":0}},"
                + "{\"Sequence\":{\"id\":\"B\",\"type_id\":1}},{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":1}}],"
                + "\"special_tokens\":{\"[CLS]\":{\"id\":\"[CLS]\",\"ids\":[2],\"tokens\":[\"[CLS]\"]},\"[SEP]\":{\"id\":\"[SEP]\",\"ids\":[3],\"tokens\":[\"[SEP]\"]}}},"
                + "\"decoder\":null,\"model\":{\"type\":\"WordLevel\",\"vocab\":{" + vocab + "},\"unk_token\":\"[UNK]\"}}";
    }

    /** A sentence of 4 to 12 of the tokenizer's words; {@code tag} makes it unique (so no row is a duplicate of another). */
    static String sentence(SplittableRandom rng, int tag) {
        StringBuilder sb = new StringBuilder();
        int n = 4 + rng.nextInt(9);
        for (int i = 0; i < n; i++) sb.append(WORDS.get(rng.nextInt(WORDS.size()))).append(' ');
        return sb.append("row").append(tag).toString();
    }

    /** A JSON line with a text and one of the model's labels. */
    static String row(SplittableRandom rng, int tag) {
        return Json.line(Map.of("text", sentence(rng, tag), "label", LABELS.get(rng.nextInt(LABELS.size()))));
    }
}
