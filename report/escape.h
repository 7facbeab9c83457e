/*
 * escape.h - the one rule for which text from the data (topic and directory
 * names, paths, messages that quote them, keys, values, headers, decoded
 * fields) may reach an output as it is.
 *
 * Owns: the classification of bytes into units (es_unit) and the text form
 * of the units that must not pass: every output read by people (the text
 * report, Markdown, HTML, `kaudit dump`'s text, the CLI's stderr) writes
 * each of their bytes as `\xNN` (two lowercase hex digits), through
 * es_fwrite / es_fputs or, where a format escapes its own syntax on top
 * (Markdown, HTML), through es_unit and es_hex. JSON takes the same units
 * and writes them its own way (report/jsonw.c).
 *
 * Escaped, so that a name cannot move a cursor, clear a screen, set a
 * window title, inject a link or reorder what is shown around it:
 *   - C0 controls (U+0000..U+001F, tab and newline included) and DEL;
 *   - C1 controls (U+0080..U+009F) written as UTF-8 (0x9b alone is CSI on
 *     some terminals, and so is its UTF-8 form on others);
 *   - bidirectional controls (U+061C, U+200E, U+200F, U+202A..U+202E,
 *     U+2066..U+2069: "Trojan Source", CVE-2021-42574);
 *   - every byte that is not part of well-formed UTF-8 (reader/text.h's
 *     tx_utf8_seq), raw 0x9b included.
 * Everything else, printable ASCII and every other character, is plain. A
 * '\' is not escaped: Kafka topic names cannot hold one, and previews of
 * keys and values (report/preview.h) already write it as \x5c.
 *
 * On top of the text form, two formats escape their own syntax here:
 * Markdown (es_md_text, es_md_code: GitHub's and GitLab's Markdown, GFM)
 * and the Prometheus / OpenMetrics exposition format (es_prom_label).
 *
 * Allocates nothing; knows nothing about Kafka; prints only to the FILE it
 * is given.
 */
#ifndef KAUDIT_REPORT_ESCAPE_H
#define KAUDIT_REPORT_ESCAPE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What a unit is (es_unit). */
enum {
    ES_PLAIN = 0,   /* well-formed UTF-8, shown as it is */
    ES_CONTROL = 1, /* well-formed UTF-8, but a control the rule escapes */
    ES_INVALID = 2, /* one byte that is not part of well-formed UTF-8 */
};

/*
 * Classify the unit at p (n >= 1 bytes left, asserted): returns ES_PLAIN,
 * ES_CONTROL or ES_INVALID; *len is its length in bytes (1-4; always 1 for
 * ES_INVALID, so a broken sequence is escaped byte by byte) and *cp its
 * code point (for ES_INVALID, the byte). Never fails.
 */
int es_unit(const uint8_t *p, size_t n, size_t *len, uint32_t *cp);

/*
 * Length of the longest prefix of p[0..n) made of ES_PLAIN units: n when
 * nothing in it needs escaping.
 */
size_t es_plain_span(const uint8_t *p, size_t n);

/* Room es_hex needs: "\xNN" and a NUL. */
#define ES_HEX_MAX 5

/*
 * The text form of one escaped byte into out: "\xNN" (lowercase hex) and a
 * NUL. Returns 4, its length.
 */
size_t es_hex(uint8_t b, char out[ES_HEX_MAX]);

/*
 * Write n bytes at p to f in the text form: plain units as they are, every
 * byte of any other unit as \xNN. Returns 0, or EOF when a write failed
 * (ferror(f) then says so too).
 */
int es_fwrite(const void *p, size_t n, FILE *f);

/* es_fwrite of a NUL-terminated string; NULL writes nothing. */
int es_fputs(const char *s, FILE *f);

/*
 * Write s as Markdown text that shows exactly the text form (a table cell,
 * a list item, a line): each \xNN of the text form as \\xNN (Markdown's
 * literal backslash), and every ASCII character that Markdown, GFM or
 * GitLab could read as syntax backslash-escaped: \ ` * _ { } [ ] < > | ~ &
 * $ : (no emphasis, strikethrough, link, image, raw HTML, entity such as
 * &#8238;, math, emoji shortcode or http:// autolink; '|' cannot end a
 * table cell). Never writes a newline. NULL writes nothing. Returns 0, or
 * EOF when a write failed.
 */
int es_md_text(const char *s, FILE *f);

/*
 * Write s as a Markdown code span for a table cell: fenced by one more
 * backtick than its longest run of them, padded by a space each side (so
 * a backtick at either end stays inside), its text form inside as it is
 * (a code span shows backslashes literally), and '|', which would end the
 * cell even inside a code span, as '/'. NULL is an empty span. Returns 0,
 * or EOF when a write failed.
 */
int es_md_code(const char *s, FILE *f);

/*
 * Write s as the value of a label of the Prometheus text format (0.0.4)
 * and OpenMetrics, between the quotes the caller writes: '\' as \\, '"' as
 * \" and a newline as \n, the three escapes the formats have (a reader
 * gets those characters back); every other unit that is not plain (a
 * control, a bidirectional control, a byte that is not UTF-8, which the
 * formats reject) in the text form, its \ escaped: \\xNN, read back as
 * the four characters \xNN (as JSON does for a byte that is not UTF-8).
 * The output is valid UTF-8 without a control. NULL writes nothing.
 * Returns 0, or EOF when a write failed.
 */
int es_prom_label(const char *s, FILE *f);

#endif
