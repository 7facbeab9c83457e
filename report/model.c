/* model.c - see model.h. */
#include "model.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xxhash.h>

#include "baseline.h"
#include "listing.h"
#include "reader/text.h"
#include "types.h"

rm_report *rm_create(int64_t max_examples)
{
    rm_report *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->max_examples = max_examples;
    r->generated_ms = (int64_t)time(NULL) * 1000;
    r->duration_ms = -1;
    char buf[TX_TIME_MAX];
    tx_time_utc(r->generated_ms, 0, buf, sizeof buf);
    r->generated_at = strdup(buf);
    if (!r->generated_at) {
        free(r);
        return NULL;
    }
    return r;
}

int rm_set_generated_at(rm_report *r, int64_t ms)
{
    char buf[TX_TIME_MAX];
    tx_time_utc(ms - ms % 1000, 0, buf, sizeof buf);
    char *s = strdup(buf);
    if (!s) return -1;
    free(r->generated_at);
    r->generated_at = s;
    r->generated_ms = ms - ms % 1000;
    return 0;
}

void rm_finding_free(rm_finding *f)
{
    free(f->message);
    free(f->explanation);
    for (int i = 0; i < f->nfields; i++) free(f->fields[i].s);
}

void rm_free(rm_report *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->ninputs; i++) free(r->inputs[i]);
    for (size_t i = 0; i < r->nproblems; i++) free(r->problems[i]);
    for (size_t i = 0; i < r->npartitions; i++) {
        free(r->partitions[i].topic);
        free(r->partitions[i].path);
        free(r->partitions[i].producers);
        for (size_t k = 0; k < r->partitions[i].nnotes; k++) free(r->partitions[i].notes[k]);
        free(r->partitions[i].notes);
        free(r->partitions[i].by_type);
        free(r->partitions[i].density);
        free(r->partitions[i].copy);
        if (r->partitions[i].identity) free(r->partitions[i].identity->spec);
        free(r->partitions[i].identity);
        for (size_t k = 0; k < r->partitions[i].nsuggestions; k++)
            free(r->partitions[i].suggestions[k].spec), free(r->partitions[i].suggestions[k].option);
        free(r->partitions[i].suggestions);
    }
    for (size_t i = 0; i < r->nfindings; i++) rm_finding_free(&r->findings[i]);
    for (int i = 0; i < r->ncounts; i++)
        for (int k = 0; k < 3; k++) free(r->counts[i].slots[k]);
    for (size_t i = 0; i < r->nincidents; i++) {
        free(r->incidents[i].parts);
        free(r->incidents[i].summary);
    }
    free(r->incidents);
    for (size_t i = 0; i < r->ngroups; i++) {
        rm_cgroup *g = &r->groups[i];
        for (size_t k = 0; k < g->npos; k++) free(g->pos[k].topic);
        free(g->pos);
        for (size_t k = 0; k < g->nbacks; k++) free(g->backs[k].topic), free(g->backs[k].metadata);
        free(g->backs);
        free(g->gens);
        free(g->name);
    }
    free(r->groups);
    free(r->inputs);
    free(r->problems);
    free(r->partitions);
    free(r->findings);
    rm_listing_free(r);
    for (size_t i = 0; i < r->nmeta; i++) {
        free(r->meta[i].key);
        free(r->meta[i].value);
    }
    free(r->meta);
    for (size_t i = 0; i < r->noptions; i++) free(r->options[i].s);
    free(r->options);
    for (size_t i = 0; i < r->nwarnings; i++) free(r->warnings[i]);
    free(r->warnings);
    rm_baseline_free(r->baseline);
    free(r->generated_at);
    free(r);
}

rm_cgroup *rm_add_group(rm_report *r, const char *name, size_t part)
{
    if (r->ngroups == r->capgroups) {
        size_t ncap = r->capgroups ? r->capgroups * 2 : 8;
        rm_cgroup *n = realloc(r->groups, ncap * sizeof *n);
        if (!n) return r->oom = true, NULL;
        r->groups = n;
        r->capgroups = ncap;
    }
    rm_cgroup *g = &r->groups[r->ngroups];
    memset(g, 0, sizeof *g);
    g->partition = part;
    if (!(g->name = strdup(name))) return r->oom = true, NULL;
    r->ngroups++;
    return g;
}

