/* suggest.c - see suggest.h. */
#include "suggest.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "report/escape.h"

#define SG_MAX_OPTIONS 128 /* a command's long options; more are not suggested */

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

size_t sg_distance(const char *a, const char *b)
{
    size_t n = strnlen(a, SG_MAX_WORD), m = strnlen(b, SG_MAX_WORD);
    /* Three rows of the table: two back (for a swap), the previous, this. */
    size_t rows[3][SG_MAX_WORD + 1];
    size_t *back = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= m; j++) prev[j] = j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= m; j++) {
            bool same = lower(a[i - 1]) == lower(b[j - 1]);
            cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + !same);
            bool swapped = i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]);
            if (swapped && back[j - 2] + 1 < cur[j]) cur[j] = back[j - 2] + 1;
        }
        size_t *t = back;
        back = prev, prev = cur, cur = t;
    }
    return prev[m];
}

const char *sg_nearest(const char *typed, const char *const *words, size_t n)
{
    size_t len = strnlen(typed, SG_MAX_WORD), limit = len / 3 > 1 ? len / 3 : 1;
    const char *best = NULL;
    size_t best_d = limit + 1;
    for (size_t i = 0; i < n; i++) {
        size_t d = sg_distance(typed, words[i]);
        if (d < best_d) best = words[i], best_d = d;
    }
    if (best || len < 2) return best;
    /* "warn" for "warning": the one word it begins. */
    const char *only = NULL;
    size_t begins = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(words[i], typed, len) == 0) only = words[i], begins++;
    if (begins) return begins == 1 ? only : NULL;
    /* "jsonline" for "jsonl": the longest word it begins with. */
    for (size_t i = 0; i < n; i++) {
        size_t k = strnlen(words[i], SG_MAX_WORD);
        if (k >= 2 && k < len && strncmp(typed, words[i], k) == 0 && (!best || k > strlen(best))) best = words[i];
    }
    if (best) return best;
    /* "open_txn" for "open_transaction": the word whose beginning is near. */
    char head[SG_MAX_WORD + 1];
    for (size_t i = 0; i < n; i++) {
        if (strnlen(words[i], SG_MAX_WORD) <= len) continue;
        snprintf(head, sizeof head, "%.*s", (int)len, words[i]);
        size_t d = sg_distance(typed, head);
        if (d < best_d) best = words[i], best_d = d;
    }
    return best;
}

/* Append printf-style to out[*at..cap), cut at the end. */
static void add(char *out, size_t cap, size_t *at, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void add(char *out, size_t cap, size_t *at, const char *fmt, ...)
{
    if (*at + 1 >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(out + *at, cap - *at, fmt, ap);
    va_end(ap);
    *at = k < 0 ? cap : *at + (size_t)k < cap ? *at + (size_t)k : cap;
}

/* The long option whose val is `val`, or NULL. */
static const struct option *by_val(const struct option *opts, int val)
{
    for (const struct option *o = opts; o->name; o++)
        if (!o->flag && o->val == val) return o;
    return NULL;
}

/* "unknown option --x (did you mean --y?)" or "option --x is ambiguous:
 * --a, --b or --c", for a long option `name` (len bytes, no dashes). */
static void unknown_long(char *out, size_t cap, size_t *at, const char *name, size_t len, const struct option *opts)
{
    const char *words[SG_MAX_OPTIONS];
    size_t n = 0, prefixed = 0;
    for (const struct option *o = opts; o->name && n < SG_MAX_OPTIONS; o++) {
        words[n++] = o->name;
        prefixed += len > 0 && strncmp(o->name, name, len) == 0;
    }
    if (prefixed >= 2) {
        add(out, cap, at, "option --%.*s is ambiguous: ", (int)len, name);
        size_t said = 0;
        for (size_t i = 0; i < n; i++) {
            if (strncmp(words[i], name, len) != 0) continue;
            said++;
            add(out, cap, at, "%s--%s", said == 1 ? "" : said == prefixed ? " or " : ", ", words[i]);
        }
        return;
    }
    char typed[SG_MAX_WORD + 1];
    snprintf(typed, sizeof typed, "%.*s", (int)len, name);
    const char *near = sg_nearest(typed, words, n);
    add(out, cap, at, "unknown option --%.*s", (int)len, name);
    if (near) add(out, cap, at, " (did you mean --%s?)", near);
}

char *sg_option_message(char *out, size_t cap, const char *who, int c, int opt, const char *word,
                        const struct option *opts)
{
    size_t at = 0;
    if (cap == 0) return out;
    out[0] = '\0';
    if (!word) word = "";
    bool dashes = strncmp(word, "--", 2) == 0;
    const char *name = dashes ? word + 2 : word;
    size_t len = strcspn(name, "=");
    const struct option *o = by_val(opts, opt);
    add(out, cap, &at, "%s: ", who);
    if (c == ':' && dashes && o) add(out, cap, &at, "--%s needs a value", o->name);
    else if (c == ':') add(out, cap, &at, "-%c needs a value", opt);
    else if (opt == 0) unknown_long(out, cap, &at, name, len, opts);
    else if (dashes && o && o->has_arg == no_argument) add(out, cap, &at, "--%s takes no value", o->name);
    else add(out, cap, &at, "unknown option -%c", opt);
    add(out, cap, &at, "; run '%s --help'", who);
    return out;
}

void sg_option_error(const char *who, int c, const struct option *opts, char *const *argv)
{
    char line[512];
    const char *word = optind > 0 ? argv[optind - 1] : "";
    es_fputs(sg_option_message(line, sizeof line, who, c, optopt, word, opts), stderr);
    fputc('\n', stderr);
}

char *sg_value_message(char *out, size_t cap, const char *who, const char *msg, const char *arg,
                       const char *const *words, size_t n, const char *hint)
{
    size_t at = 0;
    if (cap == 0) return out;
    out[0] = '\0';
    add(out, cap, &at, "%s: %s", who, msg);
    if (arg) add(out, cap, &at, ": %s", arg);
    const char *near = arg && n ? sg_nearest(arg, words, n) : NULL;
    if (near) add(out, cap, &at, " (did you mean %s?)", near);
    if (hint) add(out, cap, &at, "%s", hint);
    return out;
}

void sg_value_error(const char *who, const char *msg, const char *arg, const char *const *words, size_t n,
                    const char *hint)
{
    char line[1024];
    es_fputs(sg_value_message(line, sizeof line, who, msg, arg, words, n, hint), stderr);
    fputc('\n', stderr);
}
