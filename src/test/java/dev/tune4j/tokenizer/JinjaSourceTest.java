package dev.tune4j.tokenizer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class JinjaSourceTest {
    @Test
    void keywordValuesAreParenthesizedInsideCodeOnly() {
        assertEquals("{%- set ns = namespace(multi=(true), last=(messages|length - 1)) %}",
                JinjaSource.forJinjava("{%- set ns = namespace(multi=true, last=messages|length - 1) %}"));
        assertEquals("{{ t | tojson(indent=(4)) }} f(a=1, b=2) {{ f(g(x, y=(1 - 2)), z=(h(1) == 2)) }}",
                JinjaSource.forJinjava("{{ t | tojson(indent=4) }} f(a=1, b=2) {{ f(g(x, y=1 - 2), z=h(1) == 2) }}"));
        assertEquals("{% if a == b %}{{ 'f(a=1 - 2)' }}{% endif %}", JinjaSource.forJinjava("{% if a == b %}{{ 'f(a=1 - 2)' }}{% endif %}"));
        assertEquals("{% macro m(a=1 - 2) %}{% endmacro %}", JinjaSource.forJinjava("{% macro m(a=1 - 2) %}{% endmacro %}"));
    }

    @Test
    void reversedSlicesBecomeTheReverseFilter() {
        assertEquals("{%- for message in (messages|reverse) %}{{ x.y[0] }}{% endfor %} text[::-1]",
                JinjaSource.forJinjava("{%- for message in messages[::-1] %}{{ x.y[0] }}{% endfor %} text[::-1]"));
    }

    @Test
    void commentsAndRawBlocksAreLeftAlone() {
        String source = "{# f(a=1 - 2) #}{% raw %}{{ f(a=1 - 2) }}{% endraw %}{{ f(a=1 - 2) }}";
        assertEquals("{# f(a=1 - 2) #}{% raw %}{{ f(a=1 - 2) }}{% endraw %}{{ f(a=(1 - 2)) }}", JinjaSource.forJinjava(source));
    }
}
