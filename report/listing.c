/* listing.c - see listing.h. */
#include "listing.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "types.h"

/* ---- a finding as bytes ----------------------------------------------------- */

/* What a spilled finding starts with; then its incident kind (kind_len
 * bytes and a NUL), then each field: a wire_field and its string. Our own
 * scratch format, read back by the process that wrote it. */
typedef struct wire_head {
    uint32_t len;             /* the whole record, this head included */
    int16_t tid, variant;
    int8_t severity, nfields;
    uint8_t lost, kind_len;   /* kind_len 0: not grouped */
    int32_t producer_epoch, g_epoch, g_original_epoch;
    uint64_t partition, seq, g_key;
    int64_t offset, producer_id, impact, group_ts, g_gap, g_producer_id, g_original_producer_id;
} wire_head;

typedef struct wire_field {
    uint8_t idx;              /* its place among its type's fields (report/types.c) */
    uint8_t kind, words_only, pad;
    uint32_t slen;            /* the string's bytes after this, its NUL included; 0 when none */
    int64_t i;
} wire_field;

/* The index of field `key` among type tid's fields. */
static int field_index(int tid, const char *key)
{
    const rt_field *fs = rt_type_of(tid)->fields;
    for (int i = 0; fs[i].name; i++)
        if (strcmp(fs[i].name, key) == 0) return i;
    assert(!"a field its type does not declare");
    return 0;
}

static size_t kind_len(const rm_finding *f)
{
    size_t n = f->group.kind ? strlen(f->group.kind) : 0;
    return n > 255 ? 255 : n;
}

static size_t wire_size(const rm_finding *f)
{
    size_t n = sizeof(wire_head);
    size_t k = kind_len(f);
    if (k) n += k + 1;
    for (int i = 0; i < f->nfields; i++) {
        n += sizeof(wire_field);
        if (f->fields[i].kind == RM_STR && f->fields[i].s) n += strlen(f->fields[i].s) + 1;
    }
    return n;
}

/* Write f at out (wire_size(f) bytes). */
static void wire_put(const rm_finding *f, unsigned char *out)
{
    wire_head h;
    memset(&h, 0, sizeof h);
    h.len = (uint32_t)wire_size(f);
    h.tid = (int16_t)f->tid, h.variant = (int16_t)f->variant;
    h.severity = (int8_t)f->severity, h.nfields = (int8_t)f->nfields;
    h.lost = f->lost, h.kind_len = (uint8_t)kind_len(f);
    h.producer_epoch = f->producer_epoch;
    h.g_epoch = f->group.epoch, h.g_original_epoch = f->group.original_epoch;
    h.partition = f->partition, h.seq = f->seq, h.g_key = f->group.key;
    h.offset = f->offset, h.producer_id = f->producer_id, h.impact = f->impact, h.group_ts = f->group_ts;
    h.g_gap = f->group.gap, h.g_producer_id = f->group.producer_id;
    h.g_original_producer_id = f->group.original_producer_id;
    memcpy(out, &h, sizeof h);
    out += sizeof h;
    if (h.kind_len) {
        memcpy(out, f->group.kind, h.kind_len);
        out[h.kind_len] = '\0';
        out += h.kind_len + 1;
    }
    for (int i = 0; i < f->nfields; i++) {
        const rm_field *x = &f->fields[i];
        wire_field w;
        memset(&w, 0, sizeof w);
        w.idx = (uint8_t)field_index(f->tid, x->key);
        w.kind = (uint8_t)x->kind, w.words_only = x->words_only, w.i = x->i;
        w.slen = x->kind == RM_STR && x->s ? (uint32_t)strlen(x->s) + 1 : 0;
        memcpy(out, &w, sizeof w);
        out += sizeof w;
        if (w.slen) memcpy(out, x->s, w.slen), out += w.slen;
    }
}

/* The finding of a record [p, p + len) into *f, its strings pointing into
 * the record (which must stay put while f is used), its group's kind into
 * `kind` (the caller interns it). -1 when the record is not one we wrote. */
