/* model.c - see model.h. */
#include "model.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

rm_report *rm_create(int64_t max_examples)
{
    rm_report *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->max_examples = max_examples;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char buf[32];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    r->generated_at = strdup(buf);
    if (!r->generated_at) {
        free(r);
        return NULL;
    }
    return r;
}

static void free_finding(rm_finding *f)
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
    }
    for (size_t i = 0; i < r->nfindings; i++) free_finding(&r->findings[i]);
    free(r->inputs);
    free(r->problems);
    free(r->partitions);
    free(r->findings);
    for (size_t i = 0; i < r->nmeta; i++) {
        free(r->meta[i].key);
        free(r->meta[i].value);
    }
    free(r->meta);
    free(r->generated_at);
    free(r);
}

void rm_describe_type(rm_report *r, const char *type, const char *title, const char *summary)
{
    if (rm_type_info_of(r, type) || r->ntypes == RM_MAX_TYPES) return;
    r->types[r->ntypes].type = type;
    r->types[r->ntypes].title = title;
    r->types[r->ntypes].summary = summary;
    r->ntypes++;
}

const rm_type_info *rm_type_info_of(const rm_report *r, const char *type)
{
    for (int i = 0; i < r->ntypes; i++)
        if (strcmp(r->types[i].type, type) == 0) return &r->types[i];
    return NULL;
}

void rm_add_meta(rm_report *r, const char *key, const char *value)
{
    for (size_t i = 0; i < r->nmeta; i++)
        if (strcmp(r->meta[i].key, key) == 0 && strcmp(r->meta[i].value, value) == 0) return;
    rm_meta *m = realloc(r->meta, (r->nmeta + 1) * sizeof *m);
    if (!m) return;
    r->meta = m;
    m[r->nmeta].key = strdup(key);
    m[r->nmeta].value = strdup(value);
    if (!m[r->nmeta].key || !m[r->nmeta].value) {
        free(m[r->nmeta].key);
        free(m[r->nmeta].value);
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

int rm_add_input(rm_report *r, const char *path) { return push_str(&r->inputs, &r->ninputs, strdup(path)); }

static char *vformat(const char *fmt, va_list ap)
{
    char *s = NULL;
    return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}

int rm_add_problem(rm_report *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    return push_str(&r->problems, &r->nproblems, s);
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
    np->log_start_offset = np->log_end_offset = -1;
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

rm_finding *rm_add_finding(rm_report *r, const char *type, int severity, size_t partition, int64_t offset)
{
    rm_count *c = count_of(r, type);
    if (!c) return NULL;
    c->total++;
    c->by_severity[severity]++;
    r->by_severity[severity]++;
    if (r->max_examples >= 0 && c->kept_by_severity[severity] >= r->max_examples) return NULL;
    if (r->nfindings == r->capfindings) {
        size_t ncap = r->capfindings ? r->capfindings * 2 : 64;
        rm_finding *nf = realloc(r->findings, ncap * sizeof *nf);
        if (!nf) return NULL;
        r->findings = nf;
        r->capfindings = ncap;
    }
    rm_finding *f = &r->findings[r->nfindings++];
    memset(f, 0, sizeof *f);
    f->type = type;
    f->severity = severity;
    f->partition = partition;
    f->offset = offset;
    f->producer_id = -1;
    f->producer_epoch = -1;
    f->seq = r->next_seq++;
    c->kept++;
    c->kept_by_severity[severity]++;
    return f;
}

void rm_set_message(rm_finding *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(f->message);
    f->message = vformat(fmt, ap);
    va_end(ap);
}

void rm_set_explanation(rm_finding *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(f->explanation);
    f->explanation = vformat(fmt, ap);
    va_end(ap);
}

static rm_field *new_field(rm_finding *f, const char *key, int kind)
{
    assert(f->nfields < RM_MAX_FIELDS); /* a finding type with more fields needs a larger RM_MAX_FIELDS */
    if (f->nfields == RM_MAX_FIELDS) return NULL;
    rm_field *x = &f->fields[f->nfields++];
    memset(x, 0, sizeof *x);
    x->key = key;
    x->kind = kind;
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
    if (x) x->s = strdup(s ? s : "");
}

void rm_partition_note(rm_report *r, size_t part, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    rm_partition *p = &r->partitions[part];
    push_str(&p->notes, &p->nnotes, s);
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
    size_t base = dst->npartitions;
    if (src->npartitions) {
        rm_partition *np = realloc(dst->partitions, (base + src->npartitions) * sizeof *np);
        if (!np) return -1;
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
    }
    /* Then the kept examples, in src's order, while dst has room. */
    for (size_t i = 0; i < src->nfindings; i++) {
        rm_finding *s = &src->findings[i];
        rm_count *d = count_of(dst, s->type);
        bool room = d && (dst->max_examples < 0 || d->kept_by_severity[s->severity] < dst->max_examples);
        if (room && dst->nfindings == dst->capfindings) {
            size_t ncap = dst->capfindings ? dst->capfindings * 2 : 64;
            rm_finding *nf = realloc(dst->findings, ncap * sizeof *nf);
            if (nf) dst->findings = nf, dst->capfindings = ncap;
            room = nf != NULL;
        }
        if (!room) {
            free_finding(s);
            continue;
        }
        rm_finding *x = &dst->findings[dst->nfindings++];
        *x = *s;
        x->partition += base;
        x->seq = dst->next_seq++;
        d->kept++;
        d->kept_by_severity[s->severity]++;
    }
    src->nfindings = 0;
    return 0;
}

static int cmp_finding(const void *a, const void *b)
{
    const rm_finding *x = a, *y = b;
    if (x->partition != y->partition) return x->partition < y->partition ? -1 : 1;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    int c = strcmp(x->type, y->type);
    if (c) return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void rm_finish(rm_report *r)
{
    if (r->nfindings > 1) qsort(r->findings, r->nfindings, sizeof *r->findings, cmp_finding);
    for (size_t i = 0; i < r->nfindings; i++) snprintf(r->findings[i].id, sizeof r->findings[i].id, "F%zu", i + 1);
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
