/* indexcheck.c - see indexcheck.h. */
#include "indexcheck.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- open transactions: a small open-addressing map ------------------- */

void kx_txns_init(kx_txns *t) { memset(t, 0, sizeof *t); }

void kx_txns_free(kx_txns *t)
{
    if (!t) return;
    free(t->pid);
    free(t->first);
    memset(t, 0, sizeof *t);
}

static size_t slot_of(const kx_txns *t, int64_t pid)
{
    uint64_t h = (uint64_t)pid * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 20) & (t->cap - 1);
    while (t->pid[i] != -1 && t->pid[i] != pid) i = (i + 1) & (t->cap - 1);
    return i;
}

static int txns_grow(kx_txns *t)
{
    size_t ncap = t->cap ? t->cap * 2 : 64;
    kx_txns n = { malloc(ncap * sizeof(int64_t)), malloc(ncap * sizeof(int64_t)), ncap, 0 };
    if (!n.pid || !n.first) {
        free(n.pid);
        free(n.first);
        return KE_NOMEM;
    }
    for (size_t i = 0; i < ncap; i++) n.pid[i] = -1;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->pid[i] == -1 || t->first[i] < 0) continue;
        size_t j = slot_of(&n, t->pid[i]);
        n.pid[j] = t->pid[i];
        n.first[j] = t->first[i];
        n.n++;
    }
    kx_txns_free(t);
    *t = n;
    return 0;
}

/* First offset of pid's open transaction, or -1. */
static int64_t txns_get(const kx_txns *t, int64_t pid)
{
    if (t->cap == 0) return -1;
    size_t i = slot_of(t, pid);
    return t->pid[i] == pid ? t->first[i] : -1;
}

/* Set (first >= 0) or clear (first = -1) pid's open transaction. A cleared
 * slot keeps its pid with first -1, so probe chains stay intact. */
static void txns_set(kx_txns *t, int64_t pid, int64_t first)
{
    if ((t->n + 1) * 2 > t->cap && first >= 0 && txns_grow(t) < 0) return;
    if (t->cap == 0) return;
    size_t i = slot_of(t, pid);
    if (t->pid[i] == -1) {
        if (first < 0) return;
        t->pid[i] = pid;
        t->n++;
    }
    t->first[i] = first;
}

/* ---- the check --------------------------------------------------------- */

static void mismatch(kx_check *c, const char *file, int64_t pos, int64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void mismatch(kx_check *c, const char *file, int64_t pos, int64_t offset, const char *fmt, ...)
{
    ke_error e;
    ke_clear(&e);
    e.code = KE_MISMATCH;
    e.file = file;
    e.pos = pos;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.msg, sizeof e.msg, fmt, ap);
    va_end(ap);
    c->mismatches++;
    if (c->report) c->report(c->arg, &e, offset);
}

int kx_begin(kx_check *c, const ki_index *oix, const char *ofile, const ki_index *tix, const char *tfile,
             const ki_index *xix, const char *xfile, kx_txns *txns, kx_report_fn report, void *arg)
{
    assert(txns != NULL);
    memset(c, 0, sizeof *c);
    c->oix = oix, c->ofile = ofile;
    c->tix = tix, c->tfile = tfile;
    c->xix = xix, c->xfile = xfile;
    c->txns = txns;
    c->report = report;
    c->arg = arg;
    if (xix && xix->entries) {
        c->xseen = calloc(xix->entries, sizeof *c->xseen);
        if (!c->xseen) {
            c->xix = NULL; /* not checked: the caller says so */
            return KE_NOMEM;
        }
    }
    return 0;
}

static void offset_index_batch(kx_check *c, const kb_batch *b)
{
    const ki_index *ix = c->oix;
    while (c->oj < ix->entries) {
        ki_offset_entry oe;
        if (ki_offset_at(ix, c->oj, &oe, NULL) < 0) {
            c->oj++;
            continue;
        }
        if (!c->o_at) {
            if (b->pos < oe.position) return;
            if (b->pos > oe.position) {
                mismatch(c, c->ofile, oe.pos, oe.offset,
                         "entry (offset %" PRId64 ", position %d): no batch starts at position %d",
                         oe.offset, oe.position, oe.position);
                c->oj++;
                continue;
            }
            c->o_at = true;
        }
        if (b->last_offset < oe.offset) return; /* a chunk of several batches: keep going */
        if (b->last_offset > oe.offset)
            mismatch(c, c->ofile, oe.pos, oe.offset,
                     "entry (offset %" PRId64 ", position %d): no batch from that position ends at offset %" PRId64
                     " (the batch at %" PRId64 " holds %" PRId64 "..%" PRId64 ")",
                     oe.offset, oe.position, oe.offset, b->pos, b->base_offset, b->last_offset);
        c->oj++;
        c->o_at = false;
    }
}

