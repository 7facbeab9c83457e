/* checkpoint.c - see checkpoint.h. */
#include "checkpoint.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "reader/text.h"

/* ---- lines, as java.io.BufferedReader.readLine cuts them ------------- */

typedef struct kk_lines {
    const uint8_t *buf; /* the whole file */
    size_t len;
    size_t at;      /* start of the next line */
    int32_t lineno; /* lines returned so far */
} kk_lines;

typedef struct kk_line {
    const uint8_t *p; /* first byte of the line, terminator excluded */
    size_t n;         /* its length */
    int64_t pos;      /* its byte position in the file */
    int32_t no;       /* 1-based line number */
} kk_line;

static kk_lines lines_make(const uint8_t *buf, size_t len)
{
    kk_lines it = {buf, len, 0, 0};
    return it;
}

/*
 * Next line: 1, or 0 at the end (a final line without terminator counts,
 * "\n" at the end adds no empty line), or KE_TOO_LARGE for a line longer
 * than KK_MAX_LINE (found without scanning past the cap).
 */
static int next_line(kk_lines *it, kk_line *l, ke_error *err)
{
    if (it->at >= it->len) return 0;
    size_t start = it->at, end = start, stop = it->len;
    if (stop - start > KK_MAX_LINE + 1) stop = start + KK_MAX_LINE + 1;
    while (end < stop && it->buf[end] != '\n' && it->buf[end] != '\r')
        end++;
    l->p = it->buf + start;
    l->n = end - start;
    l->pos = (int64_t)start;
    l->no = ++it->lineno;
    KE_RET_IF(l->n > KK_MAX_LINE, err, KE_TOO_LARGE, l->pos, "line %" PRId32 " is over %d bytes", l->no,
              KK_MAX_LINE);
    bool crlf = end + 1 < it->len && it->buf[end] == '\r' && it->buf[end + 1] == '\n';
    it->at = end < it->len ? end + 1 + crlf : end;
    return 1;
}

/* Kafka reads these files with a strict UTF-8 decoder (CodingErrorAction.REPORT),
 * which accepts exactly what tx_utf8_span does (NUL included). */
static int check_utf8(const kk_line *l, ke_error *err)
{
    size_t i = tx_utf8_span(l->p, l->n);
    KE_RET_IF(i < l->n, err, KE_CORRUPT, l->pos + (int64_t)i, "line %" PRId32 ": invalid UTF-8", l->no);
    return 0;
}

/* Integer.parseInt / Long.parseLong over ASCII: [+-]digits, in [min, max]. */
static bool parse_java_int(const uint8_t *p, size_t n, int64_t min, int64_t max, int64_t *out)
{
    assert(min < 0 && max > 0);
    size_t i = 0;
    bool neg = n > 0 && p[0] == '-';
    if (n > 0 && (p[0] == '-' || p[0] == '+')) i = 1;
    if (i == n) return false;
    uint64_t limit = neg ? (uint64_t)(-(min + 1)) + 1 : (uint64_t)max;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return false;
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (limit - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = neg ? (v == 0 ? 0 : -(int64_t)(v - 1) - 1) : (int64_t)v;
    return true;
}

static bool parse_i32(const uint8_t *p, size_t n, int32_t *out)
{
    int64_t v;
    if (!parse_java_int(p, n, INT32_MIN, INT32_MAX, &v)) return false;
    *out = (int32_t)v;
    return true;
}

static bool parse_i64(const uint8_t *p, size_t n, int64_t *out)
{
    return parse_java_int(p, n, INT64_MIN, INT64_MAX, out);
}

/* Java's \s inside a line: space, \t, \x0B, \f (\r and \n end lines). */
static bool is_java_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == 0x0B || c == '\f';
}

typedef struct kk_tok {
    const uint8_t *p;
    size_t n;
} kk_tok;

/*
 * String.split("\\s+") as far as a caller needs: up to `max` tokens into
 * tok, and the count Java's array would have (may exceed max). A leading
 * blank gives a leading empty token, trailing blanks give none, a blank or
 * empty line gives 0 or 1 empty token - never a well-formed entry.
 */
static size_t split_ws(const uint8_t *p, size_t n, kk_tok *tok, size_t max)
{
    size_t count = 0, i = 0;
    if (n > 0 && is_java_space(p[0])) {
        while (i < n && is_java_space(p[i]))
            i++;
        if (i == n) return 0;
        if (max > 0) tok[0] = (kk_tok){p, 0};
        count = 1;
    }
    if (n == 0) {
        if (max > 0) tok[0] = (kk_tok){p, 0};
        return 1;
    }
    while (i < n) {
        size_t s = i;
        while (i < n && !is_java_space(p[i]))
            i++;
        if (count < max) tok[count] = (kk_tok){p + s, i - s};
        count++;
        while (i < n && is_java_space(p[i]))
            i++;
    }
    return count;
}

