/* runinfo.c - see runinfo.h. */
#include "runinfo.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader/checkpoint.h"
#include "reader/segment.h"
#include "reader/text.h"

#define META_CAP ((size_t)1 << 20) /* a meta.properties is a few lines */

/* ---- options ------------------------------------------------------------------------ */

static void opt_str(rm_report *r, const char *name, const char *s)
{
    rm_add_option(r, name, s ? RM_STR : RM_NULL, 0, s, s != NULL);
}

static void opt_int(rm_report *r, const char *name, int64_t v, int64_t dflt)
{
    rm_add_option(r, name, RM_INT, v, NULL, v != dflt);
}

/* A time as --since and --until take it: ISO 8601 UTC, or epoch ms when
 * it has milliseconds (the option reads no fraction); null when unbounded. */
static void opt_time(rm_report *r, const char *name, int64_t ms, int64_t unbounded)
{
    char buf[TX_TIME_MAX];
    if (ms == unbounded) {
        opt_str(r, name, NULL);
        return;
    }
    if (ms % 1000 != 0 || tx_time_utc(ms, 0, buf, sizeof buf) == 0) snprintf(buf, sizeof buf, "%" PRId64, ms);
    opt_str(r, name, buf);
}

void ri_options(rm_report *r, const kaudit_config *c)
{
    kaudit_config d;
    kaudit_config_init(&d);
    r->command = c->compare_only ? "compare" : "audit";
    opt_str(r, "topics", c->topics);
    opt_str(r, "exclude_topics", c->exclude_topics);
    char buf[64] = "";
    if (c->off_lo != d.off_lo || c->off_hi != d.off_hi) {
        size_t n = c->off_lo != d.off_lo ? (size_t)snprintf(buf, sizeof buf, "%" PRId64, c->off_lo) : 0;
        snprintf(buf + n, sizeof buf - n, ":");
        if (c->off_hi != d.off_hi) snprintf(buf + n + 1, sizeof buf - n - 1, "%" PRId64, c->off_hi);
    }
    opt_str(r, "offsets", buf[0] ? buf : NULL);
    opt_str(r, "types", c->types);
    opt_str(r, "exclude_types", c->exclude_types);
    opt_time(r, "since", c->since, d.since);
    opt_time(r, "until", c->until, d.until);
    opt_int(r, "producer_expiration_ms", c->producer_expiration_ms, d.producer_expiration_ms);
    opt_int(r, "txn_max_timeout_ms", c->txn_max_timeout_ms, d.txn_max_timeout_ms);
    opt_int(r, "dup_window_ms", c->dup_window_ms, d.dup_window_ms);
    opt_str(r, "dup_topics", c->dup_topics);
    char ids[2048] = "";
    for (size_t i = 0, at = 0; i < c->nidentity && at < sizeof ids; i++)
        at += (size_t)snprintf(ids + at, sizeof ids - at, "%s%s", i ? " " : "", c->identity[i]);
    opt_str(r, "identity", ids[0] ? ids : NULL);
    rm_add_option(r, "dup_include_headers", RM_BOOL, c->dup_include_headers, NULL, c->dup_include_headers);
    opt_int(r, "max_examples", c->max_examples, d.max_examples);
    snprintf(buf, sizeof buf, "%s%s%s%s%s", c->redact & KAUDIT_REDACT_KEYS ? "keys" : "",
             (c->redact & KAUDIT_REDACT_KEYS) && (c->redact & ~KAUDIT_REDACT_KEYS) ? "," : "",
             c->redact & KAUDIT_REDACT_VALUES ? "values" : "",
             (c->redact & KAUDIT_REDACT_VALUES) && (c->redact & KAUDIT_REDACT_HEADERS) ? "," : "",
             c->redact & KAUDIT_REDACT_HEADERS ? "headers" : "");
    opt_str(r, "redact", buf[0] ? buf : NULL);
    opt_int(r, "max_entry_bytes", (int64_t)c->max_entry, (int64_t)d.max_entry);
    static const char *levels[] = { "info", "warning", "error" };
    const char *fail = c->fail_on >= RM_INFO && c->fail_on <= RM_ERROR ? levels[c->fail_on] : "none";
    rm_add_option(r, "fail_on", RM_STR, 0, fail, c->fail_on != d.fail_on);
    opt_str(r, "baseline", c->baseline);
}