static int wire_get(unsigned char *p, size_t len, rm_finding *f, const char **kind)
{
    wire_head h;
    if (len < sizeof h) return -1;
    memcpy(&h, p, sizeof h);
    if (h.len != len || h.tid < 0 || h.tid >= RT_COUNT || h.nfields < 0 || h.nfields > RM_MAX_FIELDS) return -1;
    memset(f, 0, sizeof *f);
    f->tid = h.tid, f->variant = h.variant, f->type = rt_type_of(h.tid)->name;
    f->severity = h.severity, f->nfields = h.nfields, f->lost = h.lost;
    f->producer_epoch = h.producer_epoch;
    f->partition = (size_t)h.partition, f->seq = h.seq;
    f->offset = h.offset, f->producer_id = h.producer_id, f->impact = h.impact, f->group_ts = h.group_ts;
    f->group.key = h.g_key, f->group.gap = h.g_gap;
    f->group.producer_id = h.g_producer_id, f->group.original_producer_id = h.g_original_producer_id;
    f->group.epoch = h.g_epoch, f->group.original_epoch = h.g_original_epoch;
    f->written = true;
    size_t at = sizeof h;
    *kind = NULL;
    if (h.kind_len) {
        if (len - at < (size_t)h.kind_len + 1) return -1;
        *kind = (const char *)p + at;
        at += h.kind_len + 1;
    }
    const rt_field *decl = rt_type_of(h.tid)->fields;
    int ndecl = 0;
    while (decl[ndecl].name) ndecl++;
    for (int i = 0; i < h.nfields; i++) {
        wire_field w;
        if (len - at < sizeof w) return -1;
        memcpy(&w, p + at, sizeof w);
        at += sizeof w;
        if (w.idx >= ndecl || len - at < w.slen || (w.slen && p[at + w.slen - 1] != '\0')) return -1;
        rm_field *x = &f->fields[i];
        x->key = decl[w.idx].name, x->kind = w.kind, x->words_only = w.words_only, x->i = w.i;
        x->s = w.slen ? (char *)p + at : NULL;
        at += w.slen;
    }
    return at == len ? 0 : -1;
}

/* ---- writing runs ------------------------------------------------------------ */

void rm_set_spill(rm_report *r, const rm_spill *s, size_t budget)
{
    r->spill = s;
    r->spill_budget = budget;
}

bool rm_spilled(const rm_report *r) { return r->nruns > 0; }

void rm_listing_free(rm_report *r) { free(r->runs); }

static int cmp_val(const void *a, const void *b) { return rm_cmp_findings(a, b); }

static int cmp_ptr(const void *a, const void *b)
{
    return rm_cmp_findings(*(const rm_finding *const *)a, *(const rm_finding *const *)b);
}

static int add_run(rm_report *r, const rm_run *run)
{
    if (r->nruns == r->capruns) {
        size_t ncap = r->capruns ? r->capruns * 2 : 8;
        rm_run *n = realloc(r->runs, ncap * sizeof *n);
        if (!n) return -1;
        r->runs = n;
        r->capruns = ncap;
    }
    r->runs[r->nruns++] = *run;
    return 0;
}

/* Forget the findings not written (the spill failed): counted, no longer
 * listed, and the report says something was lost. */
static void drop_unwritten(rm_report *r)
{
    size_t out = 0;
    for (size_t i = 0; i < r->nfindings; i++) {
        rm_finding *f = &r->findings[i];
        if (f->written) {
            r->findings[out++] = *f;
            continue;
        }
        for (int c = 0; c < r->ncounts; c++)
            if (r->counts[c].type == f->type) r->counts[c].kept--, r->counts[c].kept_by_severity[f->severity]--;
        rm_finding_free(f);
    }
    r->nfindings = out;
    r->oom = true;
}

/* Write every finding not yet written as one run, in report order. */
static int write_unwritten(rm_report *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nfindings; i++) n += !r->findings[i].written;
    if (n == 0) return 0;
    if (!r->spill) return drop_unwritten(r), -1;
    rm_finding **order = malloc(n * sizeof *order);
    enum { CHUNK = 256 << 10 };
    unsigned char *buf = malloc(CHUNK);
    rm_run run = { 0, 0, n, SIZE_MAX, 0, 0, 0 };
    int rc = -1;
    if (!order || !buf) goto out;
    n = 0;
    for (size_t i = 0; i < r->nfindings; i++)
        if (!r->findings[i].written) order[n++] = &r->findings[i];
    qsort(order, n, sizeof *order, cmp_ptr);
    for (size_t i = 0; i < n; i++) run.bytes += wire_size(order[i]), r->oom |= order[i]->lost;
    run.part_lo = order[0]->partition, run.part_hi = order[n - 1]->partition;
    if (r->spill->reserve(r->spill->ctx, run.bytes, &run.pos) < 0) goto out;
    uint64_t at = run.pos;
    size_t fill = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = wire_size(order[i]);
        if (fill + len > CHUNK && fill) {
            if (r->spill->write(r->spill->ctx, at, buf, fill) < 0) goto out;
            at += fill, fill = 0;
        }
        if (len > CHUNK) { /* one finding larger than the chunk: alone */
            unsigned char *big = malloc(len);
            if (!big) goto out;
            wire_put(order[i], big);
            int w = r->spill->write(r->spill->ctx, at, big, len);
            free(big);
            if (w < 0) goto out;
            at += len;
            continue;
        }
        wire_put(order[i], buf + fill);
        fill += len;
    }
    if (fill && r->spill->write(r->spill->ctx, at, buf, fill) < 0) goto out;
    if (add_run(r, &run) < 0) goto out;
    for (size_t i = 0; i < n; i++) order[i]->written = true;
    rc = 0;