/* ---- offset and leader-epoch checkpoints ---------------------------- */

/* First pass: every line valid UTF-8 and short enough, and how many lines. */
static int count_lines(const uint8_t *buf, size_t len, size_t *nlines, ke_error *err)
{
    kk_lines it = lines_make(buf, len);
    kk_line l;
    int rc;
    *nlines = 0;
    while ((rc = next_line(&it, &l, err)) > 0) {
        KE_FORWARD(check_utf8(&l, err));
        KE_RET_IF(*nlines >= (size_t)KK_MAX_ENTRIES + 2, err, KE_TOO_LARGE, l.pos, "more than %d entry lines",
                  KK_MAX_ENTRIES);
        (*nlines)++;
    }
    return rc;
}

/* The version and count lines: the whole line is one Integer.parseInt. */
static int header_int(const kk_line *l, const char *what, int32_t *v, ke_error *err)
{
    KE_RET_IF(!parse_i32(l->p, l->n, v), err, KE_CORRUPT, l->pos, "line %" PRId32 ": malformed %s line",
              l->no, what);
    return 0;
}

static int alloc_entries(kk_checkpoint *c, size_t n, size_t len, ke_error *err)
{
    assert(n <= KK_MAX_ENTRIES);
    if (n == 0) return 0;
    c->entries = calloc(n, sizeof *c->entries);
    KE_RET_IF(!c->entries, err, KE_NOMEM, -1, "no memory for %zu checkpoint entries", n);
    if (c->kind != KK_OFFSETS) return 0;
    c->names = malloc(len + 1);
    KE_RET_IF(!c->names, err, KE_NOMEM, -1, "no memory for topic names (%zu bytes)", len);
    return 0;
}

/* Copy a topic token into the name pool (Kafka accepts any token; a NUL
 * byte could not be represented as a C string, and no topic has one). */
static int add_topic(kk_checkpoint *c, size_t *used, const kk_tok *t, const kk_line *l, kk_entry *e,
                     ke_error *err)
{
    KE_RET_IF(memchr(t->p, 0, t->n) != NULL, err, KE_CORRUPT, l->pos,
              "line %" PRId32 ": NUL byte in topic name", l->no);
    memcpy(c->names + *used, t->p, t->n);
    c->names[*used + t->n] = '\0';
    e->topic = c->names + *used;
    *used += t->n + 1;
    return 0;
}

static int parse_entry(kk_checkpoint *c, size_t *used, const kk_line *l, ke_error *err)
{
    kk_tok t[3];
    size_t want = c->kind == KK_OFFSETS ? 3 : 2;
    size_t got = split_ws(l->p, l->n, t, 3);
    KE_RET_IF(got != want, err, KE_CORRUPT, l->pos,
              "line %" PRId32 ": malformed entry (%zu fields, %zu expected)", l->no, got, want);
    kk_entry *e = &c->entries[c->n];
    *e = (kk_entry){NULL, -1, -1, -1, l->no, l->pos};
    bool ok = want == 3 ? parse_i32(t[1].p, t[1].n, &e->partition) && parse_i64(t[2].p, t[2].n, &e->offset)
                        : parse_i32(t[0].p, t[0].n, &e->epoch) && parse_i64(t[1].p, t[1].n, &e->offset);
    KE_RET_IF(!ok, err, KE_CORRUPT, l->pos, "line %" PRId32 ": malformed number in entry", l->no);
    if (want == 3) KE_FORWARD(add_topic(c, used, &t[0], l, e, err));
    c->n++;
    return 0;
}

static int count_mismatch(const kk_checkpoint *c, size_t len, ke_error *err)
{
    if (c->n > (size_t)c->count) {
        const kk_entry *x = &c->entries[c->count];
        return ke_set(err, KE_CORRUPT, x->pos,
                      "expected %" PRId32 " entries, found %zu (first extra at line %" PRId32 ")", c->count,
                      c->n, x->line);
    }
    return ke_set(err, KE_CORRUPT, (int64_t)len, "expected %" PRId32 " entries, found only %zu", c->count,
                  c->n);
}