void rm_add_meta(rm_report *r, const char *key, const char *value)
{
    for (size_t i = 0; i < r->nmeta; i++)
        if (strcmp(r->meta[i].key, key) == 0 && strcmp(r->meta[i].value, value) == 0) return;
    rm_meta *m = realloc(r->meta, (r->nmeta + 1) * sizeof *m);
    if (!m) {
        r->oom = true;
        return;
    }
    r->meta = m;
    m[r->nmeta].key = strdup(key);
    m[r->nmeta].value = strdup(value);
    if (!m[r->nmeta].key || !m[r->nmeta].value) {
        free(m[r->nmeta].key);
        free(m[r->nmeta].value);
        r->oom = true;
        return;
    }
    r->nmeta++;
}

/* Append one string to a growing array of strings. */
static int push_str(char ***arr, size_t *n, char *s)
{
    if (!s) return -1;
    char **p = realloc(*arr, (*n + 1) * sizeof **arr);
    if (!p) {
        free(s);
        return -1;
    }
    p[(*n)++] = s;
    *arr = p;
    return 0;
}

int rm_add_input(rm_report *r, const char *path)
{
    if (push_str(&r->inputs, &r->ninputs, strdup(path)) == 0) return 0;
    r->oom = true;
    return -1;
}

static char *vformat(const char *fmt, va_list ap)
{
    char *s = NULL;
    return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}

int rm_add_option(rm_report *r, const char *name, int kind, int64_t i, const char *s, bool given)
{
    rm_option *n = realloc(r->options, (r->noptions + 1) * sizeof *n);
    if (!n) return r->oom = true, -1;
    r->options = n;
    rm_option o = { name, kind, i, NULL, given };
    if (kind == RM_STR && !(o.s = strdup(s ? s : ""))) return r->oom = true, -1;
    n[r->noptions++] = o;
    return 0;
}

int rm_add_warning(rm_report *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    if (push_str(&r->warnings, &r->nwarnings, s) == 0) return 0;
    r->oom = true;
    return -1;
}

int rm_add_problem(rm_report *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    if (push_str(&r->problems, &r->nproblems, s) == 0) return 0;
    r->oom = true;
    return -1;
}

size_t rm_add_partition(rm_report *r, const char *topic, int32_t partition, const char *path)
{
    rm_partition *p = realloc(r->partitions, (r->npartitions + 1) * sizeof *p);
    if (!p) return (size_t)-1;
    r->partitions = p;
    rm_partition *np = &p[r->npartitions];
    memset(np, 0, sizeof *np);
    np->topic = strdup(topic);
    np->path = strdup(path);
    np->partition = partition;
    np->log_start_offset = np->log_end_offset = np->kafka_log_start = -1;
    np->min_timestamp = np->max_timestamp = -1;
    if (!np->topic || !np->path) {
        free(np->topic);
        free(np->path);
        return (size_t)-1;
    }
    return r->npartitions++;
}

const rm_count *rm_count_of(const rm_report *r, const char *type)
{
    for (int i = 0; i < r->ncounts; i++)
        if (strcmp(r->counts[i].type, type) == 0) return &r->counts[i];
    return NULL;
}

/* The count of a type, created when it is the first of its type. */
static rm_count *count_of(rm_report *r, const char *type)
{
    rm_count *c = (rm_count *)rm_count_of(r, type);
    if (c) return c;
    if (r->ncounts == RM_MAX_TYPES) return NULL;
    c = &r->counts[r->ncounts++];
    memset(c, 0, sizeof *c);
    c->type = type;
    return c;
}

/* Is `a` a better example than `b`: more records involved, then earlier
 * in the report (partition, offset), then added first. An order on
 * positions, not on arrival, so that the examples kept do not depend on
 * the order in which an audit decided its findings or merged its jobs. */
bool rm_better(const rm_finding *a, const rm_finding *b)
{
    if (a->impact != b->impact) return a->impact > b->impact;
    if (a->partition != b->partition) return a->partition < b->partition;
    if (a->offset != b->offset) return a->offset < b->offset;
    return a->seq < b->seq;
}

