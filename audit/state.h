/*
 * state.h - what the auditor keeps of a partition, shared by audit/'s
 * modules and by nothing else (the public API is audit.h):
 *
 *   audit.c        the partition's lifecycle, batches and records as they
 *                  come, problems of the reader, and the end of the log
 *   producer.c     the broker's producer state (7.2-7.8): epochs,
 *                  sequences, transactions and markers, per producer id
 *   runs.c         duplicate runs: the index of every visible record's
 *                  content, runs of copies, held runs and their classes
 *   checkpoints.c  what the snapshots and the leader-epoch checkpoint say,
 *                  compared with the log
 *   topics.c       the naming rules of topics
 *
 * Owns nothing itself; ka_partition_create/free own ka_partition.
 */
#ifndef KAUDIT_AUDIT_STATE_H
#define KAUDIT_AUDIT_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "audit.h"
#include "dupindex.h"
#include "duplicate.h"
#include "report/preview.h"

#define KA_RECENT 5      /* batches the broker remembers per producer (7.2) */
#define KA_RUN_GAP 1024  /* offsets between two originals of one run, at most (other producers' records) */

/* What the duplicate finder remembers of each batch. */
typedef struct ka_binfo {
    int64_t producer_id;
    int64_t base_offset;
    int64_t max_timestamp;
    int64_t ts_base;      /* client timestamp of its first record with one, -1 */
    int32_t base_sequence;
    uint32_t crc;         /* the stored CRC: equal CRCs mean equal batch contents */
    int16_t producer_epoch;
    bool transactional;
    int32_t count;        /* its records (header count; a legacy wrapper's inner messages) */
} ka_binfo;

_Static_assert(sizeof(ka_binfo) <= KQ_INFO, "a batch's description travels through the spill");

/* A batch of a producer's open transaction, kept while the index runs from
 * a spill (no table of every batch then) for its pending records' sake. */
typedef struct ka_tbatch {
    uint32_t bidx;
    ka_binfo bi;
} ka_tbatch;

/* A record of a transaction still open: its fate (commit or abort) decides
 * whether it is visible, so it joins the duplicate index only at COMMIT. */
typedef struct ka_pending {
    uint64_t lo, hi;
    int64_t offset, timestamp;
    uint32_t batch, aux;
    rm_preview key, value;
} ka_pending;

/* The broker's ProducerStateEntry (7.2), plus what the report needs. */
typedef struct ka_prod {
    int64_t pid;
    bool known;           /* state exists (seen in this log, or seeded) */
    bool has_batch;       /* last_seq/last_offset describe a data batch */
    bool seq_unknown;     /* its epoch is known from a marker only: its data lies before the log start (7.8),
                           * so its next data of that epoch may have any sequence */
    int16_t bumped_from;  /* the data epoch a TV2 marker bumped it from (7.7), -1 */
    int16_t epoch;
    int32_t last_seq;
    int64_t last_offset;
    int32_t offset_delta;
    int64_t last_ts;
    int32_t coord_epoch;  /* -1 until a marker */
    int64_t txn_first;    /* first offset of the open transaction, -1 */
    int64_t txn_first_ts;
    struct {
        int32_t first, last;
        bool in_log;      /* a batch of this log, not only of the seeding snapshot */
        uint64_t idsum;   /* --identity: sum of its records' byte hashes (ka_identity_batch_end) */
        int32_t idn;      /* ... of so many records with an identity, -1 unknown */
    } recent[KA_RECENT];
    int nrecent;
    ka_pending *pend;     /* records of the open transaction */
    size_t npend, cappend;
    ka_tbatch *tb;        /* its batches, without the batch table (a spill) */
    size_t ntb, captb;
    bool seen;            /* some batch of it is in this log */
    int64_t first_off, last_off, batches, records; /* for the report */
    int32_t data_last_seq; /* last sequence of its last data batch, for the report */
    int64_t sess_first;   /* first offset of its current session (id and epoch) in this log, -1 unknown */
    int64_t sess_records; /* records of that session before the current batch */
    int64_t holes_at;     /* the partition's offset holes up to its last data batch */
} ka_prod;

/* The run of duplicates being read: consecutive copies of consecutive
 * records, one producer session on each side, whatever the batch
 * boundaries (one finding; duplicate.h). */