/* CheckpointFile.CheckpointReadBuffer.read over lines already vetted. */
static int fill_checkpoint(kk_checkpoint *c, const uint8_t *buf, size_t len, size_t nlines, ke_error *err)
{
    kk_lines it = lines_make(buf, len);
    kk_line l;
    int rc = next_line(&it, &l, err);
    if (rc <= 0) return rc;
    KE_FORWARD(header_int(&l, "version", &c->version, err));
    KE_RET_IF(c->version != KK_CHECKPOINT_VERSION, err, KE_UNSUPPORTED, l.pos,
              "line 1: unrecognised version %" PRId32 ", expected %d", c->version, KK_CHECKPOINT_VERSION);
    rc = next_line(&it, &l, err);
    if (rc <= 0) return rc;
    KE_FORWARD(header_int(&l, "count", &c->count, err));
    KE_RET_IF(c->count < 0, err, KE_CORRUPT, l.pos, "line 2: negative entry count %" PRId32, c->count);
    assert(nlines >= 2);
    KE_FORWARD(alloc_entries(c, nlines - 2, len, err));
    size_t used = 0;
    while ((rc = next_line(&it, &l, err)) > 0)
        KE_FORWARD(parse_entry(c, &used, &l, err));
    KE_FORWARD(rc);
    if (c->n != (size_t)c->count) return count_mismatch(c, len, err);
    return 0;
}