/* The position in c->slots[severity] of the example to replace first. */
static size_t find_worst(const rm_report *r, const rm_count *c, int severity)
{
    size_t w = 0;
    for (size_t i = 1; i < (size_t)c->kept_by_severity[severity]; i++)
        if (rm_better(&r->findings[c->slots[severity][w]], &r->findings[c->slots[severity][i]])) w = i;
    return w;
}

/*
 * Where to keep example `want` (its type, severity, partition, offset,
 * impact and seq set) of count c: a new slot while there is room, else the
 * slot of the worst example when `want` is better (that example is freed),
 * else NULL. The slot is returned cleared but for those fields.
 */
static rm_finding *place(rm_report *r, rm_count *c, const rm_finding *want, bool counted)
{
    int sev = want->severity;
    bool capped = r->max_examples >= 0;
    if (capped && c->kept_by_severity[sev] >= r->max_examples) {
        if (r->max_examples == 0) return NULL;
        size_t w = c->worst[sev];
        rm_finding *victim = &r->findings[c->slots[sev][w]];
        if (!rm_better(want, victim)) return NULL;
        rm_finding_free(victim);
        *victim = *want;
        c->worst[sev] = find_worst(r, c, sev);
        return victim;
    }
    if (capped && !c->slots[sev]) {
        c->slots[sev] = malloc((size_t)r->max_examples * sizeof *c->slots[sev]);
        if (!c->slots[sev]) return r->oom = true, NULL;
    }
    if (r->nfindings == r->capfindings) {
        size_t ncap = r->capfindings ? r->capfindings * 2 : 64;
        rm_finding *nf = realloc(r->findings, ncap * sizeof *nf);
        if (!nf) return r->oom = true, NULL;
        r->findings = nf;
        r->capfindings = ncap;
    }
    size_t at = r->nfindings++;
    rm_finding *f = &r->findings[at];
    *f = *want;
    c->kept += !counted;
    if (capped) {
        size_t pos = (size_t)c->kept_by_severity[sev];
        c->slots[sev][pos] = at;
        if (pos == 0 || rm_better(&r->findings[c->slots[sev][c->worst[sev]]], f)) c->worst[sev] = pos;
    }
    c->kept_by_severity[sev] += !counted;
    return f;
}

/* Count a finding at `offset` (-1: none) into partition p's density. */
static void count_density(rm_report *r, rm_partition *p, int severity, int64_t offset)
{
    if (offset < 0) return;
    if (!p->density) {
        if (!(p->density = calloc(1, sizeof *p->density))) {
            r->oom = true;
            return;
        }
        p->density->width = 1;
        p->density->base = offset - offset % RM_DENSITY_BINS;
    }
    rm_density *d = p->density;
    /* Double the window until it holds the offset: the old one becomes the
     * lower or upper half of the one aligned to twice its size. Ends by
     * RM_DENSITY_BINS * 2^57 = 2^63, past every offset (unsigned: no
     * overflow on the way). */
    while (offset < d->base || (uint64_t)(offset - d->base) >= (uint64_t)d->width * RM_DENSITY_BINS) {
        uint64_t span = (uint64_t)d->width * RM_DENSITY_BINS;
        int64_t upper = (int64_t)(((uint64_t)d->base / span) % 2);
        for (int s = 0; s < 3; s++) {
            int64_t m[RM_DENSITY_BINS] = { 0 };
            for (int i = 0; i < RM_DENSITY_BINS; i++) m[(upper ? RM_DENSITY_BINS / 2 : 0) + i / 2] += d->n[s][i];
            memcpy(d->n[s], m, sizeof m);
        }
        d->base -= upper * (int64_t)span;
        d->width *= 2;
    }
    d->n[severity][(offset - d->base) / d->width]++;
}

/* Count a finding of `type` and `severity` at `offset` into partition
 * `part`'s tally by type (the per-topic counts of the Prometheus output,
 * the Markdown's ranking of partitions) and its density (the HTML's
 * timelines). Out of memory: r->oom. */
static void count_partition(rm_report *r, size_t part, const char *type, int severity, int64_t offset)
{
    if (part >= r->npartitions) return;
    rm_partition *p = &r->partitions[part];
    count_density(r, p, severity, offset);
    int i = 0;
    while (i < p->nby_type && strcmp(p->by_type[i].type, type) != 0) i++;
    if (i == p->nby_type) {
        rm_type_count *nt = realloc(p->by_type, (size_t)(i + 1) * sizeof *nt);
        if (!nt) {
            r->oom = true;
            return;
        }
        p->by_type = nt;
        memset(&nt[i], 0, sizeof nt[i]);
        nt[i].type = type;
        p->nby_type++;
    }
    p->by_type[i].by_severity[severity]++;
}