typedef struct ka_run {
    bool active;
    kd_run r;             /* the evidence so far */
    uint32_t ob, db;      /* batches of the last pair */
    int64_t batch_ts;     /* the first copy's batch max timestamp (--since/--until) */
    int64_t db_puts;      /* records of batch db in the run ... */
    int32_t db_count;     /* ... and in that batch: equal when the run holds it whole */
    int64_t d_before;     /* records of the copies' session before the first copy, -1: no new session */
} ka_run;

/* A run decided only at the end of the partition (or when more copies
 * show that its content recurs): duplicate.h's kd_decide. */
typedef struct ka_held {
    kd_run r;
    int64_t batch_ts;
    bool done;            /* decided and emitted meanwhile */
} ka_held;

typedef struct ka_snap {
    int64_t offset;
    char *file;
    kp_entry *e;
    size_t n;
} ka_snap;

/* A record waiting in the current batch's queue for the duplicate index:
 * its slot is prefetched while later records are read (the index is far
 * larger than the caches). Views are valid until the batch ends. */
typedef struct ka_queued {
    uint64_t lo, hi;
    uint32_t aux;
    int64_t offset, ts;
    const uint8_t *key, *value;
    int32_t key_len, value_len;
} ka_queued;

#define KA_QUEUE 32

typedef struct ka_epoch {
    int32_t epoch;
    int64_t start;
    int64_t prev_end;     /* last offset of the batch before its first one in the log, -1 none */
} ka_epoch;

struct ka_partition {
    const ka_options *o;
    rm_report *r;
    size_t index;
    char *topic;
    bool coordinator;     /* no sequence checks (7.1) */
    const char *rule;     /* why repetition is normal in this topic, or NULL */
    bool internal;        /* a topic only brokers write (rule "internal") */
    bool light;           /* another broker's copy is audited in full: integrity only here (ka_light) */

    ka_prod *prods;
    size_t nprods, capprods;
    uint32_t *pmap;       /* open addressing: index+1 into prods, 0 = empty */
    size_t pmap_cap;

    bool keep_binfo;      /* the table of every data batch (KQ_MEMORY); a spill carries them instead */
    ka_binfo *binfo;
    size_t nbinfo, capbinfo;
    uint32_t nbatches;    /* data batches so far: the next one's index */
    ka_binfo cur_bi;      /* the current data batch, when there is no table */
    size_t mem_limit;     /* for the index, the batch table and state_bytes together, 0 = none */
    size_t state_bytes;   /* the producers' state and their open transactions' records and batches */
    size_t state_limit;   /* what state_bytes may reach on its own (a spill: the index is on disk), 0 = none */
    kq_index q;
    int index_state;      /* KA_INDEX_*: the duplicate index still answers, or why not */
    int64_t index_stop;   /* the offset of the first record it could not answer for */
    ka_run run;
    ka_queued queue[KA_QUEUE]; /* the current batch's records not yet in the index */
    int nqueue;
    ka_held *held;        /* runs decided at the end: in order of their first copy */
    size_t nheld, capheld, nheld_done;
    size_t held_limit;    /* bytes they may take (ka_held_limit); past it the oldest are decided early */
    kd_profile pf;        /* repetition so far (natural: of the runs already decided) */
    int64_t decided_early; /* runs decided before the end for want of memory */

    /* the batch being read */
    kb_batch cur;         /* header fields only: its pointers are not used */
    char *cur_file;
    uint32_t cur_bidx;
    bool cur_window;      /* inside --since/--until */
    bool cur_count_bad;   /* record_count_mismatch already reported */
    bool cur_repeat;      /* exact (pid, epoch, seq range) repeat of a recent batch */
    bool cur_repeat_unseen; /* ... known only from the snapshot: its records are not in the log */
    int64_t cur_dups;     /* records of this batch found to be duplicates */
    uint64_t cur_idsum;   /* --identity: sum of the byte hashes of its records with an identity that
                           * the byte index would have held (idrecords.c) */
    int32_t cur_idn;      /* ... how many */
    int64_t cur_records;
    int64_t cur_max_rec_ts;
    int ctrl_type;
    bool ctrl_bad;        /* its control record could not be parsed: ctrl_msg says why */
    char ctrl_msg[sizeof ((ke_error *)0)->msg];
    int32_t ctrl_epoch;
    int64_t ctrl_ts;

    bool have_prev;
    int64_t prev_last;    /* last offset of the previous batch */
    int64_t holes;        /* offsets between batches that no batch holds (the cleaner's), so far */
    int64_t max_ts;       /* largest batch timestamp seen */