/* ---- whose copy --------------------------------------------------------------------- */

/* The broker of the log directory `dir`: node.id, else broker.id, of its
 * meta.properties; -1 when it has none or names none. */
static int64_t dir_broker(const char *dir)
{
    size_t n = strlen(dir);
    char *path = malloc(n + sizeof "/meta.properties");
    if (!path) return -1;
    memcpy(path, dir, n);
    memcpy(path + n, "/meta.properties", sizeof "/meta.properties");
    uint8_t *buf = NULL;
    size_t len;
    ke_error e;
    kk_meta_properties m;
    int64_t id = -1;
    if (ks_read_file(path, META_CAP, &buf, &len, &e) == 0 && kk_meta_properties_parse(&m, buf, len, &e) == 0)
        id = m.has_node_id ? m.node_id : m.has_broker_id ? m.broker_id : -1;
    free(buf);
    free(path);
    return id;
}

/* The log directory of a copy, resolved (malloc'ed): the folder its
 * partition directory sits in. NULL when it cannot be resolved. */
static char *logdir_of(const ri_copy *c)
{
    char *real = realpath(c->path, NULL);
    for (int up = c->file ? 2 : 1; real && up > 0; up--) {
        char *slash = strrchr(real, '/');
        if (!slash) break;
        slash[slash == real] = '\0'; /* "/x" goes up to "/" */
    }
    return real;
}

/* What a copy is known by (filled once, then labelled). */
typedef struct copy_key {
    size_t at;             /* its index in the caller's array */
    char *dir;             /* its log directory, resolved, or NULL */
    int64_t broker;
} copy_key;

static int cmp_copy(const void *a, const void *b, void *ctx)
{
    const ri_copy *c = ctx;
    const copy_key *x = a, *y = b;
    int k = strcmp(c[x->at].topic, c[y->at].topic);
    if (k) return k;
    if (c[x->at].partition != c[y->at].partition) return c[x->at].partition < c[y->at].partition ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at;
}

static const char *base_name(const char *dir)
{
    const char *s = dir ? strrchr(dir, '/') : NULL;
    return !dir ? "" : s && s[1] ? s + 1 : dir;
}

/* Do copies x and y hold the same topic-partition? */
static bool same_partition(const ri_copy *x, const ri_copy *y)
{
    return x->partition == y->partition && strcmp(x->topic, y->topic) == 0;
}

int ri_label_copies(ri_copy *c, size_t n)
{
    copy_key *k = calloc(n + 1, sizeof *k);
    if (!k) return -1;
    for (size_t i = 0; i < n; i++) {
        k[i].at = i;
        k[i].dir = logdir_of(&c[i]);
        k[i].broker = -1;
        /* Each log directory's meta.properties read once: its copies come
         * together, so the previous copy's directory is nearly always it. */
        if (i > 0 && k[i].dir && k[i - 1].dir && strcmp(k[i].dir, k[i - 1].dir) == 0) k[i].broker = k[i - 1].broker;
        else if (k[i].dir) k[i].broker = dir_broker(k[i].dir);
    }
    qsort_r(k, n, sizeof *k, cmp_copy, c);
    int rc = 0;
    for (size_t g = 0, end; g < n; g = end) {
        for (end = g + 1; end < n && same_partition(&c[k[end].at], &c[k[g].at]);) end++;
        for (size_t i = g; i < end; i++) {
            /* Another copy of it, elsewhere, known by the same broker (or by none)? */
            bool twin = false;
            for (size_t j = g; j < end && !twin; j++)
                twin = j != i && k[j].broker == k[i].broker &&
                       (!k[j].dir || !k[i].dir || strcmp(k[j].dir, k[i].dir) != 0);
            char label[600];
            if (k[i].broker >= 0 && twin)
                snprintf(label, sizeof label, "broker %" PRId64 ", %s", k[i].broker, base_name(k[i].dir));
            else if (k[i].broker >= 0) snprintf(label, sizeof label, "broker %" PRId64, k[i].broker);
            else if (twin) snprintf(label, sizeof label, "%s", base_name(k[i].dir));
            else continue;
            if (!(c[k[i].at].label = strdup(label))) rc = -1;
        }
    }
    for (size_t i = 0; i < n; i++) free(k[i].dir);
    free(k);
    return rc;
}

