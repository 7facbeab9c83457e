/* pipeline.c - see pipeline.h. */
#include "pipeline.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "reader/walk.h"

/* The most parts claimed and not yet audited. */
#define PL_AHEAD 64

/* One segment being read: its whole walk (descriptor and size at open). */
typedef struct pl_seg {
    const kl_file *f;
    kw_walk *w;
    int refs;                   /* the cursor's and its parts': closed at 0, under the lock */
} pl_seg;

enum {
    PL_PARTS,                   /* read by a worker */
    PL_DIRECT,                  /* to be read in order by the auditing thread */
    PL_UNOPENED                 /* a segment that could not be opened */
};

/* Memory a part's records (their bytes, their views, their identities)
 * are cut from: blocks of PL_BLOCK kept for reuse (fresh pages cost a
 * fault each), or one block for anything larger. */
#define PL_BLOCK ((size_t)1 << 20)

/* A batch whose records take more than this decompressed is read in order
 * by the auditing thread, not held in a part: a second copy of it would
 * double what the largest batches cost (test_memory's bombs). */
#define PL_LARGE (4 * PL_BLOCK)

/* A worker's decompression budget: the job's, but at most PL_LARGE, so
 * that workers add at most PL_LARGE each to the job's memory whatever
 * their number; a batch that needs more is read in order by the auditing
 * thread, with the job's whole budget (read_part), as without workers. */
static size_t worker_budget(size_t job) { return job && job < PL_LARGE ? job : PL_LARGE; }

typedef struct pl_block {
    struct pl_block *next;
    size_t cap, used;           /* bytes at data, and taken */
    _Alignas(16) unsigned char data[];
} pl_block;

/* An item read by a worker. */
typedef struct pl_read {
    ra_item x;
} pl_read;

/* A part of a segment, [from, to), and what a worker read of it. */
typedef struct pl_part {
    size_t seq;                 /* its place in file order */
    int kind;                   /* PL_* */
    pl_seg *seg;
    int64_t from, to;
    int64_t first_offset;       /* the offset field of the entry at `from` (parts after the first) */
    bool first, last;           /* the segment's first and last part */
    ke_error open_err;          /* PL_UNOPENED */
    bool ready;                 /* read (or nothing to read ahead) */
    bool helped;                /* read by the auditing thread while it waited (pl_run) */
    bool lent;                  /* its last batch lies in its worker's buffers: the worker waits */
    /* what the worker read, in the state {INT64_MIN, 0, from > 0, 0} */
    pl_read *items;
    size_t nitems, capitems;
    pl_block *blocks;           /* the first one is being filled */
    size_t bytes;               /* memory counted for it beside its blocks (its items) */
    ks_state start, end;        /* the reader's state as assumed, and after (or at `rest`) */
    int64_t rest;               /* the worker read up to here: the rest is read in order (-1: none) */
    size_t decoded;             /* bytes of records it holds */
    int anchored;               /* ks_part_probes */
    int64_t probe_min;
} pl_part;

typedef struct pl_pipe {
    const pl_source *src;
    int64_t part_bytes;
    size_t max_bytes;
    pthread_mutex_t lock;
    pthread_cond_t ready;       /* the auditor waits for its next part ... */
    pthread_cond_t room;        /* ... workers for room */
    pl_part *slot[PL_AHEAD];    /* part seq at slot[seq % PL_AHEAD] */
    size_t head, next;          /* next part to audit, and to claim */
    size_t bytes;               /* held by parts claimed and not audited, and the pool */
    pl_block *pool;             /* blocks of PL_BLOCK kept for reuse */
    bool exhausted;             /* no more parts */
    bool stopped;               /* the consumer stopped: workers quit */
    /* the cursor: where the next part starts */
    size_t segi;                /* next segment to open */
    pl_seg *cur;                /* the segment being cut, or NULL */
    int64_t at, at_offset;      /* the next part's start and its entry's offset field */
    bool cut;                   /* a part of cur was claimed already */
    bool oom;                   /* no memory for the next part: the rest is read in order */
} pl_pipe;

static bool cancelled(const kaudit_callbacks *cb) { return cb && cb->cancelled && cb->cancelled(cb->ctx); }

