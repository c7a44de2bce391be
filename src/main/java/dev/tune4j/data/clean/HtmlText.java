package dev.tune4j.data.clean;

import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.select.NodeTraversor;
import org.jsoup.select.NodeVisitor;

import java.util.Set;
import java.util.regex.Pattern;

/** HTML to plain text: tags and scripts go, entities are decoded, block elements become line breaks. */
public final class HtmlText {
    private HtmlText() {}

    /** Markup that only HTML has: a known tag, a doctype or a comment. "a < b" or "<3" do not count. */
    private static final Pattern TAG = Pattern.compile(
            "<(?:!doctype\\s+html|!--|/?(?:html|head|body|div|p|br|span|table|tbody|thead|tr|td|th|font|a\\s+href|b|i|u|em|strong|img|center|ul|ol|li|h[1-6]|meta|style|script|title|hr|blockquote|pre|form|input)\\b[^<>]{0,2000}>)",
            Pattern.CASE_INSENSITIVE);

    private static final Set<String> BLOCK = Set.of("p", "div", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
            "blockquote", "pre", "hr", "center", "form", "dl", "dt", "dd", "section", "article", "header", "footer", "title",
            "address", "fieldset", "nav", "aside", "main", "figure", "figcaption", "body", "html");

    private static final Set<String> PARAGRAPH = Set.of("p", "h1", "h2", "h3", "h4", "h5", "h6");

    public static boolean looksLikeHtml(String s) {
        return s.indexOf('<') >= 0 && TAG.matcher(s).find();
    }

    public static String toText(String html) {
        Document doc = Jsoup.parse(html);
        doc.select("script, style, noscript, template, head > :not(title)").remove();
        StringBuilder out = new StringBuilder(html.length() / 2);
        NodeTraversor.traverse(new NodeVisitor() {
            int pre;

            @Override
            public void head(Node node, int depth) {
                if (node instanceof TextNode t) {
                    appendText(out, t.getWholeText(), pre > 0);
                } else if (node instanceof Element e) {
                    String tag = e.normalName();
                    if (tag.equals("pre")) pre++;
                    if (tag.equals("br")) out.append('\n');
                    else if (BLOCK.contains(tag)) newline(out);
                    else if (tag.equals("td") || tag.equals("th")) space(out);
                    else if (tag.equals("img") && !e.attr("alt").isBlank()) appendText(out, e.attr("alt"), false);
                }
            }

            @Override
            public void tail(Node node, int depth) {
                if (node instanceof Element e) {
                    String tag = e.normalName();
                    if (tag.equals("pre")) pre--;
                    if (BLOCK.contains(tag)) newline(out);
                    if (PARAGRAPH.contains(tag)) out.append('\n');
                }
            }
        }, doc);
        return out.toString();
    }

    /** HTML collapses whitespace in text; inside pre it is kept. */
    private static void appendText(StringBuilder out, String text, boolean keepWhitespace) {
        if (keepWhitespace) {
            out.append(text);
            return;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) space(out);
            else out.append(c);
        }
    }

    private static void space(StringBuilder out) {
        if (!out.isEmpty() && !Character.isWhitespace(out.charAt(out.length() - 1))) out.append(' ');
    }

    private static void newline(StringBuilder out) {
        if (!out.isEmpty() && out.charAt(out.length() - 1) != '\n') out.append('\n');
    }
}