static void time_index_batch(kx_check *c, const kb_batch *b)
{
    const ki_index *ix = c->tix;
    while (c->tj < ix->entries) {
        ki_time_entry te;
        if (ki_time_at(ix, c->tj, &te, NULL) < 0) {
            c->tj++;
            continue;
        }
        if (te.offset > b->last_offset) return;
        if (te.offset < b->base_offset)
            mismatch(c, c->tfile, te.pos, te.offset,
                     "entry (timestamp %" PRId64 ", offset %" PRId64 "): no batch holds offset %" PRId64, te.timestamp,
                     te.offset, te.offset);
        else if (te.timestamp != b->max_timestamp)
            mismatch(c, c->tfile, te.pos, te.offset,
                     "entry (timestamp %" PRId64 ", offset %" PRId64 "): the batch at %" PRId64
                     " holding that offset has max timestamp %" PRId64,
                     te.timestamp, te.offset, b->pos, b->max_timestamp);
        c->tj++;
    }
}

/* An ABORT marker closing a transaction that had data must be indexed. */
static void txn_marker(kx_check *c, const kb_batch *b, int control_type)
{
    int64_t first = txns_get(c->txns, b->producer_id);
    txns_set(c->txns, b->producer_id, -1);
    if (control_type != KB_CTRL_ABORT || !c->xix) return;
    for (size_t i = 0; i < c->xix->entries; i++) {
        ki_txn_entry xe;
        if (c->xseen[i] || ki_txn_at(c->xix, i, &xe, NULL) < 0 || xe.last_offset != b->base_offset) continue;
        c->xseen[i] = true;
        if (xe.producer_id != b->producer_id)
            mismatch(c, c->xfile, xe.pos, xe.last_offset,
                     "entry for the ABORT at offset %" PRId64 " names producer %" PRId64 ", the marker is producer %" PRId64,
                     xe.last_offset, xe.producer_id, b->producer_id);
        else if (first >= 0 && xe.first_offset != first)
            mismatch(c, c->xfile, xe.pos, xe.last_offset,
                     "entry for the ABORT at offset %" PRId64 " says the transaction began at %" PRId64
                     ", the log says %" PRId64, xe.last_offset, xe.first_offset, first);
        return;
    }
    if (first >= 0)
        mismatch(c, c->xfile, -1, b->base_offset,
                 "no entry for the ABORT marker at offset %" PRId64 " (producer %" PRId64
                 ", transaction from offset %" PRId64 ")",
                 b->base_offset, b->producer_id, first);
}

void kx_batch(kx_check *c, const kb_batch *b, int control_type)
{
    if (c->oix) offset_index_batch(c, b);
    if (c->tix) time_index_batch(c, b);
    if (b->magic < 2 || b->producer_id < 0) return;
    if (b->is_control) {
        if (b->count > 0) txn_marker(c, b, control_type);
    } else if (b->is_transactional && txns_get(c->txns, b->producer_id) < 0) {
        txns_set(c->txns, b->producer_id, b->base_offset);
    }
}

void kx_end(kx_check *c)
{
    for (; c->oix && c->oj < c->oix->entries; c->oj++) {
        ki_offset_entry oe;
        if (ki_offset_at(c->oix, c->oj, &oe, NULL) == 0)
            mismatch(c, c->ofile, oe.pos, oe.offset, "entry (offset %" PRId64 ", position %d) points past the last batch of the log",
                     oe.offset, oe.position);
    }
    for (; c->tix && c->tj < c->tix->entries; c->tj++) {
        ki_time_entry te;
        if (ki_time_at(c->tix, c->tj, &te, NULL) == 0)
            mismatch(c, c->tfile, te.pos, te.offset, "entry (timestamp %" PRId64 ", offset %" PRId64 "): offset not found in the log",
                     te.timestamp, te.offset);
    }
    for (size_t i = 0; c->xix && i < c->xix->entries; i++) {
        ki_txn_entry xe;
        if (!c->xseen[i] && ki_txn_at(c->xix, i, &xe, NULL) == 0)
            mismatch(c, c->xfile, xe.pos, xe.last_offset,
                     "entry (producer %" PRId64 ", offsets %" PRId64 "..%" PRId64 ") has no ABORT marker at offset %" PRId64
                     " in the log",
                     xe.producer_id, xe.first_offset, xe.last_offset, xe.last_offset);
    }
    free(c->xseen);
    c->xseen = NULL;
}