int kk_checkpoint_parse(kk_checkpoint **out, kk_kind kind, const uint8_t *buf, size_t len, ke_error *err)
{
    KE_RET_IF(!out, err, KE_USAGE, -1, "kk_checkpoint_parse: no output");
    *out = NULL;
    KE_RET_IF(!buf && len > 0, err, KE_USAGE, -1, "kk_checkpoint_parse: no buffer for %zu bytes", len);
    KE_RET_IF(kind != KK_OFFSETS && kind != KK_LEADER_EPOCH, err, KE_USAGE, -1,
              "kk_checkpoint_parse: unknown kind %d", (int)kind);
    KE_RET_IF(len > KK_MAX_FILE, err, KE_TOO_LARGE, 0, "checkpoint of %zu bytes, over the %zu cap", len,
              KK_MAX_FILE);
    size_t nlines;
    KE_FORWARD(count_lines(buf, len, &nlines, err));
    kk_checkpoint *c = calloc(1, sizeof *c);
    KE_RET_IF(!c, err, KE_NOMEM, -1, "no memory for a checkpoint");
    c->kind = kind;
    c->version = -1;
    c->count = -1;
    int rc = fill_checkpoint(c, buf, len, nlines, err);
    if (rc < 0) {
        kk_checkpoint_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void kk_checkpoint_free(kk_checkpoint *c)
{
    if (!c) return;
    free(c->entries);
    free(c->names);
    free(c);
}

int kk_leader_epoch_check(const kk_checkpoint *c, size_t *next, ke_error *err)
{
    KE_RET_IF(!c || !next, err, KE_USAGE, -1, "kk_leader_epoch_check: missing argument");
    KE_RET_IF(c->kind != KK_LEADER_EPOCH, err, KE_USAGE, -1,
              "kk_leader_epoch_check: not a leader-epoch-checkpoint");
    while (*next < c->n) {
        size_t i = (*next)++;
        const kk_entry *e = &c->entries[i];
        KE_RET_IF(e->epoch < 0 || e->offset < 0, err, KE_CORRUPT, e->pos,
                  "line %" PRId32 ": negative epoch %" PRId32 " or start offset %" PRId64, e->line, e->epoch,
                  e->offset);
        if (i == 0) continue;
        const kk_entry *p = &c->entries[i - 1];
        KE_RET_IF(e->epoch <= p->epoch, err, KE_CORRUPT, e->pos,
                  "line %" PRId32 ": epoch %" PRId32 " is not above the previous %" PRId32, e->line, e->epoch,
                  p->epoch);
        KE_RET_IF(e->offset <= p->offset, err, KE_CORRUPT, e->pos,
                  "line %" PRId32 ": start offset %" PRId64 " of epoch %" PRId32
                  " is not above the previous %" PRId64,
                  e->line, e->offset, e->epoch, p->offset);
    }
    return 0;
}

/* ---- Kafka's UUID text ---------------------------------------------- */

static int b64url_value(char ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '-') return 62;
    if (ch == '_') return 63;
    return -1;
}

bool kk_uuid_decode(const char *s, size_t n, uint8_t out[16])
{
    /* Java's url decoder yields 16 bytes only from 22 symbols, bare or + "==". */
    if (!s || !out) return false;
    if (n == 24 && (s[22] != '=' || s[23] != '=')) return false;
    if (n != 22 && n != 24) return false;
    uint32_t bits = 0;
    int have = 0;
    size_t o = 0;
    for (size_t i = 0; i < KK_UUID_TEXT_LEN; i++) {
        int v = b64url_value(s[i]);
        if (v < 0) return false;
        bits = (bits << 6) | (uint32_t)v;
        have += 6;
        if (have >= 8) {
            have -= 8;
            out[o++] = (uint8_t)(bits >> have);
            bits &= (1u << have) - 1;
        }
    }
    assert(o == 16);
    return true;
}

void kk_uuid_encode(const uint8_t uuid[16], char out[KK_UUID_TEXT_LEN + 1])
{
    size_t o = tx_base64(uuid, 16, TX_B64_URL | TX_B64_NOPAD, out);
    assert(o == KK_UUID_TEXT_LEN);
    (void)o;
}

static bool uuid_is_zero(const uint8_t u[16])
{
    for (int i = 0; i < 16; i++)
        if (u[i]) return false;
    return true;
}

/* ---- partition.metadata --------------------------------------------- */

static void add_part(kk_tok *t, size_t *parts, size_t *keep, const uint8_t *p, size_t n)
{
    if (*parts < 2) t[*parts] = (kk_tok){p, n};
    (*parts)++;
    if (n > 0) *keep = *parts;
}

/*
 * line.split(":\\s+") needing exactly 2 parts: each ':' followed by a run
 * of blanks separates; Java drops every trailing empty part, and a line
 * with no separator is one part (even when empty).
 */
static bool split_colon(const kk_line *l, kk_tok *key, kk_tok *val)
{
    size_t parts = 0, keep = 0, start = 0;
    bool matched = false;
    kk_tok t[2];
    for (size_t i = 0; i + 1 < l->n; i++) {
        if (l->p[i] != ':' || !is_java_space(l->p[i + 1])) continue;
        add_part(t, &parts, &keep, l->p + start, i - start);
        matched = true;
        i++;
        while (i + 1 < l->n && is_java_space(l->p[i + 1]))
            i++;
        start = i + 1;
    }
    add_part(t, &parts, &keep, l->p + start, l->n - start);
    if ((matched ? keep : 1) != 2) return false;
    *key = t[0];
    *val = t[1];
    return true;
}

static int pm_line(kk_lines *it, kk_line *l, const char *what, kk_tok *val, ke_error *err)
{
    int rc = next_line(it, l, err);
    KE_FORWARD(rc);
    KE_RET_IF(rc == 0, err, KE_SHORT, (int64_t)it->len, "partition.metadata has no %s line", what);
    KE_FORWARD(check_utf8(l, err));
    kk_tok key;
    KE_RET_IF(!split_colon(l, &key, val), err, KE_CORRUPT, l->pos, "line %" PRId32 ": malformed %s line",
              l->no, what);
    return 0;
}

int kk_partition_metadata_parse(kk_partition_metadata *out, const uint8_t *buf, size_t len, ke_error *err)
{
    KE_RET_IF(!out || (!buf && len > 0), err, KE_USAGE, -1, "kk_partition_metadata_parse: bad arguments");
    kk_lines it = lines_make(buf, len);
    kk_line l;
    kk_tok v;
    kk_partition_metadata pm;
    KE_FORWARD(pm_line(&it, &l, "version", &v, err));
    KE_RET_IF(!parse_i32(v.p, v.n, &pm.version), err, KE_CORRUPT, l.pos, "line 1: malformed version");
    KE_RET_IF(pm.version < 0, err, KE_UNSUPPORTED, l.pos, "line 1: version %" PRId32, pm.version);
    KE_FORWARD(pm_line(&it, &l, "topic_id", &v, err));
    KE_RET_IF(!kk_uuid_decode((const char *)v.p, v.n, pm.uuid), err, KE_CORRUPT, l.pos,
              "line 2: topic id is not a base64url UUID");
    KE_RET_IF(uuid_is_zero(pm.uuid), err, KE_CORRUPT, l.pos, "line 2: all-zero topic id");
    kk_uuid_encode(pm.uuid, pm.topic_id);
    *out = pm;
    return 0;
}

/* ---- meta.properties (java.util.Properties.load) --------------------- */

typedef struct kk_pline {
    char text[KK_MAX_LINE]; /* the logical line, continuations joined, escapes kept */
    size_t n;
    int64_t pos; /* position of its first key byte */
    int32_t no;  /* line number where it starts */
} kk_pline;

static bool is_prop_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\f';
}

static size_t skip_prop_space(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && is_prop_space(p[i]))
        i++;
    return i;
}

static int pline_append(kk_pline *pl, const uint8_t *p, size_t n, ke_error *err)
{
    KE_RET_IF(n > KK_MAX_LINE - pl->n, err, KE_TOO_LARGE, pl->pos,
              "line %" PRId32 ": logical line over %d bytes", pl->no, KK_MAX_LINE);
    memcpy(pl->text + pl->n, p, n);
    pl->n += n;
    return 0;
}

static bool odd_backslashes_at_end(const kk_pline *pl)
{
    size_t k = 0;
    while (k < pl->n && pl->text[pl->n - 1 - k] == '\\')
        k++;
    return k % 2 == 1;
}