out:
    free(order);
    free(buf);
    if (rc < 0) drop_unwritten(r);
    return rc;
}

/* Free the findings written: the spill lists them, and the examples are
 * chosen from it at the end (rm_listing_finish). */
static void drop_written(rm_report *r)
{
    size_t out = 0;
    for (size_t i = 0; i < r->nfindings; i++) {
        rm_finding *f = &r->findings[i];
        if (!f->written) r->findings[out++] = *f;
        else rm_finding_free(f);
    }
    r->nfindings = out;
    size_t ncap = out < 32 ? 64 : out * 2;
    if (ncap < r->capfindings) {
        rm_finding *nf = realloc(r->findings, ncap * sizeof *nf);
        if (nf) r->findings = nf, r->capfindings = ncap;
    }
    r->held_bytes = 0;
    for (size_t i = 0; i < r->nfindings; i++) r->held_bytes += sizeof(rm_finding) + r->findings[i].str_bytes;
    r->accounted = r->nfindings;
}

static bool lists_all(const rm_report *r) { return r->max_examples < 0; }

void rm_listing_check(rm_report *r)
{
    for (; r->accounted < r->nfindings; r->accounted++)
        r->held_bytes += sizeof(rm_finding) + r->findings[r->accounted].str_bytes;
    if (!r->spill || !lists_all(r) || r->held_bytes <= r->spill_budget) return;
    write_unwritten(r);
    drop_written(r);
}

int rm_spill_now(rm_report *r)
{
    if (!r->spill || !lists_all(r) || r->nfindings == 0) return 0;
    int rc = write_unwritten(r);
    drop_written(r);
    return rc;
}

int rm_listing_merge(rm_report *dst, rm_report *src, size_t part_base, uint64_t seq_base)
{
    if (src->nruns == 0) return 0;
    if (!dst->spill) dst->spill = src->spill, dst->spill_budget = src->spill_budget;
    /* dst's own findings come first: written before src's runs join; and
     * src's all in runs, so that no later run of dst overlaps them (the
     * runs of different partitions then never need merging). */
    if (write_unwritten(dst) < 0 || write_unwritten(src) < 0) return -1;
    for (size_t i = 0; i < src->nruns; i++) {
        rm_run run = src->runs[i];
        run.part_lo += part_base, run.part_hi += part_base;
        run.part_shift += part_base, run.seq_shift += seq_base;
        if (add_run(dst, &run) < 0) return dst->oom = true, -1;
    }
    src->nruns = 0;
    return 0;
}

/* ---- reading back ------------------------------------------------------------ */

/* One run, read through a window. */
typedef struct run_reader {
    const rm_run *run;
    uint64_t next, end;       /* the file bytes not yet in the window */
    unsigned char *buf;
    size_t cap, at, fill;     /* the window: [at, fill) unread */
    rm_finding cur;           /* its current finding, strings in buf */
    bool have;                /* cur holds one */
} run_reader;

struct rm_iter {
    const rm_report *r;
    bool words, bare;
    bool failed;
    size_t i;                 /* in memory: the next index */
    /* spilled: the runs in order of their first partition, merged a
     * segment (runs whose partitions overlap) at a time */
    size_t *order, norder, seg_end;
    run_reader *rd;
    size_t nrd;
    run_reader *last;         /* the reader that gave the last finding: it moves on at the next call */
    uint64_t n;               /* findings given */
    rm_finding out;
    rm_incident **by_time;
    char **kinds;
    size_t nkinds;
};

static const char *intern(rm_iter *it, const char *k)
{
    if (!k) return NULL;
    for (size_t i = 0; i < it->nkinds; i++)
        if (strcmp(it->kinds[i], k) == 0) return it->kinds[i];
    char **n = realloc(it->kinds, (it->nkinds + 1) * sizeof *n);
    if (!n) return NULL;
    it->kinds = n;
    if (!(n[it->nkinds] = strdup(k))) return NULL;
    return n[it->nkinds++];
}

