/* merge.c - see merge.h. */
#include "merge.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <xxhash.h>

#include "report/jsonw.h"
#include "report/model.h"
#include "report/render.h"

/* A copy listed by some report. */
typedef struct mg_part {
    const cJSON *obj;
    size_t report;
    const char *path, *topic;
    int64_t partition, log_end;
    size_t dir_len;            /* the path's log directory: up to its last '/' */
} mg_part;

/* A finding of some report, and what it is matched on. */
typedef struct mg_find {
    cJSON *obj;                /* a copy, owned: fields added (replicas), incident renumbered */
    size_t report;
    long part;                 /* in the merged partitions, -1 when its path is not listed */
    char *key;                 /* its identity across replicas (owned) */
    uint64_t hash;
    long kept_as;              /* -1 kept; else the index of the finding it is a replica of */
    int64_t offset;
} mg_find;

typedef struct mg {
    cJSON **docs;
    size_t n;
    const char **dropped;      /* reports given twice (the same bytes as an earlier one), not merged again */
    size_t ndropped;
    mg_part *parts;
    size_t nparts;
    mg_find *finds;
    size_t nfinds;
    bool oom;
} mg;

static int64_t num(const cJSON *o, const char *k, int64_t dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : dflt;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* One run lists partitions by log directory, topic, partition. */
static int cmp_part(const void *x, const void *y)
{
    const mg_part *a = x, *b = y;
    size_t n = a->dir_len < b->dir_len ? a->dir_len : b->dir_len;
    int c = strncmp(a->path, b->path, n);
    if (c || a->dir_len != b->dir_len) return c ? c : a->dir_len < b->dir_len ? -1 : 1;
    if ((c = strcmp(a->topic, b->topic))) return c;
    if (a->partition != b->partition) return a->partition < b->partition ? -1 : 1;
    if ((c = strcmp(a->path, b->path))) return c;
    return a->report < b->report ? -1 : a->report > b->report;
}

static long part_of(const mg *m, const char *path)
{
    size_t lo = 0, hi = m->nparts;
    /* Sorted by directory, topic, partition: not by path. A linear scan of
     * the copies of the finding's directory would do; a bsearch needs the
     * same key, so build it. */
    mg_part key = { .path = path };
    const char *slash = strrchr(path, '/');
    key.dir_len = slash ? (size_t)(slash - path) : 0;
    const char *name = slash ? slash + 1 : path, *dash = strrchr(name, '-');
    if (!dash) return -1;
    char topic[512];
    size_t tl = (size_t)(dash - name);
    if (tl >= sizeof topic) return -1;
    memcpy(topic, name, tl);
    topic[tl] = '\0';
    key.topic = topic;
    key.partition = strtoll(dash + 1, NULL, 10);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        mg_part probe = key;
        probe.report = m->parts[mid].report;
        int c = cmp_part(&m->parts[mid], &probe);
        if (c == 0) return (long)mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    /* The same path from another report (given twice): listed once. */
    for (size_t i = 0; i < m->nparts; i++)
        if (strcmp(m->parts[i].path, path) == 0) return (long)i;
    return -1;
}

/* A finding's identity across replicas: every field but those naming a
 * broker's files (path, other_path, file, position), its words and its
 * numbering. */
static char *identity(const cJSON *f)
{
    static const char *const drop[] = { "id", "incident", "path", "other_path", "file", "position", "message",
                                        "explanation", "explanation_key", "explanation_detail", "replicas", "baseline" };
    cJSON *c = cJSON_Duplicate(f, true);
    if (!c) return NULL;
    for (size_t i = 0; i < sizeof drop / sizeof *drop; i++) cJSON_DeleteItemFromObjectCaseSensitive(c, drop[i]);
    char *s = cJSON_PrintUnformatted(c);
    cJSON_Delete(c);
    char *own = s ? strdup(s) : NULL;
    cJSON_free(s);
    return own;
}

static int cmp_find(const void *x, const void *y)
{
    const mg_find *a = x, *b = y;
    if (a->part != b->part) return a->part < b->part ? -1 : 1;
    if (a->offset != b->offset) return a->offset < b->offset ? -1 : 1;
    int c = strcmp(str(a->obj, "type"), str(b->obj, "type"));
    if (c) return c;
    if (a->report != b->report) return a->report < b->report ? -1 : 1;
    return 0;
}

static int cmp_hash(const void *x, const void *y, void *ctx)
{
    const mg_find *f = ctx;
    const mg_find *a = &f[*(const size_t *)x], *b = &f[*(const size_t *)y];
    if (a->hash != b->hash) return a->hash < b->hash ? -1 : 1;
    int c = strcmp(a->key, b->key);
    if (c) return c;
    return *(const size_t *)x < *(const size_t *)y ? -1 : 1;
}

/* Does b's copy reach further than a's (the one one run audits in full)? */
static bool further(const mg *m, const mg_find *a, const mg_find *b)
{
    int64_t ea = a->part >= 0 ? m->parts[a->part].log_end : -1, eb = b->part >= 0 ? m->parts[b->part].log_end : -1;
    if (ea != eb) return eb > ea;
    return b->part >= 0 && (a->part < 0 || b->part < a->part);
}

/* Mark replicas: of the findings with one identity, the one on the copy
 * reaching furthest is kept. */
static void dedupe(mg *m)
{
    size_t *order = malloc((m->nfinds + 1) * sizeof *order);
    if (!order) {
        m->oom = true;
        return;
    }
    for (size_t i = 0; i < m->nfinds; i++) order[i] = i;
    qsort_r(order, m->nfinds, sizeof *order, cmp_hash, m->finds);
    for (size_t i = 0; i < m->nfinds;) {
        size_t j = i + 1;
        while (j < m->nfinds && m->finds[order[j]].hash == m->finds[order[i]].hash &&
               strcmp(m->finds[order[j]].key, m->finds[order[i]].key) == 0)
            j++;
        size_t best = order[i];
        for (size_t k = i + 1; k < j; k++)
            if (further(m, &m->finds[best], &m->finds[order[k]])) best = order[k];
        for (size_t k = i; k < j; k++)
            if (order[k] != best && m->finds[order[k]].report != m->finds[best].report)
                m->finds[order[k]].kept_as = (long)best;
        i = j;
    }
    free(order);
}

/* ---- writing: the merged document through the report's JSON writer ---- */

/* Integers a double holds exactly (cJSON reads numbers as doubles). */
#define EXACT ((double)((int64_t)1 << 53))

/* Does v hold a number a double does not hold exactly? */
static bool inexact(const cJSON *v)
{
    if (cJSON_IsNumber(v)) return v->valuedouble >= EXACT || v->valuedouble <= -EXACT;
    for (const cJSON *c = v ? v->child : NULL; c; c = c->next)
        if (inexact(c)) return true;
    return false;
}

/* A cJSON value as the report's JSON writer writes it (its escaping). */
static void emit(jw *w, const cJSON *v)
{
    if (cJSON_IsObject(v)) {
        jw_obj_begin(w);
        for (const cJSON *c = v->child; c; c = c->next) {
            jw_key(w, c->string);
            emit(w, c);
        }
        jw_obj_end(w);
    } else if (cJSON_IsArray(v)) {
        jw_arr_begin(w);
        for (const cJSON *c = v->child; c; c = c->next) emit(w, c);
        jw_arr_end(w);
    } else if (cJSON_IsString(v)) {
        jw_str(w, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        jw_int(w, (int64_t)v->valuedouble);
    } else if (cJSON_IsBool(v)) {
        jw_bool(w, cJSON_IsTrue(v));
    } else {
        jw_null(w);
    }
}

static int severity_of(const char *s)
{
    return strcmp(s, "error") == 0 ? RM_ERROR : strcmp(s, "warning") == 0 ? RM_WARNING : RM_INFO;
}

/* Counts summed over the reports: summary.findings_by_type and _by_severity,
 * findings_omitted. */
static cJSON *sum_counts(mg *m, const char *outer, const char *inner)
{
    cJSON *out = cJSON_CreateObject();
    for (size_t r = 0; out && r < m->n; r++) {
        const cJSON *o = outer ? cJSON_GetObjectItemCaseSensitive(m->docs[r], outer) : m->docs[r];
        const cJSON *counts = cJSON_GetObjectItemCaseSensitive(o, inner);
        for (const cJSON *c = counts ? counts->child : NULL; c; c = c->next) {
            if (!cJSON_IsNumber(c)) continue;
            cJSON *have = cJSON_GetObjectItemCaseSensitive(out, c->string);
            if (have) cJSON_SetNumberValue(have, have->valuedouble + c->valuedouble);
            else cJSON_AddNumberToObject(out, c->string, c->valuedouble);
        }
    }
    return out;
}

static void subtract(cJSON *counts, const char *key)
{
    cJSON *have = cJSON_GetObjectItemCaseSensitive(counts, key);
    if (have && have->valuedouble > 0) cJSON_SetNumberValue(have, have->valuedouble - 1);
}

/* Incidents: "r:I<n>" of report r, renumbered. */
typedef struct mg_incident {
    const cJSON *obj;
    size_t report;
    const char *old;
    int severity;
    int64_t records;
    bool listed, kept;         /* some finding listed it; one kept does */
    char id[24];
} mg_incident;

static int cmp_incident(const void *x, const void *y)
{
    const mg_incident *a = x, *b = y;
    if (a->severity != b->severity) return a->severity > b->severity ? -1 : 1;
    if (a->records != b->records) return a->records > b->records ? -1 : 1;
    return a->report < b->report ? -1 : a->report > b->report;
}

static mg_incident *incident_of(mg_incident *inc, size_t n, size_t report, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (inc[i].report == report && strcmp(inc[i].old, id) == 0) return &inc[i];
    return NULL;
}

static void iso(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int write_merged(mg *m, const rj_input *in, int64_t generated_at_ms, const char *version, FILE *out,
                        rj_outcome *oc)
{
    /* Counts first: the replicas dropped come off. */
    cJSON *by_type = sum_counts(m, "summary", "findings_by_type");
    cJSON *by_sev = sum_counts(m, "summary", "findings_by_severity");
    cJSON *omitted = sum_counts(m, NULL, "findings_omitted");
    cJSON *notes = cJSON_CreateArray();
    for (size_t i = 0; notes && i < m->ndropped; i++) {
        char line[1200];
        snprintf(line, sizeof line, "%s: the same bytes as a report given before it: merged once", m->dropped[i]);
        cJSON_AddItemToArray(notes, cJSON_CreateString(line));
    }
    if (!by_type || !by_sev || !omitted || !notes) m->oom = true;
    for (size_t i = 0; !m->oom && i < m->nfinds; i++) {
        if (m->finds[i].kept_as < 0) continue;
        subtract(by_type, str(m->finds[i].obj, "type"));
        subtract(by_sev, str(m->finds[i].obj, "severity"));
        oc->replicas++;
    }
    /* Types some report listed only in part, held by two reports or more. */
    for (const cJSON *t = omitted ? omitted->child : NULL; t; t = t->next) {
        size_t holders = 0;
        for (size_t r = 0; r < m->n; r++)
            holders += num(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m->docs[r], "summary"),
                                                            "findings_by_type"),
                           t->string, 0) > 0;
        if (t->valuedouble > 0 && holders > 1) {
            char line[400];
            snprintf(line, sizeof line,
                     "%s: %lld findings were not listed (--max-examples), so replicas of them on other brokers "
                     "could not be matched: the count may hold some twice; merge reports made with "
                     "--max-examples -1 for an exact count",
                     t->string, (long long)t->valuedouble);
            cJSON_AddItemToArray(notes, cJSON_CreateString(line));
        }
    }
    for (size_t r = 0; r < m->n; r++)
        if (inexact(m->docs[r])) {
            cJSON_AddItemToArray(notes, cJSON_CreateString(
                "a report holds integers beyond 2^53 (offsets or positions of damaged data): the merged report "
                "gives them rounded to the nearest double; see the broker's own report for the exact value"));
            break;
        }
    /* Incidents kept: listed by a kept finding, or by none at all. */
    size_t ninc = 0;
    for (size_t r = 0; r < m->n; r++) ninc += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(m->docs[r], "incidents"));
    mg_incident *inc = calloc(ninc + 1, sizeof *inc);
    if (!inc) m->oom = true;
    ninc = 0;
    for (size_t r = 0; inc && r < m->n; r++) {
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(m->docs[r], "incidents");
        for (const cJSON *c = arr ? arr->child : NULL; c; c = c->next)
            inc[ninc++] = (mg_incident){ c, r, str(c, "id"), severity_of(str(c, "severity")), num(c, "records", 0),
                                         false, false, "" };
    }
    for (size_t i = 0; inc && i < m->nfinds; i++) {
        const char *id = str(m->finds[i].obj, "incident");
        mg_incident *x = *id ? incident_of(inc, ninc, m->finds[i].report, id) : NULL;
        if (!x) continue;
        x->listed = true;
        x->kept |= m->finds[i].kept_as < 0;
    }
    size_t kept_inc = 0;
    for (size_t i = 0; inc && i < ninc; i++)
        if (!inc[i].listed || inc[i].kept) inc[kept_inc++] = inc[i];
    if (inc) qsort(inc, kept_inc, sizeof *inc, cmp_incident);
    for (size_t i = 0; inc && i < kept_inc; i++) snprintf(inc[i].id, sizeof inc[i].id, "I%zu", i + 1);
    /* Findings: renumbered incidents, replicas named. */
    for (size_t i = 0; !m->oom && i < m->nfinds; i++) {
        mg_find *f = &m->finds[i];
        if (f->kept_as >= 0) {
            mg_find *k = &m->finds[f->kept_as];
            cJSON *reps = cJSON_GetObjectItemCaseSensitive(k->obj, "replicas");
            if (!reps) reps = cJSON_AddArrayToObject(k->obj, "replicas");
            if (reps) cJSON_AddItemToArray(reps, cJSON_CreateString(str(f->obj, "path")));
            continue;
        }
        const char *id = str(f->obj, "incident");
        if (!*id) continue;
        mg_incident *x = incident_of(inc, kept_inc, f->report, id);
        if (x) cJSON_ReplaceItemInObjectCaseSensitive(f->obj, "incident", cJSON_CreateString(x->id));
        else cJSON_DeleteItemFromObjectCaseSensitive(f->obj, "incident");
    }
    qsort(m->finds, m->nfinds, sizeof *m->finds, cmp_find);

    jw w;
    jw_init(&w);
    jw_obj_begin(&w);
    jw_kint(&w, "schema_version", RR_SCHEMA_VERSION);
    jw_key(&w, "tool");
    jw_obj_begin(&w);
    jw_kstr(&w, "name", "kaudit");
    jw_kstr(&w, "version", version);
    jw_obj_end(&w);
    char when[32];
    iso(generated_at_ms, when);
    jw_kstr(&w, "generated_at", when);
    jw_key(&w, "merged_from");
    jw_arr_begin(&w);
    for (size_t r = 0; r < m->n; r++) jw_str(&w, in[r].name);
    jw_arr_end(&w);
    static const char *const lists[] = { "inputs", "problems" };
    for (size_t l = 0; l < 2; l++) {
        jw_key(&w, lists[l]);
        jw_arr_begin(&w);
        for (size_t r = 0; r < m->n; r++) {
            const cJSON *arr = cJSON_GetObjectItemCaseSensitive(m->docs[r], lists[l]);
            for (const cJSON *c = arr ? arr->child : NULL; c; c = c->next) {
                emit(&w, c);
                oc->problems += l == 1;
            }
        }
        jw_arr_end(&w);
    }
    /* How it was made: merged, and how each report was. */
    jw_key(&w, "run");
    jw_obj_begin(&w);
    jw_kstr(&w, "command", "merge");
    jw_key(&w, "options");
    jw_obj_begin(&w);
    jw_obj_end(&w);
    jw_key(&w, "warnings");
    jw_arr_begin(&w);
    jw_arr_end(&w);
    jw_key(&w, "reports");
    jw_arr_begin(&w);
    for (size_t r = 0; r < m->n; r++) {
        const cJSON *run = cJSON_GetObjectItemCaseSensitive(m->docs[r], "run");
        if (run) emit(&w, run);
        else jw_null(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    jw_key(&w, "merge_notes");
    emit(&w, notes);
    jw_key(&w, "summary");
    jw_obj_begin(&w);
    jw_kint(&w, "partitions", (int64_t)m->nparts);
    static const char *const sums[] = { "segments", "batches", "records", "control_records", "bytes" };
    for (size_t s = 0; s < sizeof sums / sizeof *sums; s++) {
        int64_t total = 0;
        for (size_t i = 0; i < m->nparts; i++) total += num(m->parts[i].obj, sums[s], 0);
        jw_kint(&w, sums[s], total);
    }
    jw_key(&w, "findings_by_type");
    emit(&w, by_type);
    jw_key(&w, "findings_by_severity");
    emit(&w, by_sev);
    jw_obj_end(&w);
    jw_key(&w, "partitions");
    jw_arr_begin(&w);
    for (size_t i = 0; i < m->nparts; i++) emit(&w, m->parts[i].obj);
    jw_arr_end(&w);
    jw_key(&w, "incidents");
    jw_arr_begin(&w);
    for (size_t i = 0; inc && i < kept_inc; i++) {
        cJSON *c = cJSON_Duplicate(inc[i].obj, true);
        if (!c) {
            m->oom = true;
            break;
        }
        cJSON_ReplaceItemInObjectCaseSensitive(c, "id", cJSON_CreateString(inc[i].id));
        emit(&w, c);
        cJSON_Delete(c);
    }
    jw_arr_end(&w);
    /* The words findings share (docs/report.md, "Explanations"): each
     * report's, once by key, in the reports' order. */
    jw_key(&w, "explanations");
    jw_obj_begin(&w);
    for (size_t r = 0; r < m->n; r++) {
        const cJSON *ex = cJSON_GetObjectItemCaseSensitive(m->docs[r], "explanations");
        for (const cJSON *c = cJSON_IsObject(ex) ? ex->child : NULL; c; c = c->next) {
            bool seen = false;
            for (size_t q = 0; q < r && !seen; q++)
                seen = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m->docs[q], "explanations"),
                                                        c->string) != NULL;
            for (const cJSON *b = ex->child; b != c && !seen; b = b->next) seen = strcmp(b->string, c->string) == 0;
            if (!seen && cJSON_IsString(c)) jw_kstr(&w, c->string, c->valuestring);
        }
    }
    jw_obj_end(&w);
    jw_key(&w, "findings");
    jw_arr_begin(&w);
    for (size_t i = 0; i < m->nfinds; i++) {
        if (m->finds[i].kept_as >= 0) continue;
        emit(&w, m->finds[i].obj);
        oc->findings++;
    }
    jw_arr_end(&w);
    jw_key(&w, "findings_omitted");
    emit(&w, omitted);
    jw_key(&w, "groups");
    jw_arr_begin(&w);
    for (size_t r = 0; r < m->n; r++) {
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(m->docs[r], "groups");
        for (const cJSON *g = arr ? arr->child : NULL; g; g = g->next) {
            /* A group's coordinator partition on two brokers: the first. */
            bool seen = false;
            for (size_t q = 0; q < r && !seen; q++) {
                const cJSON *other = cJSON_GetObjectItemCaseSensitive(m->docs[q], "groups");
                for (const cJSON *h = other ? other->child : NULL; h && !seen; h = h->next)
                    seen = strcmp(str(h, "group"), str(g, "group")) == 0 &&
                           strcmp(str(h, "topic"), str(g, "topic")) == 0 &&
                           num(h, "partition", -1) == num(g, "partition", -1);
            }
            if (!seen) emit(&w, g);
        }
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    oc->worst = -1;
    for (const cJSON *c = by_sev ? by_sev->child : NULL; c; c = c->next)
        if (c->valuedouble > 0 && severity_of(c->string) > oc->worst) oc->worst = severity_of(c->string);
    int rc = m->oom ? -2 : jw_flush(&w, out) < 0 || fputc('\n', out) == EOF || fflush(out) != 0 ? -3 : 0;
    jw_free(&w);
    free(inc);
    cJSON_Delete(by_type);
    cJSON_Delete(by_sev);
    cJSON_Delete(omitted);
    cJSON_Delete(notes);
    return rc;
}

static int merge_unique(const rj_input *in, size_t n, const char **dropped, size_t ndropped, int64_t generated_at_ms,
                        const char *version, FILE *out, rj_outcome *outcome, char *err, size_t errcap);

/* Prefix the string `key` of object o with label. */
static bool prefix(cJSON *o, const char *key, const char *label)
{
    const char *v = str(o, key);
    if (!*v) return true;
    size_t len = strlen(label) + strlen(v) + 1;
    char *q = malloc(len);
    if (!q) return false;
    snprintf(q, len, "%s%s", label, v);
    bool ok = cJSON_ReplaceItemInObjectCaseSensitive(o, key, cJSON_CreateString(q));
    free(q);
    return ok;
}

/* Every path of report d, prefixed with label. */
static bool qualify(cJSON *d, const char *label)
{
    bool ok = true;
    const cJSON *arr;
    cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(d, "partitions")) ok &= prefix(c, "path", label);
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(d, "findings")) {
        ok &= prefix(c, "path", label);
        if (cJSON_GetObjectItemCaseSensitive(c, "other_path")) ok &= prefix(c, "other_path", label);
    }
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(d, "groups")) ok &= prefix(c, "path", label);
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(d, "incidents")) {
        arr = cJSON_GetObjectItemCaseSensitive(c, "partitions");
        cJSON *p;
        cJSON_ArrayForEach(p, arr) ok &= prefix(p, "path", label);
    }
    return ok;
}