/* Properties.LineReader: next logical line, skipping blanks and comments. */
static int pline_next(kk_lines *it, kk_pline *pl, ke_error *err)
{
    kk_line l;
    size_t i = 0;
    int rc;
    do {
        rc = next_line(it, &l, err);
        if (rc <= 0) return rc;
        i = skip_prop_space(l.p, l.n);
    } while (i == l.n || l.p[i] == '#' || l.p[i] == '!');
    pl->n = 0;
    pl->pos = l.pos + (int64_t)i;
    pl->no = l.no;
    KE_FORWARD(pline_append(pl, l.p + i, l.n - i, err));
    while (odd_backslashes_at_end(pl)) {
        pl->n--;
        rc = next_line(it, &l, err);
        KE_FORWARD(rc);
        if (rc == 0) break;
        i = skip_prop_space(l.p, l.n);
        KE_FORWARD(pline_append(pl, l.p + i, l.n - i, err));
    }
    return 1;
}

/* Properties.load0: where the key ends and the value starts. */
static void pline_split(const kk_pline *pl, size_t *key_len, size_t *val_start)
{
    size_t k = 0, v = pl->n;
    bool bs = false, sep = false;
    for (; k < pl->n; k++) {
        char c = pl->text[k];
        if ((c == '=' || c == ':') && !bs) {
            v = k + 1;
            sep = true;
            break;
        }
        if (is_prop_space((uint8_t)c) && !bs) {
            v = k + 1;
            break;
        }
        bs = c == '\\' ? !bs : false;
    }
    while (v < pl->n && is_prop_space((uint8_t)pl->text[v]))
        v++;
    if (!sep && v < pl->n && (pl->text[v] == '=' || pl->text[v] == ':')) {
        v++;
        while (v < pl->n && is_prop_space((uint8_t)pl->text[v]))
            v++;
    }
    *key_len = k;
    *val_start = v;
}

/* Append code unit u as UTF-8 (a lone surrogate is encoded as is). */
static bool put_utf8(char *out, size_t cap, size_t *o, uint32_t u)
{
    uint8_t b[3];
    size_t k = u < 0x80 ? 1 : u < 0x800 ? 2 : 3;
    if (k == 1) b[0] = (uint8_t)u;
    if (k == 2) b[0] = (uint8_t)(0xC0 | (u >> 6)), b[1] = (uint8_t)(0x80 | (u & 0x3F));
    if (k == 3)
        b[0] = (uint8_t)(0xE0 | (u >> 12)), b[1] = (uint8_t)(0x80 | ((u >> 6) & 0x3F)),
        b[2] = (uint8_t)(0x80 | (u & 0x3F));
    if (cap - *o < k + 1) return false;
    memcpy(out + *o, b, k);
    *o += k;
    return true;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* One escape after a backslash at s[*i]; -1 for a malformed \uXXXX. */
static int32_t unescape_one(const char *s, size_t n, size_t *i)
{
    char c = s[(*i)++];
    if (c == 't') return '\t';
    if (c == 'n') return '\n';
    if (c == 'r') return '\r';
    if (c == 'f') return '\f';
    if (c != 'u') return (uint8_t)c;
    if (n - *i < 4) return -1;
    int32_t u = 0;
    for (int k = 0; k < 4; k++) {
        int h = hex_value(s[(*i)++]);
        if (h < 0) return -1;
        u = u * 16 + h;
    }
    return u;
}

/*
 * Properties.loadConvert into out (NUL-terminated, UTF-8; input bytes are
 * ISO-8859-1 characters). Returns 0, -1 for a malformed \uXXXX, -2 when
 * the result does not fit `cap`.
 */
static int prop_convert(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        int32_t u = (uint8_t)s[i++];
        if (u == '\\' && i < n) u = unescape_one(s, n, &i);
        if (u < 0) return -1;
        if (!put_utf8(out, cap, &o, (uint32_t)u)) return -2;
    }
    out[o] = '\0';
    return 0;
}

enum { MP_VERSION, MP_CLUSTER_ID, MP_BROKER_ID, MP_NODE_ID, MP_DIRECTORY_ID, MP_NKEYS };
static const char *const mp_keys[MP_NKEYS] = {"version", "cluster.id", "broker.id", "node.id",
                                              "directory.id"};

typedef struct kk_mp_raw {
    bool set[MP_NKEYS];
    char val[MP_NKEYS][KK_STR_MAX]; /* converted value, last occurrence wins */
    int64_t pos[MP_NKEYS];          /* position of that line */
    int32_t no[MP_NKEYS];           /* its number */
    size_t other;                   /* lines with other keys */
} kk_mp_raw;

