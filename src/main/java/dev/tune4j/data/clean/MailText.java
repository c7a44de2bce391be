package dev.tune4j.data.clean;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * E-mail to its readable text: RFC 822 headers are dropped, MIME multiparts are split at their
 * boundaries, quoted-printable and base64 bodies are decoded in their declared charset, and only
 * the text parts are kept (for multipart/alternative: the plain part when it has text, else the
 * HTML one, which the HTML rule then turns into text). Attachments that are not text go.
 */
public final class MailText {
    private MailText() {}

    /** Header names that make a block of "Name: value" lines an e-mail header rather than any list of fields. */
    private static final Set<String> MAIL_HEADERS = Set.of("from", "to", "cc", "subject", "date", "received", "return-path",
            "message-id", "mime-version", "content-type", "delivered-to", "reply-to", "sender", "x-mailer", "in-reply-to", "references");
    private static final Pattern HEADER_NAME = Pattern.compile("[!-9;-~]+");
    private static final Set<String> DROPPED_TEXT_TYPES = Set.of("text/x-vcard", "text/vcard", "text/calendar", "text/rtf", "text/css", "text/javascript");
    private static final int MAX_DEPTH = 8;
    private static final java.util.concurrent.ConcurrentHashMap<String, Pattern> PARAMS = new java.util.concurrent.ConcurrentHashMap<>();

    /** A parsed header block: names in lower case, values unfolded. */
    record Headers(List<String[]> fields, int bodyStart) {
        String get(String name) {
            for (String[] f : fields) if (f[0].equals(name)) return f[1];
            return null;
        }
    }

    /** True when the text starts with an RFC 822 header block (an mbox "From " line may come first). */
    public static boolean looksLikeMail(String s) {
        Headers h = parseHeaders(s, true);
        if (h == null || h.fields.size() < 2) return false;
        for (String[] f : h.fields) if (MAIL_HEADERS.contains(f[0])) return true;
        return false;
    }

    /** The readable text of an e-mail; text without a header block is treated as a plain body. */
    public static String toText(String mail, boolean keepSubject) {
        Headers h = parseHeaders(mail, true);
        if (h == null) h = new Headers(List.of(), 0);
        String body = render(h, mail.substring(h.bodyStart), 0);
        if (keepSubject) {
            String subject = h.get("subject");
            if (subject != null && !subject.isBlank()) body = decodeEncodedWords(subject.strip()) + "\n\n" + body;
        }
        return body;
    }

    /** Parses "Name: value" lines up to the first blank line; null when a line is neither a field nor a continuation. */
    static Headers parseHeaders(String s, boolean allowMboxLine) {
        List<String[]> fields = new ArrayList<>();
        int i = 0, n = s.length();
        boolean first = true;
        while (i < n) {
            int eol = s.indexOf('\n', i);
            int next = eol < 0 ? n : eol + 1;
            String line = s.substring(i, eol < 0 ? n : eol);
            if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
            if (line.isEmpty()) return new Headers(fields, next);
            if (first && allowMboxLine && line.startsWith("From ")) {
                first = false;
                i = next;
                continue;
            }
            first = false;
            char c = line.charAt(0);
            if (c == ' ' || c == '\t') {
                if (fields.isEmpty()) return null;
                String[] last = fields.get(fields.size() - 1);
                last[1] = last[1] + " " + line.strip();
            } else {
                int colon = line.indexOf(':');
                if (colon <= 0 || !HEADER_NAME.matcher(line.substring(0, colon)).matches()) return null;
                fields.add(new String[] {line.substring(0, colon).toLowerCase(Locale.ROOT), line.substring(colon + 1).strip()});
            }
            i = next;
        }
        return new Headers(fields, n);
    }

