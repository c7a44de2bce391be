package dev.tune4j.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Expected strings are what CPython 3's json.dumps writes for the same values. */
class PythonJsonTest {
    static String dumps(Object v) { return PythonJson.dumps(v, false, null, null, false); }

    @Test
    void separatorsAndScalarsAsPythonWritesThem() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("b", List.of(1, 2.5, true));
        m.put("a", null);
        assertEquals("{\"b\": [1, 2.5, true], \"a\": null}", dumps(m));
        assertEquals("{\"a\": null, \"b\": [1, 2.5, true]}", PythonJson.dumps(m, false, null, null, true));
        assertEquals("{\"b\":[1,2.5,true],\"a\":null}", PythonJson.dumps(m, false, null, List.of(",", ":"), false));
        assertEquals("{\n    \"b\": [\n        1,\n        2.5,\n        true\n    ],\n    \"a\": null\n}", PythonJson.dumps(m, false, 4, null, false));
        assertEquals("[]|{}", dumps(List.of()) + "|" + dumps(Map.of()));
        assertEquals("{\"1\": \"x\"}|{\"true\": \"y\"}", dumps(Map.of(1, "x")) + "|" + dumps(Map.of(true, "y")));
    }

    @Test
    void stringsKeepNonAsciiUnlessAskedAndEscapeOnlyWhatJsonNeeds() {
        assertEquals("\"caf\u00e9 \\\"q\\\" \\\\ \\n\\t\\u0001 / \u2028\"", dumps("caf\u00e9 \"q\" \\ \n\t\u0001 / \u2028"));
        assertEquals("\"caf\\u00e9 \\ud83d\\ude00\"", PythonJson.dumps("caf\u00e9 \uD83D\uDE00", true, null, null, false));
    }

    @Test
    void floatsAsPythonsRepr() {
        assertEquals(List.of("1.0", "0.1", "1e-05", "0.0001", "1.5e-07", "1e+16", "1234567890123456.0", "1.2345678901234568e+17", "-2.5", "-0.0", "NaN", "-Infinity"),
                Arrays.stream(new double[]{1.0, 0.1, 1e-5, 1e-4, 1.5e-7, 1e16, 1234567890123456.0, 123456789012345678.0, -2.5, -0.0, Double.NaN, Double.NEGATIVE_INFINITY})
                        .mapToObj(PythonJson::floatRepr).toList());
    }

    @Test
    void otherObjectsAreNotSerializable() {
        var e = assertThrows(IllegalArgumentException.class, () -> dumps(new Object()));
        assertEquals("tojson: a Object is not JSON serializable", e.getMessage());
    }
}