/* Every key and value fits this once converted: a byte becomes at most 2
 * UTF-8 bytes, a 6-byte \\uXXXX at most 3. */
typedef char kk_pconv[2 * KK_MAX_LINE + 1];

/* Convert a key or value as Properties.loadConvert does (KE_CORRUPT for a
 * malformed \\uXXXX, which makes Properties.load throw). */
static int mp_convert(const kk_pline *pl, size_t from, size_t n, kk_pconv out, ke_error *err)
{
    int rc = prop_convert(pl->text + from, n, out, sizeof(kk_pconv));
    assert(rc != -2);
    KE_RET_IF(rc == -1, err, KE_CORRUPT, pl->pos, "line %" PRId32 ": malformed \\uxxxx encoding", pl->no);
    return 0;
}

static int mp_key_index(const char *key)
{
    for (int k = 0; k < MP_NKEYS; k++)
        if (strcmp(key, mp_keys[k]) == 0) return k;
    return MP_NKEYS;
}

static int mp_take_line(kk_mp_raw *raw, const kk_pline *pl, ke_error *err)
{
    size_t key_len, val_start;
    kk_pconv key, val;
    pline_split(pl, &key_len, &val_start);
    KE_FORWARD(mp_convert(pl, 0, key_len, key, err));
    KE_FORWARD(mp_convert(pl, val_start, pl->n - val_start, val, err));
    int k = mp_key_index(key);
    if (k == MP_NKEYS) {
        raw->other++;
        return 0;
    }
    size_t n = strlen(val);
    KE_RET_IF(n >= KK_STR_MAX, err, KE_TOO_LARGE, pl->pos, "line %" PRId32 ": %s value over %d bytes", pl->no,
              mp_keys[k], KK_STR_MAX - 1);
    memcpy(raw->val[k], val, n + 1);
    raw->set[k] = true;
    raw->pos[k] = pl->pos;
    raw->no[k] = pl->no;
    return 0;
}

/* String.trim(): strip chars <= ' ' at both ends. */
static kk_tok java_trim(const char *s)
{
    size_t n = strlen(s), a = 0;
    while (a < n && (uint8_t)s[a] <= ' ')
        a++;
    while (n > a && (uint8_t)s[n - 1] <= ' ')
        n--;
    return (kk_tok){(const uint8_t *)s + a, n - a};
}

static int mp_version(const kk_mp_raw *raw, kk_meta_properties *m, ke_error *err)
{
    m->has_version = raw->set[MP_VERSION];
    m->version = 0;
    if (!m->has_version) return 0;
    kk_tok t = java_trim(raw->val[MP_VERSION]);
    int64_t p = raw->pos[MP_VERSION];
    KE_RET_IF(!parse_i32(t.p, t.n, &m->version), err, KE_CORRUPT, p,
              "line %" PRId32 ": invalid meta.properties version '%s'", raw->no[MP_VERSION],
              raw->val[MP_VERSION]);
    KE_RET_IF(m->version != 0 && m->version != 1, err, KE_UNSUPPORTED, p,
              "line %" PRId32 ": unknown meta.properties version %" PRId32, raw->no[MP_VERSION], m->version);
    return 0;
}

/* An id key: required (error when absent or not an int), or opportunistic. */
static int mp_id(const kk_mp_raw *raw, int k, bool required, bool *has, int32_t *v, ke_error *err)
{
    const char *s = raw->val[k];
    *has = raw->set[k] && parse_i32((const uint8_t *)s, strlen(s), v);
    if (!required || *has) return 0;
    KE_RET_IF(!raw->set[k], err, KE_CORRUPT, -1, "%s was not found", mp_keys[k]);
    return ke_set(err, KE_CORRUPT, raw->pos[k], "line %" PRId32 ": unable to read %s as a base-10 number",
                  raw->no[k], mp_keys[k]);
}

static int mp_finish(const kk_mp_raw *raw, kk_meta_properties *m, ke_error *err)
{
    KE_FORWARD(mp_version(raw, m, err));
    bool v0 = m->version == 0;
    KE_FORWARD(mp_id(raw, MP_BROKER_ID, v0 && raw->set[MP_BROKER_ID], &m->has_broker_id, &m->broker_id, err));
    KE_FORWARD(mp_id(raw, MP_NODE_ID, !v0, &m->has_node_id, &m->node_id, err));
    m->has_cluster_id = raw->set[MP_CLUSTER_ID];
    memcpy(m->cluster_id, raw->val[MP_CLUSTER_ID], KK_STR_MAX);
    m->has_directory_id = raw->set[MP_DIRECTORY_ID];
    const char *d = raw->val[MP_DIRECTORY_ID];
    KE_RET_IF(m->has_directory_id && !kk_uuid_decode(d, strlen(d), m->directory_id), err, KE_CORRUPT,
              raw->pos[MP_DIRECTORY_ID], "line %" PRId32 ": unable to read directory.id as a Uuid",
              raw->no[MP_DIRECTORY_ID]);
    KE_RET_IF(!v0 && !m->has_cluster_id, err, KE_CORRUPT, -1, "cluster.id was not found");
    m->other_keys = raw->other;
    return 0;
}

