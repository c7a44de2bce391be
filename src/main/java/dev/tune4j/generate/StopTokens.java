package dev.tune4j.generate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tune4j.model.PretrainedModel;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The ids that end a generation: the tokenizer's EOS, config.json's {@code eos_token_id} (a number
 * or a list, as Llama 3 lists both <|end_of_text|> and <|eot_id|>), and the chat template's end of
 * turn, which for many instruction models is not the EOS.
 */
public final class StopTokens {
    private StopTokens() {}

    public static Set<Integer> of(PretrainedModel model, Collection<String> extraTokens) {
        Set<Integer> ids = new LinkedHashSet<>();
        if (model.tokenizer() != null && model.tokenizer().specialTokens().eos() >= 0) ids.add(model.tokenizer().specialTokens().eos());
        JsonNode eos = model.hfConfig() == null ? null : model.hfConfig().root().get("eos_token_id");
        if (eos != null && eos.isInt()) ids.add(eos.asInt());
        if (eos != null && eos.isArray()) for (JsonNode id : eos) if (id.isInt()) ids.add(id.asInt());
        if (model.tokenizer() != null) {
            for (String t : extraTokens) {
                int id = model.tokenizer().tokenToId(t);
                if (id >= 0) ids.add(id);
            }
        }
        ids.removeIf(id -> id < 0 || id >= model.config().vocabSize);
        return ids;
    }
}