    private static String render(Headers h, String body, int depth) {
        if (depth > MAX_DEPTH) return "";
        String ct = h.get("content-type");
        String type = ct == null ? "text/plain" : mediaType(ct);
        if (type.startsWith("multipart/")) {
            String boundary = param(ct, "boundary");
            List<String> parts = boundary == null ? null : splitMultipart(body, boundary);
            if (parts == null) return stripBoundaryLines(body);
            List<String[]> rendered = new ArrayList<>();      // [type, text]
            for (String part : parts) {
                Headers ph = parseHeaders(part, false);
                if (ph == null) ph = new Headers(List.of(), 0);   // no header block: a plain text part
                String pct = ph.get("content-type");
                rendered.add(new String[] {pct == null ? "text/plain" : mediaType(pct), render(ph, part.substring(ph.bodyStart), depth + 1)});
            }
            if (type.equals("multipart/alternative")) return alternative(rendered);
            StringBuilder sb = new StringBuilder();
            for (String[] r : rendered) {
                if (r[1].isBlank()) continue;
                if (!sb.isEmpty()) sb.append("\n\n");
                sb.append(r[1]);
            }
            return sb.toString();
        }
        if (type.equals("message/rfc822")) {
            Headers inner = parseHeaders(body, true);
            if (inner == null) return stripBoundaryLines(body);
            return render(inner, body.substring(inner.bodyStart), depth + 1);
        }
        if (type.equals("application/octet-stream")) type = typeFromFileName(h, ct);    // e.g. an attached page.htm
        if (!type.startsWith("text/") || DROPPED_TEXT_TYPES.contains(type)) return "";
        String cte = h.get("content-transfer-encoding");
        String charset = ct == null ? null : param(ct, "charset");
        String text = decodeBody(body, cte == null ? "" : cte.strip().toLowerCase(Locale.ROOT), charset);
        return stripBoundaryLines(text);
    }

    /**
     * The best of equivalent parts: the plain one, unless the HTML one says much more. Mailing
     * lists often put a stub ("your mail program does not support HTML...") in the plain part,
     * and keeping the stub would make every such message a duplicate of every other.
     */
    private static String alternative(List<String[]> parts) {
        String plain = null, html = null, other = null;
        for (String[] r : parts) {
            if (r[1].isBlank()) continue;
            if (r[0].equals("text/plain") && plain == null) plain = r[1];
            else if (r[0].equals("text/html") && html == null) html = r[1];
            else if (other == null) other = r[1];
        }
        if (plain != null && html != null) {
            int plainLen = plain.strip().length(), htmlLen = HtmlText.toText(html).strip().length();
            return htmlLen > 1.5 * plainLen + 200 ? html : plain;
        }
        if (plain != null) return plain;
        if (html != null) return html;
        return other == null ? "" : other;
    }