_Static_assert(RT_COUNT <= 32, "rm_report.hidden_types holds a bit per finding type");

bool rm_shows(const rm_report *r, int tid)
{
    return tid < 0 || tid >= RT_COUNT || !((r->hidden_types >> tid) & 1);
}

rm_finding *rm_add_ranked(rm_report *r, int tid, int variant, int severity, size_t partition, int64_t offset,
                          int64_t impact)
{
    if (!rm_shows(r, tid)) return NULL; /* --types, --exclude-types: not counted */
    const rt_type *t = rt_type_of(tid);
    assert(t->severities & (1u << severity)); /* report/types.c says which severities a type may have */
    const char *type = t->name;
    rm_listing_check(r); /* the findings held are complete: written past the share */
    rm_count *c = count_of(r, type);
    if (!c) return r->oom = true, NULL; /* more types than RM_MAX_TYPES: a bug, said as lost */
    c->total++;
    c->by_severity[severity]++;
    r->by_severity[severity]++;
    count_partition(r, partition, type, severity, offset);
    rm_finding want;
    memset(&want, 0, sizeof want);
    want.tid = tid;
    want.variant = variant;
    want.type = type;
    want.severity = severity;
    want.partition = partition;
    want.offset = offset;
    want.producer_id = -1;
    want.producer_epoch = -1;
    want.impact = impact;
    want.group_ts = -1;
    want.seq = r->next_seq++;
    return place(r, c, &want, false);
}

rm_finding *rm_add_finding(rm_report *r, int tid, int variant, int severity, size_t partition, int64_t offset)
{
    return rm_add_ranked(r, tid, variant, severity, partition, offset, 0);
}

/* ---- incidents ------------------------------------------------------------ */

#define RM_MAX_INCIDENTS 4096 /* per report; past it a finding joins its kind and key's latest */

static bool same_group(const rm_group *a, const rm_group *b)
{
    return a->key == b->key && strcmp(a->kind, b->kind) == 0;
}

/* Does time `ts` join an incident spanning [first, last] with `gap`?
 * Unknown times (-1) only join each other. */
static bool within(int64_t ts, int64_t first, int64_t last, int64_t gap)
{
    if ((ts < 0) != (first < 0)) return false;
    if (ts < 0 || gap < 0) return true;
    return ts >= first - gap && ts <= last + gap;
}

static int add_part(rm_incident *x, const rm_incident_part *p)
{
    for (size_t i = 0; i < x->nparts; i++) {
        rm_incident_part *q = &x->parts[i];
        if (q->partition != p->partition) continue;
        q->findings += p->findings;
        q->records += p->records;
        if (p->first_offset < q->first_offset) q->first_offset = p->first_offset;
        if (p->last_offset > q->last_offset) q->last_offset = p->last_offset;
        return 0;
    }
    rm_incident_part *np = realloc(x->parts, (x->nparts + 1) * sizeof *np);
    if (!np) return -1;
    x->parts = np;
    x->parts[x->nparts++] = *p;
    return 0;
}

/* Fold incident `b` into `a` (same kind and key); b's parts stay b's. */
static int join_incident(rm_incident *a, const rm_incident *b)
{
    for (size_t i = 0; i < b->nparts; i++)
        if (add_part(a, &b->parts[i]) < 0) return -1;
    if (b->severity > a->severity) a->severity = b->severity;
    if (b->first_ts >= 0 && (a->first_ts < 0 || b->first_ts < a->first_ts)) a->first_ts = b->first_ts;
    if (b->last_ts > a->last_ts) a->last_ts = b->last_ts;
    a->findings += b->findings;
    a->records += b->records;
    return 0;
}