    int32_t max_ple;
    ka_epoch *epochs;     /* first offset of each new leader epoch in the log */
    size_t nepochs, capepochs;
    ka_epoch *ckpt;       /* leader-epoch-checkpoint */
    size_t nckpt;
    char *ckpt_file;
    bool have_ckpt;

    ka_snap *snaps;
    size_t nsnaps, next_snap;
    int64_t log_start;    /* from log-start-offset-checkpoint, -1 when unknown */

    struct kg_state *groups; /* __consumer_offsets: the consumer groups' replay (groups.h), else NULL */
    int64_t oom;          /* allocations that failed: what they were for is not fully checked */
    int64_t over_budget;  /* growths of the state refused at its memory limit (ka_state_room) ... */
    const char *over_what; /* ... the first of them for this */
    const char *oom_what; /* the first of them */
    int64_t expect_bytes; /* the partition's segment bytes (ka_expect_bytes), 0 unknown */
    int64_t seg_done;     /* bytes of the segments before the current one */
    int64_t seg_size;     /* the current segment's */

    /* --identity (idrecords.c) */
    const kid_spec *id_spec; /* the topic's identity, NULL when it has none */
    const kid_sink *id_sink; /* where its records' facts go, NULL: counted only */
    kid_vcache *id_vcache; /* JSON names judged volatile or not (kid_identity_stable), or NULL */
    kid_entry *id_pend;    /* records with an identity of open transactions, until their marker */
    size_t nid_pend, capid_pend;
    struct ka_sampler *id_sample; /* a topic without one: candidates to suggest (idsuggest.c), or NULL */
};

enum { KA_INDEX_OK, KA_INDEX_FULL, KA_INDEX_ERROR, KA_INDEX_CHANGED };

/* ---- small helpers ------------------------------------------------------ */

/* Offsets and timestamps come from the file and may be anything: add and
 * subtract them without signed overflow (absurd inputs give absurd numbers,
 * never undefined behaviour). */