/* Read the reader's next finding into cur. 0, 1 at the end, -1 on failure. */
static int rd_next(rm_iter *it, run_reader *rd)
{
    const rm_spill *s = it->r->spill;
    rd->have = false;
    if (rd->at == rd->fill && rd->next == rd->end) return 1;
    for (;;) {
        size_t have = rd->fill - rd->at;
        uint32_t len = 0;
        if (have >= sizeof len) memcpy(&len, rd->buf + rd->at, sizeof len);
        if (have >= sizeof len && have >= len && len >= sizeof(wire_head)) break;
        if (rd->next == rd->end) return -1; /* a record cut short */
        if (have >= sizeof len && len < sizeof(wire_head)) return -1;
        memmove(rd->buf, rd->buf + rd->at, have);
        rd->at = 0, rd->fill = have;
        size_t want = have >= sizeof len && len > rd->cap ? len : rd->cap;
        if (want > rd->cap) {
            unsigned char *nb = realloc(rd->buf, want);
            if (!nb) return -1;
            rd->buf = nb, rd->cap = want;
        }
        uint64_t left = rd->end - rd->next;
        size_t n = rd->cap - rd->fill < left ? rd->cap - rd->fill : (size_t)left;
        if (s->read(s->ctx, rd->next, rd->buf + rd->fill, n) < 0) return -1;
        rd->next += n, rd->fill += n;
    }
    uint32_t len;
    memcpy(&len, rd->buf + rd->at, sizeof len);
    const char *kind;
    if (wire_get(rd->buf + rd->at, len, &rd->cur, &kind) < 0) return -1;
    rd->at += len;
    rd->cur.partition += rd->run->part_shift;
    rd->cur.seq += rd->run->seq_shift;
    if (kind && !(rd->cur.group.kind = intern(it, kind))) return -1;
    rd->have = true;
    return 0;
}

static void close_segment(rm_iter *it)
{
    for (size_t i = 0; i < it->nrd; i++) free(it->rd[i].buf);
    free(it->rd);
    it->rd = NULL;
    it->nrd = 0;
    it->last = NULL;
}

/* Open the next segment of runs. 0, 1 when none is left, -1 on failure. */
static int open_segment(rm_iter *it)
{
    close_segment(it);
    size_t from = it->seg_end;
    if (from == it->norder) return 1;
    const rm_run *runs = it->r->runs;
    size_t to = from + 1, hi = runs[it->order[from]].part_hi;
    while (to < it->norder && runs[it->order[to]].part_lo <= hi) {
        if (runs[it->order[to]].part_hi > hi) hi = runs[it->order[to]].part_hi;
        to++;
    }
    it->seg_end = to;
    it->rd = calloc(to - from, sizeof *it->rd);
    if (!it->rd) return -1;
    it->nrd = to - from;
    for (size_t k = 0; k < it->nrd; k++) {
        run_reader *rd = &it->rd[k];
        rd->run = &runs[it->order[from + k]];
        rd->next = rd->run->pos, rd->end = rd->run->pos + rd->run->bytes;
        rd->cap = 64 << 10;
        if (!(rd->buf = malloc(rd->cap)) || rd_next(it, rd) < 0) return -1;
    }
    return 0;
}

static int cmp_run_order(const void *a, const void *b, void *runs)
{
    const rm_run *r = runs;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    if (r[x].part_lo != r[y].part_lo) return r[x].part_lo < r[y].part_lo ? -1 : 1;
    return x < y ? -1 : x > y;
}

static rm_iter *iter_open(const rm_report *r, bool words, bool bare)
{
    rm_iter *it = calloc(1, sizeof *it);
    if (!it) return NULL;
    it->r = r, it->words = words, it->bare = bare;
    if (!rm_spilled(r)) return it;
    it->order = malloc(r->nruns * sizeof *it->order);
    if (!it->order) return rm_iter_close(it), NULL;
    for (size_t i = 0; i < r->nruns; i++) it->order[i] = i;
    qsort_r(it->order, r->nruns, sizeof *it->order, cmp_run_order, r->runs);
    it->norder = r->nruns;
    if (!bare && r->nincidents && !(it->by_time = rm_incidents_by_time(r))) return rm_iter_close(it), NULL;
    if (open_segment(it) < 0) it->failed = true;
    return it;
}

rm_iter *rm_iter_open(const rm_report *r, bool words) { return iter_open(r, words, false); }