static rm_incident *new_incident(rm_report *r, const rm_group *g, int64_t ts)
{
    if (r->nincidents == r->capincidents) {
        size_t ncap = r->capincidents ? r->capincidents * 2 : 16;
        rm_incident *n = realloc(r->incidents, ncap * sizeof *n);
        if (!n) return NULL;
        r->incidents = n;
        r->capincidents = ncap;
    }
    rm_incident *x = &r->incidents[r->nincidents++];
    memset(x, 0, sizeof *x);
    x->group = *g;
    x->first_ts = x->last_ts = ts;
    return x;
}

int rm_group_finding(rm_report *r, const rm_group *g, size_t partition, int severity, int64_t ts, int64_t first_offset,
                     int64_t last_offset, int64_t records, rm_finding *f)
{
    if (!g || !g->kind) return 0;
    if (f) {
        f->group = *g;
        f->group_ts = ts;
    }
    rm_incident *x = NULL, *latest = NULL;
    for (size_t i = r->nincidents; i-- > 0 && !x;) {
        rm_incident *y = &r->incidents[i];
        if (!same_group(&y->group, g)) continue;
        if (!latest) latest = y;
        if (within(ts, y->first_ts, y->last_ts, g->gap)) x = y;
    }
    if (!x && r->nincidents >= RM_MAX_INCIDENTS) x = latest;
    if (!x && !(x = new_incident(r, g, ts))) return r->oom = true, -1;
    rm_incident one;
    memset(&one, 0, sizeof one);
    one.severity = severity;
    one.first_ts = one.last_ts = ts;
    one.findings = 1;
    one.records = records;
    rm_incident_part part = { partition, 1, records, first_offset, last_offset };
    one.parts = &part;
    one.nparts = 1;
    if (join_incident(x, &one) == 0) return 0;
    r->oom = true;
    return -1;
}

static rm_field *new_field(rm_finding *f, const char *key, int kind)
{
    const rt_field *spec = rt_field_of(f->tid, key);
    assert(spec != NULL); /* every field is declared by its type in report/types.c */
    assert(spec->kind == kind || (kind == RM_NULL && spec->kind == RM_INT));
    assert(f->nfields < RM_MAX_FIELDS); /* a finding type with more fields needs a larger RM_MAX_FIELDS */
    if (f->nfields == RM_MAX_FIELDS) return NULL;
    rm_field *x = &f->fields[f->nfields++];
    memset(x, 0, sizeof *x);
    x->key = key;
    x->kind = kind;
    x->words_only = spec && (spec->flags & RT_WORDS);
    return x;
}

void rm_field_int(rm_finding *f, const char *key, int64_t v)
{
    rm_field *x = new_field(f, key, RM_INT);
    if (x) x->i = v;
}

void rm_field_bool(rm_finding *f, const char *key, bool v)
{
    rm_field *x = new_field(f, key, RM_BOOL);
    if (x) x->i = v;
}

void rm_field_str(rm_finding *f, const char *key, const char *s)
{
    rm_field *x = new_field(f, key, RM_STR);
    if (x && !(x->s = strdup(s ? s : ""))) f->lost = true;
    if (x && x->s) f->str_bytes += strlen(x->s) + 1;
}

void rm_partition_note(rm_report *r, size_t part, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    rm_partition *p = &r->partitions[part];
    if (push_str(&p->notes, &p->nnotes, s) < 0) r->oom = true;
}

void rm_partition_suggest(rm_report *r, size_t part, const char *spec, const char *option, int64_t sampled)
{
    rm_partition *p = &r->partitions[part];
    rm_suggestion *ns = realloc(p->suggestions, (p->nsuggestions + 1) * sizeof *ns);
    if (!ns) {
        r->oom = true;
        return;
    }
    p->suggestions = ns;
    rm_suggestion *x = &ns[p->nsuggestions];
    x->spec = strdup(spec);
    x->option = strdup(option);
    x->sampled = sampled;
    if (!x->spec || !x->option) {
        free(x->spec), free(x->option);
        r->oom = true;
        return;
    }
    p->nsuggestions++;
}

void rm_tally_duplicates(rm_report *r, size_t part, const char *name, int64_t findings, int64_t records)
{
    rm_partition *p = &r->partitions[part];
    int i = 0;
    while (i < p->nduplicates && strcmp(p->duplicates[i].name, name) != 0) i++;
    if (i == p->nduplicates) {
        if (i == RM_MAX_TALLIES) return;
        p->duplicates[i].name = name;
        p->duplicates[i].findings = p->duplicates[i].records = 0;
        p->nduplicates++;
    }
    p->duplicates[i].findings += findings;
    p->duplicates[i].records += records;
}