/* ---- what matched nothing ------------------------------------------------------------- */

/* A time for people: ISO 8601 UTC, "-" when unknown. */
static const char *when(int64_t ms, char *buf, size_t cap)
{
    if (ms < 0 || tx_time_utc(ms, 0, buf, cap) == 0) snprintf(buf, cap, "-");
    return buf;
}

/* "--since X --until Y" as given. */
static void window_words(const kaudit_config *c, char *out, size_t cap)
{
    kaudit_config d;
    kaudit_config_init(&d);
    char a[TX_TIME_MAX], b[TX_TIME_MAX];
    size_t n = 0;
    out[0] = '\0';
    if (c->since != d.since) n += (size_t)snprintf(out, cap, "--since %s", when(c->since, a, sizeof a));
    if (c->until != d.until && n < cap)
        snprintf(out + n, cap - n, "%s--until %s", n ? " " : "", when(c->until, b, sizeof b));
}

void ri_scope_warnings(rm_report *r, const kaudit_config *c, size_t found, size_t matched)
{
    kaudit_config d;
    kaudit_config_init(&d);
    if (found == 0) {
        if (r->nproblems == 0)
            rm_add_warning(r, "nothing to audit: the paths given hold no partition directory or segment (an index, "
                              "snapshot or checkpoint given alone is not audited)");
        return;
    }
    if (matched == 0 && (c->topics || c->exclude_topics)) {
        if (!c->exclude_topics)
            rm_add_warning(r, "--topics '%s' matches none of the %zu topic-partitions found", c->topics, found);
        else if (!c->topics)
            rm_add_warning(r, "--exclude-topics '%s' leaves none of the %zu topic-partitions found", c->exclude_topics,
                           found);
        else
            rm_add_warning(r, "--topics '%s' and --exclude-topics '%s' leave none of the %zu topic-partitions found",
                           c->topics, c->exclude_topics, found);
        return;
    }
    int64_t batches = 0, window = 0, offsets = 0, both = 0, tmin = -1, tmax = -1, lo = -1, hi = -1;
    for (size_t i = 0; i < r->npartitions; i++) {
        const rm_partition *p = &r->partitions[i];
        batches += p->batches, window += p->batches_in_window, offsets += p->batches_in_offsets;
        both += p->batches_in_scope;
        if (p->min_timestamp >= 0 && (tmin < 0 || p->min_timestamp < tmin)) tmin = p->min_timestamp;
        if (p->max_timestamp > tmax) tmax = p->max_timestamp;
        if (p->log_start_offset >= 0 && (lo < 0 || p->log_start_offset < lo)) lo = p->log_start_offset;
        if (p->log_end_offset > hi) hi = p->log_end_offset;
    }
    if (batches == 0) return; /* nothing written: every window is empty, and nothing is hidden */
    bool timed = c->since != d.since || c->until != d.until;
    bool ranged = c->off_lo != d.off_lo || c->off_hi != d.off_hi;
    char words[160], a[TX_TIME_MAX], b[TX_TIME_MAX];
    window_words(c, words, sizeof words);
    if (timed && window == 0)
        rm_add_warning(r, "%s matches none of the %" PRId64 " batches audited: they were written between %s and %s",
                       words, batches, when(tmin, a, sizeof a), when(tmax, b, sizeof b));
    if (ranged && offsets == 0)
        rm_add_warning(r, "--offsets %s:%s matches none of the %" PRId64 " batches audited: they hold offsets %" PRId64
                          " to %" PRId64,
                       c->off_lo != d.off_lo ? (snprintf(a, sizeof a, "%" PRId64, c->off_lo), a) : "",
                       c->off_hi != d.off_hi ? (snprintf(b, sizeof b, "%" PRId64, c->off_hi), b) : "", batches, lo,
                       hi - 1);
    if (timed && ranged && window && offsets && both == 0)
        rm_add_warning(r, "--offsets and %s each match batches, but no batch matches both", words);
}
