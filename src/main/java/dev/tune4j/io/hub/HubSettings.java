package dev.tune4j.io.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Where the Hub is, where its cache lives, which token to send and whether to go online: read from
 * the environment the way huggingface_hub reads it (its {@code constants.py} and {@code utils/_auth.py}),
 * or built directly (tests point it at a local server and a temporary cache without touching the
 * process environment).
 *
 * @param endpoint the Hub's base URL ({@code HF_ENDPOINT}, default https://huggingface.co)
 * @param cache    the hub cache folder ({@code HF_HUB_CACHE}, else {@code $HF_HOME/hub})
 * @param token    the access token, or null
 * @param offline  {@code HF_HUB_OFFLINE}: use the cache only
 * @param progress whether to show download progress on stderr
 * @param timeout  how long to wait for a connection, an answer, or the next bytes of a download
 *                 ({@code HF_HUB_DOWNLOAD_TIMEOUT}, default 10 seconds)
 */
public record HubSettings(URI endpoint, Path cache, Token token, boolean offline, boolean progress, Duration timeout) {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    /** huggingface_hub's DEFAULT_DOWNLOAD_TIMEOUT and DEFAULT_ETAG_TIMEOUT. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    /** huggingface_hub's ENV_VARS_TRUE_VALUES. */
    private static final Set<String> TRUE = Set.of("1", "ON", "YES", "TRUE");

    /** The process-wide switch {@link #showProgress} sets (huggingface_hub's {@code disable_progress_bars()}). */
    private static volatile boolean progressShown = true;

    /**
     * An access token and where it came from; {@link #toString} names only the source, so the token
     * cannot end up in a log or an error message by accident.
     */
    public record Token(String value, String source) {
        public Token {
            if (value == null || value.isBlank()) throw new IllegalArgumentException("empty token from " + source);
        }

        @Override
        public String toString() {
            return "token from " + source;
        }
    }

    public HubSettings {
        if (endpoint == null || endpoint.getScheme() == null || endpoint.getHost() == null
                || !(endpoint.getScheme().equals("https") || endpoint.getScheme().equals("http"))) {
            throw new IllegalArgumentException("HF_ENDPOINT '" + endpoint + "' is not an http(s) URL");
        }
        String s = endpoint.toString();
        if (s.endsWith("/")) endpoint = URI.create(s.substring(0, s.length() - 1));
        if (timeout == null || timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("HF_HUB_DOWNLOAD_TIMEOUT must be positive, got " + timeout);
    }

    public HubSettings(URI endpoint, Path cache, Token token, boolean offline, boolean progress) {
        this(endpoint, cache, token, offline, progress, DEFAULT_TIMEOUT);
    }

    /** The settings this process's environment gives. */
    public static HubSettings fromEnv() {
        return fromEnv(System.getenv());
    }

    /**
     * Settings from {@code env}: {@code HF_ENDPOINT}; {@code HF_HUB_CACHE} (or the older
     * {@code HUGGINGFACE_HUB_CACHE}), else {@code $HF_HOME/hub} with {@code HF_HOME} defaulting to
     * {@code $XDG_CACHE_HOME/huggingface} or {@code ~/.cache/huggingface}; the token from {@code HF_TOKEN}
     * (or {@code HUGGING_FACE_HUB_TOKEN}), else the file {@code huggingface-cli login} writes
     * ({@code HF_TOKEN_PATH}, default {@code $HF_HOME/token}); {@code HF_HUB_OFFLINE} (or
     * {@code TRANSFORMERS_OFFLINE}); {@code HF_HUB_DISABLE_PROGRESS_BARS}; {@code HF_HUB_DOWNLOAD_TIMEOUT} (seconds).
     */
    public static HubSettings fromEnv(Map<String, String> env) {
        URI endpoint = URI.create(env.getOrDefault("HF_ENDPOINT", DEFAULT_ENDPOINT).strip());
        String xdg = env.get("XDG_CACHE_HOME");
        Path home = path(env.get("HF_HOME"), (xdg != null ? Path.of(expand(xdg)) : userHome().resolve(".cache")).resolve("huggingface"));
        Path cache = path(env.getOrDefault("HF_HUB_CACHE", env.get("HUGGINGFACE_HUB_CACHE")), home.resolve("hub"));
        boolean offline = isTrue(env.get("HF_HUB_OFFLINE")) || isTrue(env.get("TRANSFORMERS_OFFLINE"));
        boolean progress = progressShown && !isTrue(env.get("HF_HUB_DISABLE_PROGRESS_BARS"));
        return new HubSettings(endpoint, cache, token(env, path(env.get("HF_TOKEN_PATH"), home.resolve("token"))), offline, progress, timeout(env));
    }

    /**
     * Shows or hides download progress for settings read from the environment from now on: the CLI
     * hides it under {@code --json}, where nothing but JSON is printed.
     */
    public static void showProgress(boolean show) {
        progressShown = show;
    }

    public HubSettings withCache(Path cache) {
        return new HubSettings(endpoint, cache, token, offline, progress, timeout);
    }

    public HubSettings withToken(Token token) {
        return new HubSettings(endpoint, cache, token, offline, progress, timeout);
    }

    public HubSettings withOffline(boolean offline) {
        return new HubSettings(endpoint, cache, token, offline, progress, timeout);
    }

    private static Duration timeout(Map<String, String> env) {
        String v = env.get("HF_HUB_DOWNLOAD_TIMEOUT");
        if (v == null || v.isBlank()) return DEFAULT_TIMEOUT;
        try {
            return Duration.ofMillis(Math.round(Double.parseDouble(v.strip()) * 1000));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("HF_HUB_DOWNLOAD_TIMEOUT '" + v + "' is not a number of seconds");
        }
    }

    private static Token token(Map<String, String> env, Path tokenFile) {
        for (String name : new String[]{"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"}) {
            String t = clean(env.get(name));
            if (t != null) return new Token(t, name);
        }
        try {
            String t = clean(Files.readString(tokenFile));
            return t == null ? null : new Token(t, tokenFile.toString());
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the Hugging Face token file " + tokenFile, e);
        }
    }

    /** huggingface_hub's {@code _clean_token}: no line breaks, no surrounding blanks. */
    private static String clean(String token) {
        if (token == null) return null;
        String t = token.replace("\r", "").replace("\n", "").strip();
        return t.isEmpty() ? null : t;
    }

    private static boolean isTrue(String v) {
        return v != null && TRUE.contains(v.strip().toUpperCase(Locale.ROOT));
    }

    private static Path path(String value, Path fallback) {
        return value == null || value.isBlank() ? fallback : Path.of(expand(value.strip()));
    }

    /** A leading {@code ~} is the user's home, as Python's {@code os.path.expanduser} has it. */
    private static String expand(String p) {
        return p.equals("~") || p.startsWith("~/") ? userHome() + p.substring(1) : p;
    }

    private static Path userHome() {
        return Path.of(System.getProperty("user.home"));
    }
}
