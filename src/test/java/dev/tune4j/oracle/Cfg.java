package dev.tune4j.oracle;

import java.util.Map;

/** Typed reads of a config.json map with Hugging Face defaults and clear errors. */
final class Cfg {
    private final String who;
    private final Map<String, Object> map;

    Cfg(String who, Map<String, Object> map) {
        this.who = who;
        this.map = map;
    }

    boolean has(String key) { return map.get(key) != null; }

    int i(String key) {
        Object v = map.get(key);
        if (!(v instanceof Number n)) throw new IllegalArgumentException(who + ": config." + key + " must be a number, got " + v);
        if (n.doubleValue() != Math.rint(n.doubleValue())) throw new IllegalArgumentException(who + ": config." + key + " must be an integer, got " + v);
        return n.intValue();
    }

    int i(String key, int dflt) { return has(key) ? i(key) : dflt; }

    double d(String key) {
        Object v = map.get(key);
        if (!(v instanceof Number n)) throw new IllegalArgumentException(who + ": config." + key + " must be a number, got " + v);
        return n.doubleValue();
    }

    double d(String key, double dflt) { return has(key) ? d(key) : dflt; }

    boolean b(String key, boolean dflt) {
        Object v = map.get(key);
        if (v == null) return dflt;
        if (!(v instanceof Boolean b)) throw new IllegalArgumentException(who + ": config." + key + " must be a boolean, got " + v);
        return b;
    }

    String s(String key, String dflt) {
        Object v = map.get(key);
        if (v == null) return dflt;
        if (!(v instanceof String s)) throw new IllegalArgumentException(who + ": config." + key + " must be a string, got " + v);
        return s;
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> map(String key) {
        Object v = map.get(key);
        if (v == null) return null;
        if (!(v instanceof Map<?, ?> m)) throw new IllegalArgumentException(who + ": config." + key + " must be an object, got " + v);
        return (Map<String, Object>) m;
    }

    IllegalArgumentException unsupported(String what) {
        return new IllegalArgumentException(who + ": unsupported " + what);
    }
}