/* Drop one reference to s. Under the lock. */
static void seg_release(pl_seg *s)
{
    if (s && --s->refs == 0) {
        kw_close(s->w);
        free(s);
    }
}

/* Free part c: its blocks back to the pool while the pool and the parts
 * stay within max_bytes. Under the lock. */
static void part_free(pl_pipe *p, pl_part *c)
{
    if (!c) return;
    for (pl_block *k = c->blocks, *n; k; k = n) {
        n = k->next;
        if (k->cap == PL_BLOCK && p->bytes <= p->max_bytes) {
            k->next = p->pool;
            p->pool = k;
        } else {
            p->bytes -= sizeof *k + k->cap;
            free(k);
        }
    }
    p->bytes -= c->bytes;
    free(c->items);
    free(c);
}

/* ---- cutting: the next part, under the lock ------------------------------------- */

/* The next part in file order, or NULL when there is none. */
static pl_part *cut_next(pl_pipe *p)
{
    const pl_source *src = p->src;
    if (!p->cur && (p->segi == src->nsegs || cancelled(src->cb))) return NULL;
    pl_part *c = calloc(1, sizeof *c);
    if (!c) {
        p->oom = true; /* the auditor reads the rest itself (read_rest) */
        return NULL;
    }
    c->seq = p->next;
    c->first_offset = -1;
    c->probe_min = INT64_MAX;
    c->rest = -1;
    if (!p->cur) {
        const kl_file *f = src->segs[p->segi++];
        ke_error e;
        kw_walk *w = kw_open(f->path, src->max_entry, src->no_cache, src->live_wait_ms, &e);
        pl_seg *s = w ? calloc(1, sizeof *s) : NULL;
        if (!s) {
            if (w) {
                kw_close(w);
                ke_set(&e, KE_NOMEM, -1, "out of memory opening a segment");
            }
            e.file = f->path;
            c->kind = PL_UNOPENED;
            c->open_err = e;
            c->ready = true;
            return c;
        }
        s->f = f;
        s->w = w;
        s->refs = 1;
        p->cur = s;
        p->at = 0;
        p->at_offset = -1;
        p->cut = false;
    }
    pl_seg *s = p->cur;
    int64_t size = kw_size(s->w);
    int sound;
    int64_t next_offset;
    int64_t to = ks_hop(kw_reader(s->w), p->at, p->part_bytes, &sound, &next_offset);
    c->seg = s;
    s->refs++;
    c->from = p->at;
    c->first_offset = p->at_offset;
    c->first = !p->cut;
    p->cut = true;
    if (!sound && to == p->at) {
        c->kind = PL_DIRECT; /* from an entry that is not sound: in order, to the end */
        c->to = size;
        c->ready = true;
    } else if (to - p->at > p->part_bytes + (int64_t)PL_LARGE) {
        /* An entry over PL_LARGE ends it (the hop stops at the first entry
         * past part_bytes): read in order by the auditing thread, as
         * without workers, so that no worker's window ever holds an entry
         * larger than part_bytes + PL_LARGE, whatever --max-entry allows. */
        c->kind = PL_DIRECT;
        c->to = to;
        c->ready = true;
    } else {
        c->kind = PL_PARTS;
        c->to = to;
    }
    c->last = c->to == size;
    p->at = c->to;
    p->at_offset = next_offset;
    if (c->last) {
        p->cur = NULL;
        seg_release(s);
    }
    return c;
}

/* The next part to read ahead, cut and put in its slot, or NULL when none
 * can be now (too many ahead, stopped, or no more: then exhausted). Parts
 * that need no reading ahead (ready when cut) are left in their slots for
 * the auditor, and the next is cut. Under the lock. */
static pl_part *cut_one(pl_pipe *p)
{
    while (!p->stopped && !p->exhausted && p->next - p->head < PL_AHEAD) {
        pl_part *c = cut_next(p);
        if (c) p->slot[p->next++ % PL_AHEAD] = c;
        else p->exhausted = true;
        pthread_cond_signal(&p->ready);
        if (c && !c->ready) return c;
    }
    return NULL;
}