int kk_meta_properties_parse(kk_meta_properties *out, const uint8_t *buf, size_t len, ke_error *err)
{
    KE_RET_IF(!out || (!buf && len > 0), err, KE_USAGE, -1, "kk_meta_properties_parse: bad arguments");
    KE_RET_IF(len > KK_MAX_FILE, err, KE_TOO_LARGE, 0, "meta.properties of %zu bytes", len);
    kk_mp_raw raw;
    kk_pline pl;
    kk_meta_properties m;
    memset(&raw, 0, sizeof raw);
    memset(&m, 0, sizeof m);
    kk_lines it = lines_make(buf, len);
    int rc;
    while ((rc = pline_next(&it, &pl, err)) > 0)
        KE_FORWARD(mp_take_line(&raw, &pl, err));
    KE_FORWARD(rc);
    KE_FORWARD(mp_finish(&raw, &m, err));
    *out = m;
    return 0;
}

/* ---- JSON files: .kafka_cleanshutdown, quorum-state ------------------ */

/* Parse exactly one JSON value filling [0, len) (blanks after it allowed). */
static int json_parse(const uint8_t *buf, size_t len, cJSON **out, ke_error *err)
{
    KE_RET_IF(len > KK_MAX_JSON, err, KE_TOO_LARGE, 0, "JSON file of %zu bytes, over the %zu cap", len,
              KK_MAX_JSON);
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts((const char *)buf, len, &end, 0);
    int64_t at = end ? (int64_t)(end - (const char *)buf) : -1;
    KE_RET_IF(!j, err, KE_CORRUPT, at, "invalid JSON");
    size_t i = (size_t)at;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r'))
        i++;
    if (i < len || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return ke_set(err, KE_CORRUPT, i < len ? (int64_t)i : 0,
                      i < len ? "bytes after the JSON value" : "JSON value is not an object");
    }
    *out = j;
    return 0;
}

/* The last member named `key` (Jackson keeps the last of duplicates). */
static const cJSON *json_get(const cJSON *o, const char *key)
{
    const cJSON *found = NULL;
    for (const cJSON *c = o->child; c; c = c->next)
        if (c->string && strcmp(c->string, key) == 0) found = c;
    return found;
}

/* 2^53: below it a double holds every integer exactly; 2^53 itself is also
 * what 2^53 + 1 rounds to, so it is excluded. */
#define KK_JSON_EXACT 9007199254740992.0

/* An integer member in [min, max]; absent or null leaves *has false. */
static int json_int(const cJSON *o, const char *key, int64_t min, int64_t max, bool *has, int64_t *v,
                    ke_error *err)
{
    const cJSON *x = json_get(o, key);
    *has = false;
    if (!x || cJSON_IsNull(x)) return 0;
    KE_RET_IF(!cJSON_IsNumber(x), err, KE_CORRUPT, -1, "\"%s\" is not a number", key);
    double d = x->valuedouble;
    KE_RET_IF(!(d > -KK_JSON_EXACT && d < KK_JSON_EXACT), err, KE_CORRUPT, -1,
              "\"%s\" is out of the exactly representable range", key);
    int64_t i = (int64_t)d;
    KE_RET_IF((double)i != d, err, KE_CORRUPT, -1, "\"%s\" is not an integer", key);
    KE_RET_IF(i < min || i > max, err, KE_CORRUPT, -1, "\"%s\" = %" PRId64 " is out of range", key, i);
    *has = true;
    *v = i;
    return 0;
}

static int json_i32(const cJSON *o, const char *key, bool *has, int32_t *v, ke_error *err)
{
    int64_t x = 0;
    KE_FORWARD(json_int(o, key, INT32_MIN, INT32_MAX, has, &x, err));
    if (*has) *v = (int32_t)x;
    return 0;
}

static int json_str(const cJSON *o, const char *key, bool *has, char *out, size_t cap, ke_error *err)
{
    const cJSON *x = json_get(o, key);
    *has = false;
    if (!x || cJSON_IsNull(x)) return 0;
    KE_RET_IF(!cJSON_IsString(x) || !x->valuestring, err, KE_CORRUPT, -1, "\"%s\" is not a string", key);
    size_t n = strlen(x->valuestring);
    KE_RET_IF(n >= cap, err, KE_TOO_LARGE, -1, "\"%s\" is over %zu bytes", key, cap - 1);
    memcpy(out, x->valuestring, n + 1);
    *has = true;
    return 0;
}