void rm_field_null(rm_finding *f, const char *key) { new_field(f, key, RM_NULL); }

int rm_merge(rm_report *dst, rm_report *src)
{
    dst->oom |= src->oom;
    size_t base = dst->npartitions;
    if (src->npartitions) {
        rm_partition *np = realloc(dst->partitions, (base + src->npartitions) * sizeof *np);
        if (!np) return dst->oom = true, -1;
        dst->partitions = np;
        memcpy(np + base, src->partitions, src->npartitions * sizeof *np);
        dst->npartitions += src->npartitions;
        src->npartitions = 0;
    }
    /* Counts first: every finding of src, kept or not. */
    for (int i = 0; i < src->ncounts; i++) {
        const rm_count *s = &src->counts[i];
        rm_count *d = count_of(dst, s->type);
        if (!d) continue;
        d->total += s->total;
        for (int k = 0; k < 3; k++) {
            d->by_severity[k] += s->by_severity[k];
            dst->by_severity[k] += s->by_severity[k];
        }
        /* Listing every finding, src listed what it kept, spilled or not. */
        if (dst->max_examples < 0) {
            d->kept += s->kept;
            for (int k = 0; k < 3; k++) d->kept_by_severity[k] += s->kept_by_severity[k];
        }
    }
    /* src's spilled findings follow dst's (listing.h); then the kept
     * examples, in src's order, ranked against dst's. Insertion order
     * continues after dst's. */
    uint64_t seq_base = dst->next_seq;
    dst->next_seq += src->next_seq;
    if (rm_listing_merge(dst, src, base, seq_base) < 0) dst->oom = true;
    for (size_t i = 0; i < src->nfindings; i++) {
        rm_finding s = src->findings[i];
        s.partition += base;
        s.seq += seq_base;
        rm_count *d = count_of(dst, s.type);
        rm_finding *x = d ? place(dst, d, &s, dst->max_examples < 0) : NULL;
        if (!x) rm_finding_free(&s);
    }
    src->nfindings = 0;
    rm_listing_check(dst);
    /* And the incidents, joined by rm_finish. */
    for (size_t i = 0; i < src->nincidents; i++) {
        rm_incident *s = &src->incidents[i];
        rm_incident *x = new_incident(dst, &s->group, s->first_ts);
        dst->oom |= !x;
        if (x) {
            for (size_t k = 0; k < s->nparts; k++) s->parts[k].partition += base;
            if (join_incident(x, s) < 0) {
                free(x->parts);
                dst->nincidents--;
                dst->oom = true;
            }
        }
        free(s->parts);
        free(s->summary);
    }
    src->nincidents = 0;
    /* And the consumer groups, after dst's. */
    if (src->ngroups) {
        rm_cgroup *ng = realloc(dst->groups, (dst->ngroups + src->ngroups) * sizeof *ng);
        if (!ng) return dst->oom = true, -1;
        dst->groups = ng;
        for (size_t i = 0; i < src->ngroups; i++) {
            ng[dst->ngroups] = src->groups[i];
            ng[dst->ngroups++].partition += base;
        }
        dst->capgroups = dst->ngroups;
        src->ngroups = 0;
    }
    return 0;
}

static int cmp_finding(const void *a, const void *b) { return rm_cmp_findings(a, b); }

/* ---- fingerprints ------------------------------------------------------------- */

/* Each piece is hashed alone, seeded with the hash so far: "ab","c" and
 * "a","bc" differ, and no separator can be forged by a name. */
static uint64_t fp_bytes(uint64_t h, const void *p, size_t n) { return XXH3_64bits_withSeed(p, n, h); }

static uint64_t fp_int(uint64_t h, int64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i)); /* the same on every machine */
    return fp_bytes(h, b, sizeof b);
}

static uint64_t fp_str(uint64_t h, const char *s) { return fp_bytes(h, s ? s : "", s ? strlen(s) : 0); }

/* The last name of a path ("00000000000000000000.log"), or with `up` the
 * name of the folder it sits in ("broker2" of "/x/broker2/orders-0"):
 * what stays when the same data is audited from elsewhere. */
