package dev.tune4j.data.clean;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MailTextTest {

    static final String HEADERS = """
            From someone@example.com  Thu Aug 22 12:36:23 2002
            Return-Path: <someone@example.com>
            Received: from localhost (localhost [127.0.0.1])
            \tby mail.example.com (Postfix) with ESMTP id D03E543C36
            Subject: =?utf-8?B?SGVsbG8gd8O2cmxk?=
            """;

    @Test
    void detectsRfc822HeadersButNotOtherKeyValueText() {
        assertTrue(MailText.looksLikeMail(HEADERS + "\nbody"));
        assertTrue(MailText.looksLikeMail("Subject: hi\nFrom: a@b.c\n\nbody"));
        assertFalse(MailText.looksLikeMail("Question: what?\nAnswer: this\n\nmore"), "no mail header names");
        assertFalse(MailText.looksLikeMail("Subject: only one header line\n\nbody"));
        assertFalse(MailText.looksLikeMail("Dear friend,\nFrom: me\n\n"));
    }

    @Test
    void headersAreStrippedAndTheSubjectKeptOnlyWhenAsked() {
        String mail = HEADERS + "\nHello there.\n";
        assertEquals("Hello there.\n", MailText.toText(mail, false));
        assertEquals("Hello wörld\n\nHello there.\n", MailText.toText(mail, true), "RFC 2047 subject decoded");
    }

    @Test
    void quotedPrintableBodiesAreDecodedInTheirCharset() {
        String mail = "From: a@b.c\nTo: d@e.f\nContent-Type: text/plain; charset=\"iso-8859-1\"\nContent-Transfer-Encoding: quoted-printable\n\n"
                + "Caf=E9 ol=E9, a long line that is=\nsoft broken, 3 =3D 3.\n";
        assertEquals("Café olé, a long line that issoft broken, 3 = 3.\n", MailText.toText(mail, false));
    }

    @Test
    void base64BodiesAreDecoded() {
        String body = Base64.getMimeEncoder().encodeToString("Grüße aus Köln\n".getBytes(StandardCharsets.UTF_8));
        String mail = "From: a@b.c\nSubject: x\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" + body + "\n";
        assertEquals("Grüße aus Köln\n", MailText.toText(mail, false));
    }

    @Test
    void multipartKeepsTextPartsPrefersPlainAlternativesAndDropsAttachments() {
        String mail = """
                From: a@b.c
                Subject: parts
                MIME-Version: 1.0
                Content-Type: multipart/mixed; boundary="OUTER"

                This is a multi-part message in MIME format.
                --OUTER
                Content-Type: multipart/alternative; boundary=INNER

                --INNER
                Content-Type: text/plain; charset=us-ascii

                Plain words.
                --INNER
                Content-Type: text/html

                <p>Plain words.</p>
                --INNER--
                --OUTER
                Content-Type: application/octet-stream; name="x.bin"
                Content-Transfer-Encoding: base64

                AAECAwQFBgcICQ==
                --OUTER
                Content-Type: text/plain

                Second text part.
                --OUTER--
                epilogue
                """;
        assertEquals("Plain words.\n\n\nSecond text part.\n", MailText.toText(mail, false));
    }

    @Test
    void aStubPlainPartLosesToARicherHtmlPart() {
        String richer = "<p>" + "Today's comic is about a pointy-haired boss and his engineers. ".repeat(12) + "</p>";
        String mail = "From: a@b.c\nSubject: x\nContent-Type: multipart/alternative; boundary=B\n\n--B\nContent-Type: text/plain\n\n"
                + "Your mail program cannot show HTML.\n--B\nContent-Type: text/html\n\n" + richer + "\n--B--\n";
        assertTrue(MailText.toText(mail, false).startsWith("<p>Today's comic"));
    }

    @Test
    void leftoverBoundaryLinesAreRemoved() {
        String mail = "From: a@b.c\nSubject: broken mime\n\n------=_NextPart_000_0000_01C2B6F1.2D0A5C60\nreal text\n"
                + "--0-1234567890-1033585384=:37424\nmore text\n-- \nsignature\n";
        assertEquals("real text\nmore text\n-- \nsignature\n", MailText.toText(mail, false));
    }

    @Test
    void anAttachedWebPageCountsAsText() {
        String page = Base64.getMimeEncoder().encodeToString("<html><body><p>Dear Sir, our offer.</p></body></html>".getBytes(StandardCharsets.ISO_8859_1));
        String mail = "From: a@b.c\nSubject: x\nContent-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\n\n--B\n"
                + "Content-Type: application/octet-stream; name=\"offer.htm\"\nContent-Transfer-Encoding: base64\n"
                + "Content-Disposition: attachment; filename=\"offer.htm\"\n\n" + page + "\n--B\nContent-Type: application/octet-stream; name=\"x.exe\"\n\nMZ\n--B--\n";
        assertEquals("<html><body><p>Dear Sir, our offer.</p></body></html>", MailText.toText(mail, false));
    }
}