int kk_clean_shutdown_parse(kk_clean_shutdown *out, const uint8_t *buf, size_t len, ke_error *err)
{
    KE_RET_IF(!out || (!buf && len > 0), err, KE_USAGE, -1, "kk_clean_shutdown_parse: bad arguments");
    kk_clean_shutdown cs = {len == 0, 0, false, 0};
    if (len > 0) {
        cJSON *j = NULL;
        KE_FORWARD(json_parse(buf, len, &j, err));
        bool has_version;
        int rc = json_i32(j, "version", &has_version, &cs.version, err);
        if (rc == 0)
            rc =
                json_int(j, "brokerEpoch", INT64_MIN, INT64_MAX, &cs.has_broker_epoch, &cs.broker_epoch, err);
        cJSON_Delete(j);
        KE_FORWARD(rc);
    }
    *out = cs;
    return 0;
}

static int qs_voters(const cJSON *o, kk_quorum_state *q, ke_error *err)
{
    const cJSON *a = json_get(o, "currentVoters");
    if (!a || cJSON_IsNull(a)) return 0;
    KE_RET_IF(!cJSON_IsArray(a), err, KE_CORRUPT, -1, "\"currentVoters\" is not an array");
    q->has_current_voters = true;
    for (const cJSON *v = a->child; v; v = v->next) {
        KE_RET_IF(q->n_voters >= KK_MAX_VOTERS, err, KE_TOO_LARGE, -1, "more than %d current voters",
                  KK_MAX_VOTERS);
        KE_RET_IF(!cJSON_IsObject(v), err, KE_CORRUPT, -1, "a current voter is not an object");
        bool has;
        KE_FORWARD(json_i32(v, "voterId", &has, &q->voters[q->n_voters], err));
        KE_RET_IF(!has, err, KE_CORRUPT, -1, "a current voter has no voterId");
        q->n_voters++;
    }
    return 0;
}

static int qs_directory(const cJSON *o, kk_quorum_state *q, ke_error *err)
{
    char text[32];
    KE_FORWARD(json_str(o, "votedDirectoryId", &q->has_voted_directory_id, text, sizeof text, err));
    if (!q->has_voted_directory_id) return 0;
    KE_RET_IF(!kk_uuid_decode(text, strlen(text), q->voted_directory_id), err, KE_CORRUPT, -1,
              "\"votedDirectoryId\" is not a base64url UUID");
    return 0;
}

static int qs_fields(const cJSON *o, kk_quorum_state *q, ke_error *err)
{
    KE_FORWARD(json_i32(o, "data_version", &q->has_data_version, &q->data_version, err));
    KE_FORWARD(json_str(o, "clusterId", &q->has_cluster_id, q->cluster_id, KK_STR_MAX, err));
    KE_FORWARD(json_i32(o, "leaderId", &q->has_leader_id, &q->leader_id, err));
    KE_FORWARD(json_i32(o, "leaderEpoch", &q->has_leader_epoch, &q->leader_epoch, err));
    KE_FORWARD(json_i32(o, "votedId", &q->has_voted_id, &q->voted_id, err));
    KE_FORWARD(qs_directory(o, q, err));
    KE_FORWARD(
        json_int(o, "appliedOffset", INT64_MIN, INT64_MAX, &q->has_applied_offset, &q->applied_offset, err));
    return qs_voters(o, q, err);
}

int kk_quorum_state_parse(kk_quorum_state *out, const uint8_t *buf, size_t len, ke_error *err)
{
    KE_RET_IF(!out || (!buf && len > 0), err, KE_USAGE, -1, "kk_quorum_state_parse: bad arguments");
    KE_RET_IF(len > KK_MAX_JSON, err, KE_TOO_LARGE, 0, "quorum-state of %zu bytes, over the %zu cap", len,
              KK_MAX_JSON);
    kk_lines it = lines_make(buf, len);
    kk_line l;
    int rc = next_line(&it, &l, err);
    KE_FORWARD(rc);
    KE_RET_IF(rc == 0, err, KE_SHORT, 0, "quorum-state is empty");
    KE_FORWARD(check_utf8(&l, err));
    cJSON *j = NULL;
    KE_FORWARD(json_parse(l.p, l.n, &j, err));
    kk_quorum_state q;
    memset(&q, 0, sizeof q);
    rc = qs_fields(j, &q, err);
    cJSON_Delete(j);
    KE_FORWARD(rc);
    *out = q;
    return 0;
}