static inline int64_t wadd(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
static inline int64_t wsub(int64_t a, int64_t b) { return (int64_t)((uint64_t)a - (uint64_t)b); }

/* Make room for one more element in a growing array. 0, or -1 when out of
 * memory (the array is then unchanged). */
static inline int grow_array(void **arr, size_t n, size_t *cap, size_t size)
{
    if (n < *cap) return 0;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, ncap * size);
    if (!p) return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

#define GROW(arr, n, cap) grow_array((void **)&(arr), (n), &(cap), sizeof *(arr))

/* The producers' state grows by `more` bytes for `what`: within the
 * memory limit? 0, or -1 when it would pass it, counted (ka_incomplete);
 * with an index in memory, the index gives way first (a spill follows). */
int ka_state_room(ka_partition *p, size_t more, const char *what);

/* GROW for the arrays counted in state_bytes: the growth is counted first
 * and may be refused at the limit (ka_state_room); an allocation that
 * fails is counted too (ka_oom). 0, or -1 when the element has no room. */
#define GROW_STATE(p, arr, n, cap, what)                                                           \
    ((n) < (cap) ? 0                                                                               \
     : ka_state_room((p), ((cap) ? (cap) : 16) * sizeof *(arr), (what)) < 0                        \
         ? -1                                                                                      \
         : (GROW(arr, n, cap) < 0                                                                  \
                ? ((p)->state_bytes -= ((cap) ? (cap) : 16) * sizeof *(arr), ka_oom((p), (what)))  \
                : 0))

static inline void ka_set_producer(rm_finding *f, int64_t pid, int32_t epoch)
{
    f->producer_id = pid;
    f->producer_epoch = epoch;
}

/* ---- audit.c -------------------------------------------------------------- */

/* An allocation for `what` failed: the partition's report is incomplete
 * (ka_incomplete), never silently so. Returns -1 for the caller's use. */
int ka_oom(ka_partition *p, const char *what);

/* Is a finding at `offset` of a batch of time `ts` (-1: unknown) within the
 * --offsets and --since/--until scope? */
bool ka_in_scope(const ka_partition *p, int64_t offset, int64_t ts);

/* A finding of type `type` (an rt_id) read in `variant`, counted and
 * returned to fill when kept as an example; NULL when out of scope (then
 * not counted either) or not kept. Its words are report/'s. */
rm_finding *ka_emit(ka_partition *p, int type, int variant, int severity, int64_t offset, int64_t ts);

/* The current batch's producer, file and position into a finding. */
void ka_at_batch(ka_partition *p, rm_finding *f);

/* ---- producer.c ----------------------------------------------------------- */

/* The state of producer `pid`: NULL when there is none (ka_prod_find), or a
 * new one created unknown (ka_prod_get; NULL only when out of memory). */
ka_prod *ka_prod_find(ka_partition *p, int64_t pid);
ka_prod *ka_prod_get(ka_partition *p, int64_t pid);

/* The broker forgot the producer (expiration, 7.8). */
void ka_prod_forget(ka_prod *x);

/* The current data batch of producer x: its epoch and sequence (7.3-7.5),
 * then its transaction (7.6). */
void ka_producer_data(ka_partition *p, ka_prod *x);
void ka_producer_txn(ka_partition *p, ka_prod *x);

/* The current batch is a COMMIT or ABORT marker (7.6). */
void ka_marker(ka_partition *p);

/* ---- runs.c --------------------------------------------------------------- */

/* Room for one more entry in the batch table, which shares the index's
 * memory limit: 0, or -1 when the index stops answering at `offset`. */
int ka_binfo_room(ka_partition *p, int64_t offset);

/* Before the index doubles, size it for what the partition will hold if
 * it goes on as it did up to batch b (a hint only). */
void ka_index_presize(ka_partition *p, const kb_batch *b);

/* A record's identity (key and value, and headers with
 * --dup-include-headers) as 128 bits, and a 30-bit hash of what a client
 * retry also keeps equal (its client timestamp, and headers). */
void ka_fingerprint(const ka_options *o, const kb_record *r, uint64_t *lo, uint64_t *hi, uint32_t *aux);

/* Visible record `offset` (client timestamp `ts`) of batch `bidx` (of
 * producer x's committed transaction when x is given) with identity (lo,
 * hi, aux) into the duplicate index: a copy extends or starts a run, any
 * other record ends the run being read. `view` is the record when it
 * belongs to the batch being read; a committed transaction's record comes
 * with the previews it kept instead. */
void ka_dup_put(ka_partition *p, uint64_t lo, uint64_t hi, uint32_t aux, int64_t offset, int64_t ts, uint32_t bidx,
                const ka_prod *x, const ka_queued *view, const rm_preview *key, const rm_preview *value);

/* The current batch's queued records into the index, in order; the run
 * being read ends (decided, or held); the partition's runs are all decided
 * (the end of the log). */
void ka_queue_flush(ka_partition *p);
void ka_run_flush(ka_partition *p);
void ka_dup_end(ka_partition *p);

/* ---- idrecords.c ---------------------------------------------------------- */

/* Set the partition's identity up (ka_partition_create): its spec and its
 * counts in the report. */
void ka_identity_init(ka_partition *p);

/* A visible data record of the current batch: true when it has an
 * identity (its facts go to the sink, or wait for its transaction's
 * marker), false when it falls back to the byte check (counted why). */
bool ka_identity_record(ka_partition *p, const kb_record *r);

/* The current batch ends (before its sequence checks): a batch repeating
 * a recent one's sequences counts its records with an identity as
 * duplicates when their bytes are the first copy's (as the byte index
 * would have found them), so that a reused sequence range whose records
 * differ is still a sequence_regression; any other batch of a producer
 * keeps its records' byte hashes for such a repeat. */
void ka_identity_batch_end(ka_partition *p);

/* Producer pid's transaction ended: its records' facts go to the sink
 * (commit) or are dropped (abort). */
void ka_identity_marker(ka_partition *p, int64_t pid, bool commit);

/* The end of the partition (or its free): open transactions' records are
 * dropped (not visible). */
void ka_identity_end(ka_partition *p);

/* ---- idsuggest.c ---------------------------------------------------------- */

/* A topic without an --identity: sample its first records for a member or
 * header unique in each (ka_suggest_start), say so in a note at the end
 * (ka_suggest_end), free (ka_suggest_free; also at ka_partition_free). */
void ka_suggest_start(ka_partition *p);
void ka_suggest_record(ka_partition *p, const kb_record *r);
void ka_suggest_end(ka_partition *p);
void ka_suggest_free(ka_partition *p);

/* ---- checkpoints.c -------------------------------------------------------- */

/* Compare a snapshot with the state rebuilt up to its offset (7.9). */
void ka_snapshot_compare(ka_partition *p, const ka_snap *s);

/* Compare the log's leader epochs with leader-epoch-checkpoint (6.1). */
void ka_epochs_compare(ka_partition *p);

#endif