/* A worker's next part to read, or NULL when there is no more (or the
 * consumer stopped). The worker never touches a part ready when cut
 * again: the auditor may have freed it. */
static pl_part *claim(pl_pipe *p)
{
    pthread_mutex_lock(&p->lock);
    pl_part *c;
    while (!(c = cut_one(p)) && !p->stopped && !p->exhausted) pthread_cond_wait(&p->room, &p->lock);
    pthread_mutex_unlock(&p->lock);
    return c;
}

/* ---- a worker: reading a part ahead -------------------------------------------- */

/* Count n more bytes (for part c), waiting for room unless c is the part the
 * auditor needs next or the auditor reads it (it would wait for itself).
 * false when the consumer stopped. */
static bool reserve(pl_pipe *p, pl_part *c, size_t n)
{
    pthread_mutex_lock(&p->lock);
    while (!p->stopped && p->bytes + n > p->max_bytes && c->seq != p->head && !c->helped)
        pthread_cond_wait(&p->room, &p->lock);
    bool ok = !p->stopped;
    if (ok) p->bytes += n;
    pthread_mutex_unlock(&p->lock);
    return ok;
}

/* Room for one more item in c. 0, 1 when the consumer stopped, -1 out of
 * memory. */
static int room_for_item(pl_pipe *p, pl_part *c)
{
    if (c->nitems < c->capitems) return 0;
    size_t cap = c->capitems ? c->capitems * 2 : 64;
    if (!reserve(p, c, (cap - c->capitems) * sizeof *c->items)) return 1;
    pthread_mutex_lock(&p->lock);
    c->bytes += (cap - c->capitems) * sizeof *c->items;
    pthread_mutex_unlock(&p->lock);
    pl_read *n = realloc(c->items, cap * sizeof *n);
    if (!n) return -1;
    c->items = n, c->capitems = cap;
    return 0;
}

/* n bytes (16-aligned) of c's blocks in *out: from its block being
 * filled, a block of the pool, or a new one once there is room for it
 * (waiting as reserve does). 0, 1 when the consumer stopped, -1 out of
 * memory. */
static int take(pl_pipe *p, pl_part *c, size_t n, void **out)
{
    n = (n + 15) & ~(size_t)15;
    pl_block *k = c->blocks;
    if (!k || k->cap - k->used < n) {
        size_t cap = n > PL_BLOCK ? n : PL_BLOCK;
        k = NULL; /* a block from the pool, or a new one: never the full one in hand */
        pthread_mutex_lock(&p->lock);
        for (;;) {
            if (p->stopped) {
                pthread_mutex_unlock(&p->lock);
                return 1;
            }
            if (cap == PL_BLOCK && (k = p->pool)) {
                p->pool = k->next;
                break;
            }
            if (p->bytes + sizeof *k + cap <= p->max_bytes || c->seq == p->head || c->helped) {
                p->bytes += sizeof *k + cap;
                break;
            }
            pthread_cond_wait(&p->room, &p->lock);
        }
        pthread_mutex_unlock(&p->lock);
        if (!k) {
            if (!(k = malloc(sizeof *k + cap))) {
                pthread_mutex_lock(&p->lock);
                p->bytes -= sizeof *k + cap;
                pthread_mutex_unlock(&p->lock);
                return -1;
            }
            k->cap = cap;
        }
        k->used = 0;
        k->next = c->blocks;
        c->blocks = k;
    }
    *out = k->data + k->used;
    k->used += n;
    return 0;
}

/* p moved from the block [from, from + n) to `to`, or unchanged outside it. */
static const uint8_t *moved(const uint8_t *q, const uint8_t *from, size_t n, const unsigned char *to)
{
    return q && q >= from && q <= from + n ? to + (q - from) : q;
}

/* A worker's records of one batch, before they join its part. */
typedef struct pl_scratch {
    kb_record *recs;
    ka_ident *ids;
    size_t cap;
} pl_scratch;

/* Decode batch x (opened: x->orc) into c: its records' bytes copied (the
 * decompressed records, or the batch), unless lent (left where they are,
 * in the worker's window or decompression buffer), the records and their
 * identities after them. 0, 1 when the consumer stopped, -1 out of
 * memory. */