const rm_finding *rm_iter_next(rm_iter *it)
{
    if (it->failed) return NULL;
    if (!rm_spilled(it->r)) return it->i < it->r->nfindings ? &it->r->findings[it->i++] : NULL;
    if (it->last && rd_next(it, it->last) < 0) return it->failed = true, NULL;
    it->last = NULL;
    for (;;) {
        run_reader *best = NULL;
        for (size_t k = 0; k < it->nrd; k++)
            if (it->rd[k].have && (!best || rm_cmp_findings(&it->rd[k].cur, &best->cur) < 0)) best = &it->rd[k];
        if (best) {
            it->last = best;
            break;
        }
        int rc = open_segment(it);
        if (rc == 1) return NULL;
        if (rc < 0) return it->failed = true, NULL;
    }
    rm_finding *f = &it->out;
    free(f->message), free(f->explanation);
    *f = it->last->cur;
    f->message = f->explanation = NULL;
    it->n++;
    if (it->bare) return f;
    rm_stamp(it->r, f);
    const rm_incident *x = f->group.kind ? rm_incident_lookup(it->by_time, it->r->nincidents, f) : NULL;
    if (x) snprintf(f->incident, sizeof f->incident, "%s", x->id);
    if (it->words && rt_words(f, &f->message, &f->explanation) < 0) return it->failed = true, NULL;
    return f;
}

bool rm_iter_failed(const rm_iter *it) { return it->failed; }

void rm_iter_close(rm_iter *it)
{
    if (!it) return;
    close_segment(it);
    free(it->out.message), free(it->out.explanation);
    free(it->order);
    free(it->by_time);
    for (size_t i = 0; i < it->nkinds; i++) free(it->kinds[i]);
    free(it->kinds);
    free(it);
}

/* ---- finishing ------------------------------------------------------------- */

/* A deep copy of f (its strings copied) into *to. 0, or -1 out of memory. */
static int copy_finding(rm_finding *to, const rm_finding *f)
{
    *to = *f;
    to->message = to->explanation = NULL;
    int rc = 0;
    for (int i = 0; i < f->nfields; i++)
        if (f->fields[i].s && !(to->fields[i].s = strdup(f->fields[i].s))) rc = -1;
    return rc;
}

/* The incident kind `k` as the report's incidents hold it (a literal of
 * the audit's), NULL when no incident has it. */
static const char *report_kind(const rm_report *r, const char *k)
{
    for (size_t i = 0; k && i < r->nincidents; i++)
        if (strcmp(r->incidents[i].group.kind, k) == 0) return r->incidents[i].group.kind;
    return NULL;
}

void rm_listing_finish(rm_report *r)
{
    write_unwritten(r);
    drop_written(r);
    /* The examples: the RM_SPILLED_EXAMPLES best of each type and severity
     * of the whole list, in one pass that also gives each its id. Memory:
     * those examples, whatever the list. */
    free(r->findings);
    r->findings = NULL;
    r->nfindings = r->capfindings = 0;
    size_t cap = (size_t)RT_COUNT * 3 * RM_SPILLED_EXAMPLES;
    rm_finding *ex = calloc(cap, sizeof *ex);
    size_t nex[RT_COUNT][3] = { { 0 } };
    rm_iter *it = ex ? iter_open(r, false, true) : NULL;
    if (!it) {
        free(ex);
        r->oom = true;
        return;
    }
    const rm_finding *f;
    while ((f = rm_iter_next(it))) {
        rm_finding *slot = ex + ((size_t)f->tid * 3 + (size_t)f->severity) * RM_SPILLED_EXAMPLES;
        size_t *n = &nex[f->tid][f->severity];
        rm_finding *to = NULL;
        if (*n < RM_SPILLED_EXAMPLES) {
            to = &slot[(*n)++];
        } else {
            size_t w = 0;
            for (size_t i = 1; i < RM_SPILLED_EXAMPLES; i++)
                if (rm_better(&slot[w], &slot[i])) w = i;
            if (!rm_better(f, &slot[w])) continue;
            to = &slot[w];
            rm_finding_free(to);
        }
        if (copy_finding(to, f) < 0) r->oom = true;
        to->group.kind = report_kind(r, f->group.kind);
        rm_stamp(r, to);
    }
    r->oom |= rm_iter_failed(it);
    rm_iter_close(it);
    /* Packed, in report order. */
    size_t n = 0;
    for (size_t t = 0; t < (size_t)RT_COUNT * 3; t++)
        for (size_t i = 0; i < nex[t / 3][t % 3]; i++) ex[n++] = ex[t * RM_SPILLED_EXAMPLES + i];
    r->findings = ex;
    r->nfindings = n;
    r->capfindings = cap;
    if (n > 1) qsort(r->findings, n, sizeof *r->findings, cmp_val);
}