static uint64_t fp_path(uint64_t h, const char *path, bool up)
{
    const char *end = path + strlen(path);
    while (end > path && end[-1] == '/') end--;
    for (int skip = up ? 1 : 0; skip >= 0; skip--) {
        const char *start = end;
        while (start > path && start[-1] != '/') start--;
        if (skip == 0) return fp_bytes(h, start, (size_t)(end - start));
        end = start;
        while (end > path && end[-1] == '/') end--;
    }
    return h;
}

uint64_t rm_fingerprint(const rm_report *r, const rm_finding *f)
{
    const rm_partition *p = &r->partitions[f->partition];
    uint64_t h = fp_str(0, f->type);
    /* A segment given alone outside a partition directory has its path for
     * a topic (and partition -1): its name alone. */
    h = p->partition < 0 ? fp_path(h, p->topic, false) : fp_str(h, p->topic);
    h = fp_int(h, p->partition);
    h = fp_str(h, p->copy);
    h = fp_int(h, f->offset);
    h = fp_int(h, f->producer_id);
    h = fp_int(h, f->producer_epoch);
    const rt_field *decl = rt_type_of(f->tid)->fields;
    for (int i = 0; decl[i].name; i++) {
        if (!(decl[i].flags & RT_KEY)) continue;
        const rm_field *x = rm_find_field(f, decl[i].name);
        /* The other copy by its broker, and by its log directory's name only
         * when its meta.properties names no broker. */
        if (strcmp(decl[i].name, "other_path") == 0) {
            const rm_field *b = rm_find_field(f, "other_broker_id");
            if (b && b->kind == RM_INT) continue;
            h = fp_int(h, x ? 1 : 0);
            if (x && x->s) h = fp_path(h, x->s, true);
            continue;
        }
        h = fp_int(h, x ? x->kind + 1 : 0); /* absent, or of which kind */
        if (!x || x->kind == RM_NULL) continue;
        if (x->kind != RM_STR) h = fp_int(h, x->i);
        else if (strcmp(decl[i].name, "file") == 0) h = fp_path(h, x->s ? x->s : "", false);
        else h = fp_str(h, x->s);
    }
    return h >> 16;
}

void rm_stamp(const rm_report *r, rm_finding *f)
{
    uint64_t fp = rm_fingerprint(r, f);
    snprintf(f->id, sizeof f->id, "F%012llx", (unsigned long long)fp);
    f->baseline = !r->baseline ? RM_BASE_NONE : rm_baseline_find(r->baseline, fp) ? RM_BASE_PRESENT : RM_BASE_NEW;
}

int rm_cmp_findings(const rm_finding *x, const rm_finding *y)
{
    if (x->partition != y->partition) return x->partition < y->partition ? -1 : 1;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    int c = strcmp(x->type, y->type);
    if (c) return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Incidents by kind, key and time: neighbours are the ones to join. */
static int cmp_incident_time(const void *a, const void *b)
{
    const rm_incident *x = a, *y = b;
    int c = strcmp(x->group.kind, y->group.kind);
    if (c) return c;
    if (x->group.key != y->group.key) return x->group.key < y->group.key ? -1 : 1;
    return x->first_ts < y->first_ts ? -1 : x->first_ts > y->first_ts;
}

/* The report's order: the worst first, then the largest, then the earliest. */
static int cmp_incident_rank(const void *a, const void *b)
{
    const rm_incident *x = a, *y = b;
    if (x->severity != y->severity) return x->severity > y->severity ? -1 : 1;
    if (x->records != y->records) return x->records > y->records ? -1 : 1;
    if (x->first_ts != y->first_ts) return x->first_ts < y->first_ts ? -1 : 1;
    return cmp_incident_time(a, b);
}

static int cmp_part(const void *a, const void *b)
{
    const rm_incident_part *x = a, *y = b;
    return x->partition < y->partition ? -1 : x->partition > y->partition;
}

/* Join incidents of one kind and key whose times lie within their gap. */
static void join_incidents(rm_report *r)
{
    if (r->nincidents > 1) qsort(r->incidents, r->nincidents, sizeof *r->incidents, cmp_incident_time);
    size_t out = 0;
    for (size_t i = 0; i < r->nincidents; i++) {
        rm_incident *y = &r->incidents[i];
        rm_incident *x = out ? &r->incidents[out - 1] : NULL;
        if (x && same_group(&x->group, &y->group) && within(y->first_ts, x->first_ts, x->last_ts, x->group.gap) &&
            join_incident(x, y) == 0) {
            free(y->parts);
            free(y->summary);
            continue;
        }
        r->incidents[out++] = *y;
    }
    r->nincidents = out;
}

/* The incident holding a grouped finding: the last of its kind and key
 * starting at or before its time (joined incidents never overlap). */
const rm_incident *rm_incident_lookup(rm_incident *const *by_time, size_t n, const rm_finding *f)
{
    rm_incident want;
    want.group = f->group;
    want.first_ts = f->group_ts;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_incident_time(by_time[mid], &want) <= 0) lo = mid + 1;
        else hi = mid;
    }
    if (lo == 0 || !same_group(&by_time[lo - 1]->group, &f->group)) return NULL;
    return by_time[lo - 1];
}