static int decode(pl_pipe *p, pl_part *c, ra_item *x, pl_scratch *sc, bool lend)
{
    x->decoded = true;
    x->irc = x->orc;
    x->nrecs = 0;
    if (x->orc != 0) return 0;
    bool in_buffer = x->it.start_pos < 0 && x->it.start;
    const uint8_t *from = in_buffer ? x->it.start : x->b.data;
    size_t n = in_buffer ? (size_t)(x->it.cur.end - x->it.start) : x->b.size;
    void *mem;
    int rc;
    kb_iter *it = &x->it;
    it->b = &x->b;
    if (!lend) {
        if ((rc = take(p, c, n, &mem)) != 0) return rc;
        unsigned char *copy = mem;
        memcpy(copy, from, n);
        it->start = moved(it->start, from, n, copy);
        it->cur.p = moved(it->cur.p, from, n, copy);
        it->cur.end = moved(it->cur.end, from, n, copy);
        if (!in_buffer) {
            x->b.payload = moved(x->b.payload, from, n, copy);
            x->b.key = moved(x->b.key, from, n, copy);
            x->b.data = copy;
        }
    }
    bool identify = p->src->identify && !x->b.is_control;
    size_t k = 0;
    for (;; k++) {
        if (k == sc->cap) {
            size_t cap = sc->cap ? sc->cap * 2 : 256;
            kb_record *r = realloc(sc->recs, cap * sizeof *r);
            if (r) sc->recs = r;
            ka_ident *d = r ? realloc(sc->ids, cap * sizeof *d) : NULL;
            if (d) sc->ids = d;
            if (!r || !d) return -1;
            sc->cap = cap;
        }
        if ((x->irc = kb_iter_next(it, &sc->recs[k], &x->e)) != 1) break;
        if (identify) ka_identify(p->src->rules, &sc->recs[k], &sc->ids[k]);
    }
    if (in_buffer && !lend) x->b.data = x->b.payload = x->b.key = NULL; /* the reader's window: gone */
    x->nrecs = k;
    if (k == 0) return 0;
    if ((rc = take(p, c, k * sizeof *sc->recs, &mem)) != 0) return rc;
    x->recs = memcpy(mem, sc->recs, k * sizeof *sc->recs);
    if (!identify) return 0;
    if ((rc = take(p, c, k * sizeof *sc->ids, &mem)) != 0) return rc;
    x->ids = memcpy(mem, sc->ids, k * sizeof *sc->ids);
    return 0;
}

/* Read part c with walk *w (reused) and decompression dc. Out of memory,
 * c is left to the auditor to read (PL_DIRECT). */
