package dev.tune4j.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.InterpretException;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.AdvancedFilter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import jinjava.javax.el.CompositeELResolver;

import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Jinja as Hugging Face transformers renders chat templates ({@code _compile_jinja_template} in
 * {@code utils/chat_template_utils.py}): {@code trim_blocks} and {@code lstrip_blocks}, the loop
 * controls extension ({@code {% break %}}, {@code {% continue %}}), the globals
 * {@code raise_exception(message)} and {@code strftime_now(format)}, and transformers' own
 * {@code tojson} filter ({@link PythonJson}). {@code {% generation %}...{% endgeneration %}}
 * (transformers' assistant tracker) renders its body.
 *
 * <p>Where jinjava differs from Python's Jinja it is brought in line: filters bind tighter than
 * {@code +}, {@code for k in dict} iterates keys, dict literal keys are expressions, lists and
 * dicts print as Python does, comments obey the trimming rules, strings have Python's methods
 * ({@link PythonStrings}), reversed slices and keyword arguments with operators parse as in Python
 * ({@link JinjaSource}), an unknown filter or test is an error rather than empty output, and, as
 * with Jinja's default {@code keep_trailing_newline=False}, one trailing newline of the template
 * is dropped. Renders may run on several threads at once.
 */
final class HfJinja {
    private static final Jinjava JINJAVA = create();

    private final String name;
    /** Parsed once, rendered for every conversation. */
    private final Node root;

    private HfJinja(String name, Node root) {
        this.name = name;
        this.root = root;
    }

    /** Parses {@code source}; a syntax error (unknown tag, unclosed block, ...) is one line naming the template. */
    static HfJinja compile(String name, String source) {
        Run run = new Run(Map.of());
        Node root = run.execute(name, interpreter -> interpreter.parse(withoutTrailingNewline(JinjaSource.forJinjava(source))));
        return new HfJinja(name, root);
    }

    /**
     * Renders the template with {@code variables}; any fatal template error (unknown filter, test
     * or function, {@code raise_exception}, ...) becomes one line naming the template.
     */
    String render(Map<String, ?> variables) {
        Map<String, Object> all = new HashMap<>(variables);
        // transformers' globals are variables too: templates test `strftime_now is defined` (Llama 3.2).
        all.put("raise_exception", true);
        all.put("strftime_now", true);
        return new Run(all).execute(name, interpreter -> interpreter.render(root));
    }

    /** One interpreter, its context and its errors. */
    private static final class Run {
        final Checked context;
        final JinjavaInterpreter interpreter;

        Run(Map<String, ?> variables) {
            context = new Checked(JINJAVA.getGlobalContext(), variables);
            interpreter = new JinjavaInterpreter(JINJAVA, context, JINJAVA.getGlobalConfig());
        }

        <T> T execute(String name, Function<JinjavaInterpreter, T> work) {
            JinjavaInterpreter.pushCurrent(interpreter);
            T result;
            try {
                result = work.apply(interpreter);
            } catch (RuntimeException e) {
                int line = e instanceof InterpretException ie ? ie.getLineNumber() : -1;
                throw new IllegalArgumentException("chat template " + name + ": " + describe(e, e.getMessage(), line), e);
            } finally {
                JinjavaInterpreter.popCurrent();
            }
            for (TemplateError e : interpreter.getErrors()) {
                if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                    throw new IllegalArgumentException("chat template " + name + ": " + describe(e.getException(), e.getMessage(), e.getLineno()));
                }
            }
            if (!context.unknown.isEmpty()) {
                throw new IllegalArgumentException("chat template " + name + ": unknown " + String.join(", ", context.unknown));
            }
            return result;
        }
    }

    private static String withoutTrailingNewline(String source) {
        if (source.endsWith("\r\n")) return source.substring(0, source.length() - 2);
        if (source.endsWith("\n") || source.endsWith("\r")) return source.substring(0, source.length() - 1);
        return source;
    }

    private static String describe(Throwable cause, String message, int line) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof Raised raised) return "raise_exception: " + raised.getMessage();
        }
        String where = line > 0 ? " (line " + line + ")" : "";
        return String.valueOf(message).replace('\n', ' ') + where;
    }

    /**
     * Jinjava renders an unknown filter or test as nothing; Jinja refuses the template. This
     * context notes every name it cannot resolve, so the render can be refused too.
     */
    private static final class Checked extends Context {
        final Set<String> unknown = new LinkedHashSet<>();

        Checked(Context parent, Map<String, ?> bindings) {
            super(parent, bindings);
        }

        @Override
        public Filter getFilter(String name) {
            Filter f = super.getFilter(name);
            if (f == null) unknown.add("filter '" + name + "'");
            return f;
        }

        @Override
        public ExpTest getExpTest(String name) {
            ExpTest t = super.getExpTest(name);
            if (t == null) unknown.add("test '" + name + "'");
            return t;
        }
    }

    private static Jinjava create() {
        LegacyOverrides python = LegacyOverrides.newBuilder()
                .withUseNaturalOperatorPrecedence(true)
                .withParseWhitespaceControlStrictly(true)
                .withUseTrimmingForNotesAndExpressions(true)
                .withIterateOverMapKeys(true)
                .withEvaluateMapKeys(true)
                .withUsePyishObjectMapper(true)
                .build();
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStrings());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        Jinjava jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withLegacyOverrides(python)
                .withElResolver(resolver)
                .build());
        var globals = jinjava.getGlobalContext();
        globals.registerFunction(new ELFunctionDefinition("", "raise_exception", HfJinja.class, "raiseException", String.class));
        globals.registerFunction(new ELFunctionDefinition("", "strftime_now", HfJinja.class, "strftimeNow", String.class));
        globals.registerFilter(new ToJson());
        globals.registerTag(new Generation());
        return jinjava;
    }

    /** The global {@code raise_exception(message)}: the template refuses its input. */
    public static String raiseException(String message) {
        throw new Raised(message);
    }

    /** The global {@code strftime_now(format)}: the local time now, Python strftime codes, English names. */
    public static String strftimeNow(String format) {
        return StrftimeFormatter.format(ZonedDateTime.now(), format, Locale.ENGLISH);
    }

    private static final class Raised extends RuntimeException {
        Raised(String message) {
            super(message, null, false, false);
        }
    }

    /** transformers' {@code tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)}. */
    private static final class ToJson implements AdvancedFilter {
        @Override
        public String getName() { return "tojson"; }

        @Override
        public Object filter(Object value, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object ensureAscii = argument(args, kwargs, 0, "ensure_ascii");
            Object indent = argument(args, kwargs, 1, "indent");
            Object separators = argument(args, kwargs, 2, "separators");
            Object sortKeys = argument(args, kwargs, 3, "sort_keys");
            return PythonJson.dumps(value, Boolean.TRUE.equals(ensureAscii), indent, separators, Boolean.TRUE.equals(sortKeys));
        }

        private static Object argument(Object[] args, Map<String, Object> kwargs, int position, String name) {
            if (kwargs.containsKey(name)) return kwargs.get(name);
            return position < args.length ? args[position] : null;
        }
    }

    /** transformers' {@code {% generation %}} block marks assistant text for its own masks; here it only renders its body. */
    private static final class Generation implements Tag {
        @Override
        public String getName() { return "generation"; }

        @Override
        public String getEndTagName() { return "endgeneration"; }

        @Override
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            StringBuilder out = new StringBuilder();
            for (Node child : tagNode.getChildren()) out.append(child.render(interpreter).getValue());
            return out.toString();
        }
    }
}