/* Is report d an audit's (one broker's data), not a comparison's? */
static bool audit_report(const cJSON *d)
{
    const char *cmd = str(cJSON_GetObjectItemCaseSensitive(d, "run"), "command");
    return !*cmd || strcmp(cmd, "audit") == 0;
}

typedef struct mg_path {
    const char *path;
    size_t report;
} mg_path;

static int cmp_path(const void *x, const void *y)
{
    const mg_path *a = x, *b = y;
    int c = strcmp(a->path, b->path);
    return c ? c : a->report < b->report ? -1 : a->report > b->report;
}

/*
 * Brokers usually keep their data at the same path: two audits' reports
 * that list one path are two brokers' copies, and each such report's paths
 * are prefixed with its file's name ("kafka-1:/var/lib/kafka/data/t-0",
 * the name without .json) so the copies stay apart. A comparison's report
 * (kaudit compare) names copies already told apart; a path it shares with
 * an audit's report is that copy. false out of memory.
 */
static bool qualify_shared(mg *m, const rj_input *in)
{
    size_t n = 0;
    for (size_t r = 0; r < m->n; r++)
        if (audit_report(m->docs[r])) n += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(m->docs[r], "partitions"));
    mg_path *all = calloc(n + 1, sizeof *all);
    bool *shared = calloc(m->n + 1, sizeof *shared);
    if (!all || !shared) return free(all), free(shared), false;
    n = 0;
    for (size_t r = 0; r < m->n; r++) {
        if (!audit_report(m->docs[r])) continue;
        const cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(m->docs[r], "partitions")) all[n++] = (mg_path){ str(p, "path"), r };
    }
    qsort(all, n, sizeof *all, cmp_path);
    for (size_t i = 1; i < n; i++)
        if (strcmp(all[i - 1].path, all[i].path) == 0 && all[i - 1].report != all[i].report)
            shared[all[i - 1].report] = shared[all[i].report] = true;
    free(all);
    bool ok = true;
    for (size_t r = 0; r < m->n && ok; r++) {
        if (!shared[r]) continue;
        char label[600];
        const char *base = strrchr(in[r].name, '/');
        snprintf(label, sizeof label, "%s", base ? base + 1 : in[r].name);
        size_t len = strlen(label);
        if (len > 5 && strcmp(label + len - 5, ".json") == 0) label[len - 5] = '\0';
        strncat(label, ":", sizeof label - strlen(label) - 1);
        ok = qualify(m->docs[r], label);
    }
    free(shared);
    return ok;
}