static void read_part(pl_pipe *p, pl_part *c, kw_walk **w, kc_ctx **dc, pl_scratch *sc)
{
    const kl_file *f = c->seg->f;
    ke_error e;
    c->start = (ks_state){ INT64_MIN, 0, c->from > 0, 0 };
    if (!*dc) {
        c->kind = PL_DIRECT; /* no decompression context: read in order */
        return;
    }
    kw_walk *pw = kw_part(*w, c->seg->w, c->from, c->to, &c->start, &e);
    *w = pw;
    if (!pw) {
        c->kind = PL_DIRECT; /* out of memory: read in order */
        return;
    }
    ks_reader *r = kw_reader(pw);
    int rc = 0;
    while (rc == 0) {
        /* where the part stands before each entry, should it stop there */
        ks_state_of(r, &c->end);
        ks_part_probes(r, &c->anchored, &c->probe_min);
        if ((rc = room_for_item(p, c)) != 0) break;
        ra_item *x = &c->items[c->nitems].x;
        memset(x, 0, sizeof *x);
        x->f = f;
        int got = kw_next(pw, &x->b, &x->e, &x->entry_offset);
        if (got == KW_END) break;
        x->e.file = f->path;
        if (got != KW_BATCH) {
            x->kind = RA_PROBLEM;
        } else {
            x->kind = RA_BATCH;
            x->orc = kw_records(pw, &x->b, &x->it, *dc, &x->e);
            x->e.file = f->path;
            if (x->orc == KE_NOMEM && !c->helped && worker_budget(p->src->decompress) != p->src->decompress) {
                /* Past a worker's budget, maybe not the job's: this batch
                 * and the rest of the part are read in order. */
                c->rest = x->b.pos;
                return;
            }
            size_t n = x->orc == 0 && x->it.start_pos < 0 ? (size_t)(x->it.cur.end - x->it.start) : x->b.size;
            bool large = n > PL_LARGE || n > p->max_bytes / 4;
            if (large && !c->helped) {
                /* Too large to copy (a bomb of zeros, very compressible
                 * data): lent as it lies, the last of the part; the worker
                 * waits until it is audited (pl_run reads the rest of the
                 * part in order), then lets go of the buffers. */
                if ((rc = decode(p, c, x, sc, true)) != 0) break;
                c->nitems++;
                c->lent = true;
                c->rest = x->b.pos + x->b.size;
                ks_state_of(r, &c->end);
                ks_part_probes(r, &c->anchored, &c->probe_min);
                return;
            }
            if (large || (c->nitems > 0 && c->decoded + n > p->max_bytes / 2)) {
                /* Too large to hold beside the others: the rest of the part
                 * is read in order by the auditing thread, from this entry
                 * on (reading ahead itself, it decompressed into the buffer
                 * it reads in order with: one buffer, not two). */
                c->rest = x->b.pos;
                if (large && !c->helped) {
                    kc_free(*dc);
                    if ((*dc = kc_create(p->src->max_entry))) kc_set_budget(*dc, worker_budget(p->src->decompress));
                }
                return;
            }
            c->decoded += n;
            rc = decode(p, c, x, sc, false);
        }
        if (rc == 0) c->nitems++;
    }
    if (rc < 0) {
        c->kind = PL_DIRECT; /* out of memory ahead: read in order */
        return;
    }
    ks_state_of(r, &c->end);
    ks_part_probes(r, &c->anchored, &c->probe_min);
}

static void *worker(void *arg)
{
    pl_pipe *p = arg;
    kc_ctx *dc = kc_create(p->src->max_entry);
    if (dc) kc_set_budget(dc, worker_budget(p->src->decompress));
    kw_walk *w = NULL;
    pl_scratch sc = { NULL, NULL, 0 };
    pl_part *c;
    while ((c = claim(p))) {
        read_part(p, c, &w, &dc, &sc);
        size_t seq = c->seq;
        bool lent = c->lent;
        pthread_mutex_lock(&p->lock);
        c->ready = true;
        if (c->seq == p->head) pthread_cond_signal(&p->ready);
        /* A lent batch: its buffers are ours again once it is audited. */
        while (lent && !p->stopped && p->head <= seq) pthread_cond_wait(&p->room, &p->lock);
        pthread_mutex_unlock(&p->lock);
        if (lent) {
            kw_close(w);
            w = NULL;
            kc_free(dc);
            if ((dc = kc_create(p->src->max_entry))) kc_set_budget(dc, worker_budget(p->src->decompress));
        }
    }
    kw_close(w);
    kc_free(dc);
    free(sc.recs);
    free(sc.ids);
    return NULL;
}

/* ---- the auditing thread: parts in order ------------------------------------------ */

typedef struct pl_sink {
    ra_consume_fn consume;
    void *cctx;
    bool stopped;
    kc_ctx *dc;
    ks_state carry;             /* the reading's state at the end of the parts audited so far */
} pl_sink;

static void give(pl_sink *k, ra_item *x)
{
    if (!k->stopped && !k->consume(k->cctx, x)) k->stopped = true;
}

/* Would reading part c in state carry give what the worker read in its
 * assumed state? (ks_part_probes) */
static bool as_assumed(const pl_part *c, const ks_state *carry)
{
    if (c->from == 0) return true; /* read in the segment's own first state */
    if (carry->entries == 0) return false;
    if (carry->resume_checked && c->first_offset < carry->last_base) return false;
    return c->probe_min >= carry->last_base;
}