static int cmp_ptr_time(const void *a, const void *b)
{
    return cmp_incident_time(*(rm_incident *const *)a, *(rm_incident *const *)b);
}

rm_incident **rm_incidents_by_time(const rm_report *r)
{
    rm_incident **by_time = r->nincidents ? malloc(r->nincidents * sizeof *by_time) : NULL;
    if (!by_time) return NULL;
    for (size_t i = 0; i < r->nincidents; i++) by_time[i] = &r->incidents[i];
    qsort(by_time, r->nincidents, sizeof *by_time, cmp_ptr_time);
    return by_time;
}

/* Link every kept finding to its incident (numbered already). */
static void link_incidents(rm_report *r)
{
    rm_incident **by_time = rm_incidents_by_time(r);
    if (!by_time) {
        r->oom |= r->nincidents > 0;
        return;
    }
    for (size_t i = 0; i < r->nfindings; i++) {
        rm_finding *f = &r->findings[i];
        const rm_incident *x = f->group.kind ? rm_incident_lookup(by_time, r->nincidents, f) : NULL;
        if (x) snprintf(f->incident, sizeof f->incident, "%s", x->id);
    }
    free(by_time);
}

/* Every kept finding's words, from its type's table (report/types.c), and
 * every incident's (incident_words.c). */
static void write_words(rm_report *r)
{
    for (size_t i = 0; i < r->nfindings; i++) {
        rm_finding *f = &r->findings[i];
        free(f->message);
        free(f->explanation);
        r->oom |= rt_words(f, &f->message, &f->explanation) < 0;
    }
    rm_describe_incidents(r);
}

void rm_finish(rm_report *r)
{
    for (size_t i = 0; i < r->nfindings; i++) r->oom |= r->findings[i].lost;
    rm_listing_check(r);
    if (rm_spilled(r)) {
        rm_listing_finish(r); /* the examples, with their ids in the whole list */
    } else {
        if (r->nfindings > 1) qsort(r->findings, r->nfindings, sizeof *r->findings, cmp_finding);
        for (size_t i = 0; i < r->nfindings; i++) rm_stamp(r, &r->findings[i]);
    }
    join_incidents(r);
    if (r->nincidents > 1) qsort(r->incidents, r->nincidents, sizeof *r->incidents, cmp_incident_rank);
    for (size_t i = 0; i < r->nincidents; i++) {
        rm_incident *x = &r->incidents[i];
        snprintf(x->id, sizeof x->id, "I%zu", i + 1);
        if (x->nparts > 1) qsort(x->parts, x->nparts, sizeof *x->parts, cmp_part);
    }
    link_incidents(r);
    write_words(r);
}

const rm_field *rm_find_field(const rm_finding *f, const char *key)
{
    for (int i = 0; i < f->nfields; i++)
        if (strcmp(f->fields[i].key, key) == 0) return &f->fields[i];
    return NULL;
}

const char *rm_severity_name(int severity)
{
    static const char *names[] = { "info", "warning", "error" };
    return severity >= 0 && severity <= 2 ? names[severity] : "info";
}

int rm_worst(const rm_report *r)
{
    for (int s = RM_ERROR; s >= RM_INFO; s--)
        if (r->by_severity[s] > 0) return s;
    return -1;
}
