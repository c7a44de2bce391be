package dev.tune4j.tokenizer;

/** Ids of the special tokens a tokenizer defines; -1 where it has none (e.g. BERT has no bos/eos). */
public record SpecialTokens(int pad, int bos, int eos, int unk, int cls, int sep, int mask) {

    public static final int NONE = -1;

    /** The id for a role name ("pad", "bos", "eos", "unk", "cls", "sep", "mask"), throwing when absent. */
    public int require(String role) {
        int id = switch (role) {
            case "pad" -> pad;
            case "bos" -> bos;
            case "eos" -> eos;
            case "unk" -> unk;
            case "cls" -> cls;
            case "sep" -> sep;
            case "mask" -> mask;
            default -> throw new IllegalArgumentException("unknown special token role '" + role + "'");
        };
        if (id == NONE) throw new IllegalStateException("the tokenizer has no " + role + " token (" + this + ")");
        return id;
    }
}
