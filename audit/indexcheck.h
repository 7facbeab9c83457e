/*
 * indexcheck.h - do a segment's indexes agree with its log?
 *
 * Owns: kx_check, the state of one pass that compares a segment's .index,
 * .timeindex and .txnindex (already parsed by reader/index) with the batches
 * of its .log, fed in file order. Rules, formats doc 4.1 to 4.3 and 7.6:
 *  - .index (O, P): P is where a batch starts, and scanning forward from P
 *    a batch ends exactly at offset O (the entry names the last offset of a
 *    chunk that may hold several batches);
 *  - .timeindex (T, O): the batch holding O has max timestamp T;
 *  - .txnindex: one entry (pid, first, last) per ABORT marker in the segment
 *    whose transaction had data; none for anything else. The transaction's
 *    first offset may lie in an earlier segment, so open transactions are
 *    tracked across the segments of a partition (kx_txns).
 *
 * No file I/O, never prints: every disagreement goes to the caller's
 * callback as a ke_error with code KE_MISMATCH and the byte position of the
 * index entry concerned.
 */
#ifndef KAUDIT_AUDIT_INDEXCHECK_H
#define KAUDIT_AUDIT_INDEXCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reader/batch.h"
#include "reader/error.h"
#include "reader/index.h"

/* A disagreement: `e` says where in the index file and what; `offset` is
 * the log offset it concerns (-1 when none). */
typedef void (*kx_report_fn)(void *arg, const ke_error *e, int64_t offset);

/* Open transactions of one partition: producer id -> first offset. */
typedef struct kx_txns {
    int64_t *pid;       /* open addressing; -1 marks an empty slot */
    int64_t *first;
    size_t cap, n;
} kx_txns;

/* Start empty. */
void kx_txns_init(kx_txns *t);
/* Free. Accepts NULL. */
void kx_txns_free(kx_txns *t);

typedef struct kx_check {
    const ki_index *oix;   /* offset index, or NULL when the segment has none */
    const ki_index *tix;   /* time index, or NULL */
    const ki_index *xix;   /* transaction index, or NULL */
    const char *ofile, *tfile, *xfile; /* their paths, for errors */
    kx_txns *txns;         /* the partition's open transactions (required) */
    size_t oj, tj;         /* next .index / .timeindex entry to match */
    bool o_at;             /* the batch at .index entry oj's position was found */
    size_t xmatched;       /* .txnindex entries matched to markers so far */
    bool *xseen;           /* per .txnindex entry: matched */
    kx_report_fn report;
    void *arg;
    long mismatches;       /* reported so far */
} kx_check;

/*
 * Begin checking one segment. Any of the three indexes may be NULL. Returns
 * 0, or KE_NOMEM when the .txnindex cannot be tracked: the check then goes on
 * without it, and the caller says it was not checked. The indexes and txns
 * must outlive the check.
 */
int kx_begin(kx_check *c, const ki_index *oix, const char *ofile, const ki_index *tix, const char *tfile,
             const ki_index *xix, const char *xfile, kx_txns *txns, kx_report_fn report, void *arg);

/*
 * Feed the next batch of the segment's log. For a control batch also give
 * its marker (control_type KB_CTRL_ABORT/COMMIT, else KB_CTRL_UNKNOWN).
 * Batches whose CRC failed should not be fed.
 */
void kx_batch(kx_check *c, const kb_batch *b, int control_type);

/* End of the segment's log: report index entries nothing matched, and free
 * what kx_begin allocated. */
void kx_end(kx_check *c);

#endif