    /** The text type an attachment's file name implies (.txt, .htm, .html), else application/octet-stream. */
    private static String typeFromFileName(Headers h, String contentType) {
        String name = null;
        String disposition = h.get("content-disposition");
        if (disposition != null) name = param(disposition, "filename");
        if (name == null && contentType != null) name = param(contentType, "name");
        if (name == null) return "application/octet-stream";
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".htm") || n.endsWith(".html")) return "text/html";
        if (n.endsWith(".txt")) return "text/plain";
        return "application/octet-stream";
    }

    static String mediaType(String contentType) {
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
    }

    /** A parameter of a header value such as {@code multipart/mixed; boundary="abc"}; quotes removed. */
    static String param(String headerValue, String name) {
        Pattern p = PARAMS.computeIfAbsent(name, n -> Pattern.compile("(?i);\\s*" + Pattern.quote(n) + "\\s*=\\s*(\"([^\"]*)\"|[^;\\s]+)"));
        Matcher m = p.matcher(headerValue);
        if (!m.find()) return null;
        String v = m.group(2) != null ? m.group(2) : m.group(1);
        return v.isEmpty() ? null : v;
    }

    /** The parts between "--boundary" lines (preamble and epilogue dropped); null when no boundary line is found. */
    static List<String> splitMultipart(String body, String boundary) {
        String delim = "--" + boundary;
        List<String> parts = new ArrayList<>();
        int i = 0, n = body.length(), partStart = -1;
        boolean found = false;
        while (i < n) {
            int eol = body.indexOf('\n', i);
            int next = eol < 0 ? n : eol + 1;
            String line = body.substring(i, eol < 0 ? n : eol).stripTrailing();
            if (line.startsWith(delim)) {
                String rest = line.substring(delim.length());
                if (rest.isEmpty() || rest.equals("--")) {
                    found = true;
                    if (partStart >= 0) parts.add(body.substring(partStart, i));
                    if (rest.equals("--")) return parts;
                    partStart = next;
                }
            }
            i = next;
        }
        if (!found) return null;
        if (partStart >= 0 && partStart < n) parts.add(body.substring(partStart));   // unclosed last part
        return parts;
    }

    static String decodeBody(String body, String cte, String charset) {
        byte[] bytes;
        switch (cte) {
            case "quoted-printable" -> bytes = quotedPrintable(body);
            case "base64" -> {
                try {
                    bytes = Base64.getMimeDecoder().decode(body.strip());
                } catch (IllegalArgumentException e) {
                    return body;                            // not really base64: keep what is there
                }
            }
            default -> {
                return body;                                // 7bit/8bit: the text is already decoded
            }
        }
        return decodeCharset(bytes, charset);
    }

    static byte[] quotedPrintable(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c == '=') {
                if (i + 1 < n && s.charAt(i + 1) == '\n') { i++; continue; }                       // soft line break
                if (i + 2 < n && s.charAt(i + 1) == '\r' && s.charAt(i + 2) == '\n') { i += 2; continue; }
                if (i + 2 < n) {
                    int hi = Character.digit(s.charAt(i + 1), 16), lo = Character.digit(s.charAt(i + 2), 16);
                    if (hi >= 0 && lo >= 0) {
                        out.write(hi << 4 | lo);
                        i += 2;
                        continue;
                    }
                }
                // a trailing "=" before spaces is a soft break written by a sloppy mailer
                int j = i + 1;
                while (j < n && (s.charAt(j) == ' ' || s.charAt(j) == '\t')) j++;
                if (j == n || s.charAt(j) == '\n') { i = j; continue; }
                out.write('=');
            } else if (c < 0x80) {
                out.write(c);
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
            }
        }
        return out.toByteArray();
    }

    /** Decodes in the declared charset; undeclared or unknown: UTF-8 if valid, else Windows-1252 (the usual mail fallback). */
    static String decodeCharset(byte[] bytes, String charset) {
        Charset cs = null;
        if (charset != null) {
            String c = charset.strip().toLowerCase(Locale.ROOT);
            if (c.equals("us-ascii") || c.equals("ascii") || c.equals("iso-8859-1") || c.equals("latin1")) c = "windows-1252";
            try {
                cs = Charset.forName(c);
            } catch (IllegalArgumentException e) {
                cs = null;
            }
        }
        if (cs == null || cs.equals(StandardCharsets.UTF_8)) {
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                cs = Charset.forName("windows-1252");
            }
        }
        return new String(bytes, cs);
    }

    /**
     * A boundary-looking line: "--" then one long token of the characters RFC 2046 allows in a
     * boundary, with at least one digit (generated boundaries always have some; rulers of dashes
     * and signature separators have none).
     */
    private static final Pattern BOUNDARY_LINE = Pattern.compile(
            "(?m)^--(?=\\S*\\d)[A-Za-z0-9'()+_,./:=?-]{14,}[ \\t]*\\r?$\\n?");

    /** Boundary lines left in bodies whose MIME structure could not be followed. */
    static String stripBoundaryLines(String s) {
        if (!s.contains("\n--") && !s.startsWith("--")) return s;
        return BOUNDARY_LINE.matcher(s).replaceAll("");
    }

    private static final Pattern ENCODED_WORD = Pattern.compile("=\\?([^?]+)\\?([BbQq])\\?([^?]*)\\?=");

    /** RFC 2047 encoded words in header values, e.g. {@code =?utf-8?B?...?=}. */
    static String decodeEncodedWords(String s) {
        Matcher m = ENCODED_WORD.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String text = m.group(3);
            byte[] bytes;
            try {
                bytes = m.group(2).equalsIgnoreCase("B") ? Base64.getMimeDecoder().decode(text) : quotedPrintable(text.replace('_', ' '));
            } catch (IllegalArgumentException e) {
                bytes = text.getBytes(StandardCharsets.ISO_8859_1);
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(decodeCharset(bytes, m.group(1))));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