/* Read [from, c->to) of c's segment here, in order, from state carry. */
static void read_here(pl_sink *k, const pl_part *c, int64_t from)
{
    ra_item x;
    memset(&x, 0, sizeof x);
    x.f = c->seg->f;
    kw_walk *w = kw_part(NULL, c->seg->w, from, c->to, &k->carry, &x.e);
    if (!w) {
        x.kind = RA_PROBLEM;
        x.e.file = x.f->path;
        x.entry_offset = -1;
        give(k, &x);
        k->carry.done = 1;
        return;
    }
    int got;
    while (!k->stopped && (got = kw_next(w, &x.b, &x.e, &x.entry_offset)) != KW_END) {
        x.e.file = x.f->path;
        if (got != KW_BATCH) {
            x.kind = RA_PROBLEM;
        } else {
            x.kind = RA_BATCH;
            x.orc = kw_records(w, &x.b, &x.it, k->dc, &x.e);
            x.e.file = x.f->path;
            x.it.b = &x.b;
        }
        give(k, &x);
    }
    ks_state_of(kw_reader(w), &k->carry);
    kw_close(w);
}

/* Part c, in order, to the consumer. */
static void audit_part(pl_sink *k, pl_part *c)
{
    ra_item x;
    memset(&x, 0, sizeof x);
    if (c->kind == PL_UNOPENED) {
        x.kind = RA_PROBLEM;
        x.e = c->open_err;
        x.entry_offset = -1;
        give(k, &x);
        return;
    }
    x.f = c->seg->f;
    x.size = kw_size(c->seg->w);
    if (c->first) {
        k->carry = (ks_state){ INT64_MIN, 0, 0, 0 };
        x.kind = RA_SEGMENT;
        give(k, &x);
    }
    if (k->carry.done) {
        /* the reading stopped before this part */
    } else if (c->kind == PL_DIRECT || !as_assumed(c, &k->carry)) {
        read_here(k, c, c->from);
    } else {
        for (size_t i = 0; i < c->nitems && !k->stopped; i++) give(k, &c->items[i].x);
        ks_state carry = c->end;
        if (!c->anchored) carry.last_base = k->carry.last_base;
        carry.entries = k->carry.entries + (c->end.entries - c->start.entries);
        k->carry = carry;
        if (c->rest >= 0 && !k->carry.done && !k->stopped) read_here(k, c, c->rest);
    }
    if (c->last) {
        x.kind = RA_END;
        give(k, &x);
    }
}

/* No memory was left to cut the next part: what is left, read here in
 * order (after every part cut before). */
static void read_rest(pl_pipe *p, pl_sink *k)
{
    const pl_source *src = p->src;
    while (!k->stopped && (p->cur || (p->segi < src->nsegs && !cancelled(src->cb)))) {
        pl_part c;
        memset(&c, 0, sizeof c);
        c.kind = PL_DIRECT;
        if (!p->cur) {
            const kl_file *f = src->segs[p->segi++];
            kw_walk *w = kw_open(f->path, src->max_entry, src->no_cache, src->live_wait_ms, &c.open_err);
            c.open_err.file = f->path;
            if (!w || !(p->cur = calloc(1, sizeof *p->cur))) {
                if (w) kw_close(w), ke_set(&c.open_err, KE_NOMEM, -1, "out of memory opening a segment");
                c.kind = PL_UNOPENED;
                audit_part(k, &c);
                continue;
            }
            *p->cur = (pl_seg){ f, w, 1 };
            p->at = 0;
            p->cut = false;
        }
        c.seg = p->cur;
        c.from = p->at;
        c.to = kw_size(p->cur->w);
        c.first = !p->cut;
        c.last = true;
        audit_part(k, &c);
        seg_release(p->cur);
        p->cur = NULL;
    }
}

