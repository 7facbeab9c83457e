/*
 * jsonw.h - a small streaming JSON writer.
 *
 * Owns: jw, an output buffer that collects one JSON value (typically one
 * line of JSONL) and writes it to a FILE. Every string it writes is
 * well-formed UTF-8 with no control character raw, whatever bytes it is
 * given: the one JSON rule (jsonw.c, on report/escape.h's units) escapes
 * C0 controls as RFC 8259 says, DEL, C1 and bidirectional controls as
 * \uXXXX, and writes each byte that is not part of well-formed UTF-8 as
 * the text \xNN; byte strings (jw_bytes) that are not valid UTF-8 are
 * written as {"base64": "..."} instead. Knows nothing about Kafka. Commas
 * between members and elements are inserted automatically.
 */
#ifndef KAUDIT_REPORT_JSONW_H
#define KAUDIT_REPORT_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JW_MAX_DEPTH 32

typedef struct jw {
    char *buf;          /* the value being built */
    size_t len, cap;
    int depth;
    bool first[JW_MAX_DEPTH]; /* no member written yet at this depth */
    bool after_key;     /* a key was written: the next value takes no comma */
    int oom;            /* an allocation failed: output is incomplete */
} jw;

/* Start empty. */
void jw_init(jw *w);
/* Free the buffer. Accepts NULL. */
void jw_free(jw *w);
/* Write what was built to `f` followed by a newline, and start again. */
int jw_flush_line(jw *w, FILE *f);

/* End the line built with a newline and keep it, after the lines before
 * it, for jw_flush (many lines go out in one write). 0, or -1 when memory
 * ran out building it (the line is incomplete, as jw_flush_line writes
 * it). */
int jw_end_line(jw *w);

/* Write what is buffered to f at any depth (a long document written as it
 * goes; the rest follows): 0, or -1 when writing failed or memory ran out.
 * The buffer is emptied. */
int jw_flush(jw *w, FILE *f);

void jw_obj_begin(jw *w);
void jw_obj_end(jw *w);
void jw_arr_begin(jw *w);
void jw_arr_end(jw *w);
/* A member name; the next call writes its value. */
void jw_key(jw *w, const char *k);

void jw_int(jw *w, int64_t v);
void jw_uint(jw *w, uint64_t v);
void jw_double(jw *w, double v);
void jw_bool(jw *w, bool v);
void jw_null(jw *w);
/* A NUL-terminated string of any bytes (names and paths from the data
 * too), as a JSON string under the rule above. */
void jw_str(jw *w, const char *s);
/* Bytes: null when p is NULL, a string when valid UTF-8 (controls escaped
 * by the rule above), else {"base64":..}. */
void jw_bytes(jw *w, const uint8_t *p, int64_t len);
/* Pre-rendered JSON text (cJSON's), inserted as one value; DEL, C1 and
 * bidirectional controls in it (inside its strings) become \uXXXX. */
void jw_raw(jw *w, const char *json);

/* Shorthands: key then value. */
void jw_kint(jw *w, const char *k, int64_t v);
void jw_kuint(jw *w, const char *k, uint64_t v);
void jw_kbool(jw *w, const char *k, bool v);
void jw_kstr(jw *w, const char *k, const char *s);

/*
 * A member name spelled in the program, made into JSON by the compiler:
 * JW_NAME("offset") is the two arguments "\"offset\":" and its length,
 * for jw_name and the jw_n* shorthands, which write it as it is (no
 * escaping to do on each line). Only for a string literal of printable
 * ASCII without '"' or '\', which the rule leaves as it is.
 */
#define JW_NAME(k) ("\"" k "\":"), (sizeof("\"" k "\":") - 1)

/* A member name given as JW_NAME's text; the next call writes its value. */
void jw_name(jw *w, const char *text, size_t n);
void jw_nint(jw *w, const char *text, size_t n, int64_t v);
void jw_nuint(jw *w, const char *text, size_t n, uint64_t v);
void jw_nbool(jw *w, const char *text, size_t n, bool v);
void jw_nstr(jw *w, const char *text, size_t n, const char *s);

/* A string written on many lines (a file's path, a topic): its JSON text
 * made once and kept while the string stays the same. */
typedef struct jw_memo {
    char *src;   /* the string last written (a copy), NULL when none */
    char *text;  /* its JSON text, quotes included */
    size_t len;  /* of text */
} jw_memo;

/* Start empty. */
void jw_memo_init(jw_memo *m);
/* Free what m keeps. Accepts NULL. */
void jw_memo_free(jw_memo *m);
/* jw_str(w, s), from m's text when s is the string m kept (by content);
 * else written and kept (when memory allows). Same bytes as jw_str. */
void jw_str_memo(jw *w, jw_memo *m, const char *s);

/* 1 when the n bytes at p are valid UTF-8: tx_utf8_valid (reader/text.h), kept
 * for the callers of this API (cli/util.c, tests/test_jsonw.c). */
int jw_utf8_valid(const uint8_t *p, size_t n);

#endif