int rj_merge(const rj_input *given, size_t ngiven, int64_t generated_at_ms, const char *version, FILE *out,
             rj_outcome *outcome, char *err, size_t errcap)
{
    /* A report given twice is merged once. */
    rj_input *in = calloc(ngiven + 1, sizeof *in);
    const char **dropped = calloc(ngiven + 1, sizeof *dropped);
    size_t n = 0, ndropped = 0;
    if (!in || !dropped) return free(in), free(dropped), -2;
    for (size_t r = 0; r < ngiven; r++) {
        bool twice = false;
        for (size_t q = 0; q < n && !twice; q++)
            twice = in[q].len == given[r].len && memcmp(in[q].text, given[r].text, given[r].len) == 0;
        if (twice) dropped[ndropped++] = given[r].name;
        else in[n++] = given[r];
    }
    int rc = merge_unique(in, n, dropped, ndropped, generated_at_ms, version, out, outcome, err, errcap);
    free(in);
    free(dropped);
    return rc;
}

static int merge_unique(const rj_input *in, size_t n, const char **dropped, size_t ndropped, int64_t generated_at_ms,
                        const char *version, FILE *out, rj_outcome *outcome, char *err, size_t errcap)
{
    rj_outcome oc = { 0, -1, 0, 0 };
    mg m = { .docs = calloc(n + 1, sizeof(cJSON *)), .n = n, .dropped = dropped, .ndropped = ndropped };
    int rc = 0;
    if (!m.docs) return -2;
    size_t nparts = 0, nfinds = 0;
    for (size_t r = 0; r < n; r++) {
        m.docs[r] = cJSON_ParseWithLength(in[r].text, in[r].len);
        const cJSON *d = m.docs[r];
        if (!d || num(d, "schema_version", -1) < 1 || num(d, "schema_version", -1) > RR_SCHEMA_VERSION ||
            strcmp(str(cJSON_GetObjectItemCaseSensitive(d, "tool"), "name"), "kaudit") != 0 ||
            !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(d, "partitions")) ||
            !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(d, "findings"))) {
            snprintf(err, errcap, "%s: not a kaudit JSON report of schema version 1 or 2", in[r].name);
            rc = -1;
            goto done;
        }
        nparts += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "partitions"));
        nfinds += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "findings"));
    }
    if (!qualify_shared(&m, in)) {
        rc = -2;
        goto done;
    }
    m.parts = calloc(nparts + 1, sizeof *m.parts);
    m.finds = calloc(nfinds + 1, sizeof *m.finds);
    if (!m.parts || !m.finds) {
        rc = -2;
        goto done;
    }
    for (size_t r = 0; r < n; r++)
        for (const cJSON *p = cJSON_GetObjectItemCaseSensitive(m.docs[r], "partitions")->child; p; p = p->next) {
            const char *path = str(p, "path"), *slash = strrchr(path, '/');
            m.parts[m.nparts++] = (mg_part){ p, r, path, str(p, "topic"), num(p, "partition", -1),
                                             num(p, "log_end_offset", -1), slash ? (size_t)(slash - path) : 0 };
        }
    qsort(m.parts, m.nparts, sizeof *m.parts, cmp_part);
    /* A path listed by two reports (an audit's and a comparison's of one copy): once. */
    size_t kept = 0;
    for (size_t i = 0; i < m.nparts; i++)
        if (!kept || strcmp(m.parts[kept - 1].path, m.parts[i].path) != 0) m.parts[kept++] = m.parts[i];
    m.nparts = kept;
    for (size_t r = 0; r < n; r++)
        for (const cJSON *f = cJSON_GetObjectItemCaseSensitive(m.docs[r], "findings")->child; f; f = f->next) {
            mg_find *x = &m.finds[m.nfinds++];
            x->obj = cJSON_Duplicate(f, true);
            x->report = r;
            x->key = identity(f);
            x->kept_as = -1;
            x->offset = num(f, "offset", -1);
            if (!x->obj || !x->key) {
                rc = -2;
                goto done;
            }
            x->hash = XXH3_64bits(x->key, strlen(x->key));
            x->part = part_of(&m, str(f, "path"));
        }
    dedupe(&m);
    rc = m.oom ? -2 : write_merged(&m, in, generated_at_ms, version, out, &oc);
done:
    for (size_t i = 0; i < m.nfinds; i++) cJSON_Delete(m.finds[i].obj), free(m.finds[i].key);
    for (size_t r = 0; r < n; r++) cJSON_Delete(m.docs[r]);
    free(m.docs);
    free(m.parts);
    free(m.finds);
    if (outcome) *outcome = oc;
    return rc;
}