int pl_run(const pl_source *src, int workers, size_t max_bytes, int64_t part_bytes, kc_ctx *dc, ra_consume_fn consume,
           void *cctx)
{
    pl_pipe *p = calloc(1, sizeof *p);
    pthread_t *tid = calloc((size_t)(workers > 0 ? workers : 1), sizeof *tid);
    if (!p || !tid) {
        free(p);
        free(tid);
        return -1;
    }
    p->src = src;
    /* Parts small enough that a part for each thread and two waiting fit
     * in max_bytes decompressed (some 8 times larger), at most
     * PL_PART_BYTES, at least 64 KiB. */
    int64_t fit = (int64_t)(max_bytes / ((size_t)(workers + 3) * 8));
    p->part_bytes = part_bytes > 0 ? part_bytes : fit < PL_PART_BYTES ? (fit > (64 << 10) ? fit : 64 << 10) : PL_PART_BYTES;
    /* Room for the parts of each worker and a few waiting, decompressed
     * (some 7 times larger, with their records' views): 16 MiB a worker,
     * so that the workers run on while the auditing thread stalls (the
     * duplicate index growing into fresh pages); more costs page faults
     * (about 10 us each on the benchmark's VM) for little (BENCHMARKS.md). */
    size_t enough = (size_t)(workers + 2) * 16 * (size_t)(p->part_bytes > (int64_t)PL_BLOCK ? p->part_bytes : (int64_t)PL_BLOCK);
    p->max_bytes = max_bytes < enough ? max_bytes : enough;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->ready, NULL);
    pthread_cond_init(&p->room, NULL);
    int started = 0;
    for (int t = 0; t < workers; t++)
        if (pthread_create(&tid[started], NULL, worker, p) == 0) started++;
    if (started == 0) {
        pthread_cond_destroy(&p->room);
        pthread_cond_destroy(&p->ready);
        pthread_mutex_destroy(&p->lock);
        free(p);
        free(tid);
        return -1;
    }
    pl_sink k = { consume, cctx, false, dc, { INT64_MIN, 0, 0, 0 } };
    /* While its next part is not read yet, the auditing thread reads one
     * ahead itself (with a walk of its own and its decompression), as long as the
     * parts ahead hold less than half their memory: on few cores the
     * workers are often the slower side. */
    kw_walk *hw = NULL;
    kc_ctx *hdc = dc; /* read_part never frees it: the parts it reads are `helped` */
    pl_scratch hsc = { NULL, NULL, 0 };
    while (!k.stopped) {
        pthread_mutex_lock(&p->lock);
        pl_part *c;
        while (!((c = p->slot[p->head % PL_AHEAD]) && c->ready) && !(p->exhausted && p->head == p->next)) {
            pl_part *h = p->bytes < p->max_bytes / 2 ? cut_one(p) : NULL;
            if (!h) {
                /* cut_one may have made the part ready, or found the end */
                if (!(((c = p->slot[p->head % PL_AHEAD]) && c->ready) || (p->exhausted && p->head == p->next)))
                    pthread_cond_wait(&p->ready, &p->lock);
                continue;
            }
            h->helped = true;
            pthread_mutex_unlock(&p->lock);
            read_part(p, h, &hw, &hdc, &hsc);
            pthread_mutex_lock(&p->lock);
            h->ready = true;
        }
        bool ready = c && c->ready;
        pthread_mutex_unlock(&p->lock);
        if (!ready) break;
        audit_part(&k, c);
        pthread_mutex_lock(&p->lock);
        p->slot[p->head++ % PL_AHEAD] = NULL;
        seg_release(c->seg);
        part_free(p, c);
        if (k.stopped) p->stopped = true;
        pthread_cond_broadcast(&p->room);
        pthread_mutex_unlock(&p->lock);
    }
    pthread_mutex_lock(&p->lock);
    p->stopped = true;
    pthread_cond_broadcast(&p->room);
    pthread_mutex_unlock(&p->lock);
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
    kw_close(hw);
    free(hsc.recs);
    free(hsc.ids);
    if (p->oom && p->head == p->next) read_rest(p, &k);
    /* Parts claimed and not audited (stopped), and the segment being cut. */
    for (; p->head != p->next; p->head++) {
        pl_part *c = p->slot[p->head % PL_AHEAD];
        if (c) seg_release(c->seg);
        part_free(p, c);
    }
    seg_release(p->cur);
    for (pl_block *b = p->pool, *n; b; b = n) {
        n = b->next;
        free(b);
    }
    pthread_cond_destroy(&p->room);
    pthread_cond_destroy(&p->ready);
    pthread_mutex_destroy(&p->lock);
    free(p);
    free(tid);
    return 0;
}
