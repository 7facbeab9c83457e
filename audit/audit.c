/*
 * audit.c - see audit.h. The rules are the broker's, formats doc 7.1 to
 * 7.11; each check names the section it follows.
 */
#include "audit.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "dupindex.h"
#include "duplicate.h"
#include "report/preview.h"
#include "report/types.h"

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

    ka_prod *prods;
    size_t nprods, capprods;
    uint32_t *pmap;       /* open addressing: index+1 into prods, 0 = empty */
    size_t pmap_cap;

    bool keep_binfo;      /* the table of every data batch (KQ_MEMORY); a spill carries them instead */
    ka_binfo *binfo;
    size_t nbinfo, capbinfo;
    uint32_t nbatches;    /* data batches so far: the next one's index */
    ka_binfo cur_bi;      /* the current data batch, when there is no table */
    size_t mem_limit;     /* for the index and the batch table together, 0 = none */
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

    int64_t oom;          /* allocations that failed: what they were for is not fully checked */
    const char *oom_what; /* the first of them */
    int64_t expect_bytes; /* the partition's segment bytes (ka_expect_bytes), 0 unknown */
    int64_t seg_done;     /* bytes of the segments before the current one */
    int64_t seg_size;     /* the current segment's */
};

enum { KA_INDEX_OK, KA_INDEX_FULL, KA_INDEX_ERROR, KA_INDEX_CHANGED };

/* ---- small helpers ------------------------------------------------------ */

/* Offsets and timestamps come from the file and may be anything: add and
 * subtract them without signed overflow (absurd inputs give absurd numbers,
 * never undefined behaviour). */
static int64_t wadd(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
static int64_t wsub(int64_t a, int64_t b) { return (int64_t)((uint64_t)a - (uint64_t)b); }

/* Make room for one more element in a growing array. 0, or -1 when out of
 * memory (the array is then unchanged). */
static int grow_array(void **arr, size_t n, size_t *cap, size_t size)
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

/* An allocation for `what` failed: the partition's report is incomplete
 * (ka_incomplete), never silently so. Returns -1 for the caller's use. */
static int out_of_memory(ka_partition *p, const char *what)
{
    if (!p->oom++) p->oom_what = what;
    return -1;
}

void ka_options_init(ka_options *o)
{
    memset(o, 0, sizeof *o);
    o->producer_expiration_ms = KA_DEFAULT_EXPIRATION_MS;
    o->txn_max_timeout_ms = KA_DEFAULT_TXN_TIMEOUT_MS;
    o->dup_window_ms = KA_DEFAULT_DUP_WINDOW_MS;
    o->off_lo = o->since = INT64_MIN;
    o->off_hi = o->until = INT64_MAX;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

const char *ka_topic_repetition_rule(const char *topic)
{
    if (strncmp(topic, "__", 2) == 0) return "internal";
    if (strcmp(topic, "_schemas") == 0) return "schema-registry";
    if (ends_with(topic, "connect-configs") || ends_with(topic, "connect-offsets") || ends_with(topic, "connect-status"))
        return "connect";
    /* The most specific rule wins: Confluent's own Streams apps name their
     * internal topics _confluent-...-changelog / -repartition. */
    if (ends_with(topic, "-changelog")) return "streams-changelog";
    if (ends_with(topic, "-repartition")) return "streams-repartition";
    if (strncmp(topic, "_confluent", 10) == 0) return "confluent";
    return NULL;
}

bool ka_topic_coordinator(const char *topic)
{
    return strcmp(topic, "__consumer_offsets") == 0 || strcmp(topic, "__transaction_state") == 0 ||
           strcmp(topic, "__share_group_state") == 0;
}

uint64_t ka_redact_token(const uint8_t *p, size_t len, uint64_t key) { return rm_redact_token(p, len, key); }

/* Sequence distance from `from` forward to `to`, modulo the wrap (1.8). */
static int64_t seq_forward(int32_t from, int32_t to)
{
    const int64_t m = (int64_t)INT32_MAX + 1;
    int64_t d = ((int64_t)to - from) % m;
    return d < 0 ? d + m : d;
}

static int32_t seq_of(const ka_binfo *b, int64_t offset)
{
    return b->base_sequence >= 0 ? kb_seq_add(b->base_sequence, wsub(offset, b->base_offset)) : -1;
}

/* A finding at `offset`, or NULL when it lies outside the window the user
 * asked for (then it is not counted either) or is not kept as an example. */
static bool in_scope(const ka_partition *p, int64_t offset, int64_t ts)
{
    const ka_options *o = p->o;
    if (offset >= 0 && (offset < o->off_lo || offset > o->off_hi)) return false;
    return ts < 0 || (ts >= o->since && ts <= o->until);
}

/* A finding of type `type` (an rt_id) read in `variant`, within the
 * --offsets and --since/--until scope, or NULL. Its words are report/'s. */
static rm_finding *emit(ka_partition *p, int type, int variant, int severity, int64_t offset, int64_t ts)
{
    if (!in_scope(p, offset, ts)) return NULL;
    rm_finding *f = rm_add_finding(p->r, type, variant, severity, p->index, offset);
    /* Warnings and errors of one type in one partition: one incident. */
    if (severity >= RM_WARNING) {
        const char *path = p->r->partitions[p->index].path;
        rm_group g = { rt_type_of(type)->name, XXH3_64bits(path, strlen(path)), -1, -1, -1, -1, -1 };
        rm_group_finding(p->r, &g, p->index, severity, ts, offset, offset, 0, f);
    }
    return f;
}

static void set_producer(rm_finding *f, int64_t pid, int32_t epoch)
{
    f->producer_id = pid;
    f->producer_epoch = epoch;
}

/* ---- producers ------------------------------------------------------------ */

static size_t pmap_slot(const ka_partition *p, int64_t pid)
{
    uint64_t h = (uint64_t)pid * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 17) & (p->pmap_cap - 1);
    while (p->pmap[i] && p->prods[p->pmap[i] - 1].pid != pid) i = (i + 1) & (p->pmap_cap - 1);
    return i;
}

static ka_prod *prod_find(ka_partition *p, int64_t pid)
{
    if (!p->pmap_cap) return NULL;
    uint32_t v = p->pmap[pmap_slot(p, pid)];
    return v ? &p->prods[v - 1] : NULL;
}

/* The entry of `pid`, created empty (unknown producer) when absent. */
static ka_prod *prod_get(ka_partition *p, int64_t pid)
{
    ka_prod *x = prod_find(p, pid);
    if (x) return x;
    if ((p->nprods + 1) * 2 > p->pmap_cap) {
        size_t ncap = p->pmap_cap ? p->pmap_cap * 2 : 64;
        uint32_t *nm = calloc(ncap, sizeof *nm);
        if (!nm) return out_of_memory(p, "the state of a producer"), NULL;
        free(p->pmap);
        p->pmap = nm;
        p->pmap_cap = ncap;
        for (size_t i = 0; i < p->nprods; i++) p->pmap[pmap_slot(p, p->prods[i].pid)] = (uint32_t)i + 1;
    }
    if (GROW(p->prods, p->nprods, p->capprods) < 0) return out_of_memory(p, "the state of a producer"), NULL;
    x = &p->prods[p->nprods];
    memset(x, 0, sizeof *x);
    x->pid = pid;
    x->epoch = -1;
    x->last_seq = -1;
    x->last_offset = -1;
    x->last_ts = -1;
    x->coord_epoch = -1;
    x->bumped_from = -1;
    x->txn_first = -1;
    x->first_off = -1;
    x->data_last_seq = -1;
    x->sess_first = -1;
    p->pmap[pmap_slot(p, pid)] = (uint32_t)++p->nprods;
    return x;
}

/* Forget a producer's state as the broker does when it expires (7.8). */
static void prod_forget(ka_prod *x)
{
    x->known = x->has_batch = x->seq_unknown = false;
    x->bumped_from = -1;
    x->epoch = -1;
    x->last_seq = -1;
    x->last_offset = -1;
    x->nrecent = 0;
    x->coord_epoch = -1;
}

static void prod_push_recent(ka_prod *x, int32_t first, int32_t last, bool in_log)
{
    if (x->nrecent == KA_RECENT) {
        memmove(x->recent, x->recent + 1, (KA_RECENT - 1) * sizeof x->recent[0]);
        x->nrecent--;
    }
    x->recent[x->nrecent].first = first;
    x->recent[x->nrecent].last = last;
    x->recent[x->nrecent].in_log = in_log;
    x->nrecent++;
}

/* ---- lifecycle ------------------------------------------------------------ */

ka_partition *ka_partition_create(const ka_options *o, rm_report *r, size_t index, const char *topic)
{
    ka_partition *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->o = o;
    p->r = r;
    p->index = index;
    p->topic = strdup(topic);
    if (!p->topic) {
        ka_partition_free(p);
        return NULL;
    }
    p->coordinator = ka_topic_coordinator(topic);
    p->rule = o->dup_topics && regexec(o->dup_topics, topic, 0, NULL, 0) == 0 ? NULL : ka_topic_repetition_rule(topic);
    p->internal = p->rule && strcmp(p->rule, "internal") == 0;
    p->max_ple = -1;
    p->log_start = -1;
    p->keep_binfo = true;
    kq_init(&p->q);
    return p;
}

void ka_partition_free(ka_partition *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->nprods; i++) free(p->prods[i].pend), free(p->prods[i].tb);
    for (size_t i = 0; i < p->nsnaps; i++) {
        free(p->snaps[i].file);
        free(p->snaps[i].e);
    }
    free(p->prods);
    free(p->pmap);
    free(p->binfo);
    kq_free(&p->q);
    free(p->cur_file);
    free(p->epochs);
    free(p->ckpt);
    free(p->ckpt_file);
    free(p->snaps);
    free(p->held);
    free(p->topic);
    free(p);
}

void ka_seed_snapshot(ka_partition *p, int64_t offset, const kp_snapshot *s)
{
    (void)offset;
    for (size_t i = 0; i < s->n; i++) {
        kp_entry e;
        if (kp_entry_at(s, i, &e, NULL) < 0) continue;
        ka_prod *x = prod_get(p, e.producer_id);
        if (!x) return;
        x->known = true;
        x->epoch = e.epoch;
        x->has_batch = kp_has_batch(&e);
        x->last_seq = e.last_sequence;
        x->last_offset = e.last_offset;
        x->offset_delta = e.offset_delta;
        x->last_ts = e.timestamp;
        x->coord_epoch = e.coordinator_epoch;
        x->txn_first = e.current_txn_first_offset;
        x->txn_first_ts = e.timestamp;
        if (x->has_batch) prod_push_recent(x, kp_first_sequence(&e), e.last_sequence, false);
    }
}

void ka_check_snapshot(ka_partition *p, int64_t offset, const char *file, const kp_snapshot *s)
{
    ka_snap *ns = realloc(p->snaps, (p->nsnaps + 1) * sizeof *ns);
    if (!ns) {
        out_of_memory(p, "a producer snapshot to compare");
        return;
    }
    p->snaps = ns;
    ka_snap *x = &ns[p->nsnaps];
    x->offset = offset;
    x->file = strdup(file);
    x->e = s->n ? malloc(s->n * sizeof *x->e) : NULL;
    x->n = 0;
    if (!x->file || (s->n && !x->e)) out_of_memory(p, "a producer snapshot to compare");
    for (size_t i = 0; x->e && i < s->n; i++)
        if (kp_entry_at(s, i, &x->e[x->n], NULL) == 0) x->n++;
    p->nsnaps++;
}

void ka_leader_epochs(ka_partition *p, const char *file, const kk_checkpoint *c)
{
    free(p->ckpt);
    free(p->ckpt_file);
    p->ckpt = c->n ? malloc(c->n * sizeof *p->ckpt) : NULL;
    p->nckpt = p->ckpt ? c->n : 0;
    for (size_t i = 0; i < p->nckpt; i++) {
        p->ckpt[i].epoch = c->entries[i].epoch;
        p->ckpt[i].start = c->entries[i].offset;
    }
    p->ckpt_file = strdup(file);
    p->have_ckpt = true;
    if (!p->ckpt_file || (c->n && !p->ckpt)) out_of_memory(p, "the leader-epoch checkpoint");
}

void ka_log_start(ka_partition *p, int64_t offset) { p->log_start = offset; }

void ka_expect_bytes(ka_partition *p, int64_t bytes)
{
    p->expect_bytes = bytes;
    /* About one distinct record per 512 bytes of segment, reserved up front
     * (saving the growth, and with a limit the moment when the old and the
     * new table are both held): at most 8 Mi entries (341 MiB) with no
     * limit, else what a third of it holds, so the index can still double
     * (old and new table together take the whole limit, less the batch
     * table). index_presize corrects the estimate as the data is read. */
    int64_t n = bytes / 512, most = (int64_t)1 << 23;
    if (p->mem_limit) most = (int64_t)(p->mem_limit / 3 / sizeof(kq_slot) / 4 * 3);
    kq_reserve(&p->q, (size_t)(n < most ? n : most));
}

void ka_held_limit(ka_partition *p, size_t max_bytes) { p->held_limit = max_bytes; }

void ka_index_limit(ka_partition *p, size_t max_bytes)
{
    p->mem_limit = max_bytes;
    kq_set_limit(&p->q, max_bytes);
}

int ka_index_spill(ka_partition *p, int mode, const kq_spill *spill)
{
    p->keep_binfo = false; /* each answer carries its batch */
    return kq_set_spill(&p->q, mode, spill);
}

bool ka_index_full(const ka_partition *p) { return p->index_state == KA_INDEX_FULL; }

const char *ka_incomplete(const ka_partition *p, char *buf, size_t cap)
{
    if (p->oom)
        snprintf(buf, cap, "out of memory: %" PRId64 " allocation%s failed (%s first), so not everything was checked",
                 p->oom, p->oom == 1 ? "" : "s", p->oom_what);
    else if (p->index_state == KA_INDEX_ERROR)
        snprintf(buf, cap, "duplicates not checked from offset %" PRId64 ": out of memory, or the spill to disk failed",
                 p->index_stop);
    else return NULL;
    return buf;
}

int ka_control_type(const ka_partition *p) { return p->cur.is_control ? p->ctrl_type : KB_CTRL_UNKNOWN; }

bool ka_index_outgrows(const ka_partition *p, double fraction)
{
    if (!p->mem_limit || p->q.mode != KQ_MEMORY || fraction <= 0 || fraction >= 1) return false;
    double entries = (double)p->q.n / fraction, batches = (double)p->nbinfo / fraction;
    if (entries >= (double)((size_t)1 << 40)) return true;
    return (double)kq_slots_for((size_t)entries) * sizeof(kq_slot) + batches * sizeof(ka_binfo) > (double)p->mem_limit;
}

void ka_segment(ka_partition *p, int64_t bytes)
{
    p->seg_done += p->seg_size;
    p->seg_size = bytes;
    rm_partition *rp = &p->r->partitions[p->index];
    rp->segments++;
    rp->bytes += bytes;
}

/* ---- duplicates: runs, held runs, decisions --------------------------------- */

static kd_context dup_context(const ka_partition *p, const kd_profile *pf)
{
    kd_context c = { p->rule, p->internal, p->o->dup_window_ms, pf };
    return c;
}

/* The finding of run r, decided `reason`, and its incident. */
static void dup_emit(ka_partition *p, const kd_run *r, int64_t batch_ts, int reason)
{
    if (kd_natural(r, p->o->dup_window_ms)) p->pf.natural += r->count;
    if (!in_scope(p, r->d.first, batch_ts)) return;
    kd_context c = dup_context(p, NULL);
    rm_finding *f = kd_emit(p->r, p->index, r, reason, &c);
    if (reason != KD_DELIVERY) return;
    rm_group g = kd_group(r, p->topic, p->o->dup_window_ms);
    rm_group_finding(p->r, &g, p->index, RM_WARNING, r->d.ts, r->d.first, r->d.last, r->count, f);
}

/* The undecided held run whose copies include `offset`, or NULL. */
static ka_held *held_at(ka_partition *p, int64_t offset)
{
    size_t lo = 0, hi = p->nheld; /* the last one starting at or before offset */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->held[mid].r.d.first <= offset) lo = mid + 1;
        else hi = mid;
    }
    ka_held *h = lo ? &p->held[lo - 1] : NULL;
    return h && !h->done && offset <= h->r.d.last ? h : NULL;
}

/* Emit held run h now (its answer no longer depends on the end). */
static void held_decide(ka_partition *p, ka_held *h, int reason)
{
    dup_emit(p, &h->r, h->batch_ts, reason);
    h->done = true;
    p->nheld_done++;
}

/* Drop decided runs once they are half of the list. */
static void held_compact(ka_partition *p)
{
    if (p->nheld_done * 2 < p->nheld) return;
    size_t n = 0;
    for (size_t i = 0; i < p->nheld; i++)
        if (!p->held[i].done) p->held[n++] = p->held[i];
    p->nheld = n;
    p->nheld_done = 0;
}

/* The profile as it stands: the runs decided so far, and the held ones
 * counted as they would be at the end. */
static kd_profile profile_now(const ka_partition *p)
{
    kd_profile pf = p->pf;
    for (size_t i = 0; i < p->nheld; i++)
        if (!p->held[i].done && kd_natural(&p->held[i].r, p->o->dup_window_ms)) pf.natural += p->held[i].r.count;
    return pf;
}

/* Decide every held run with profile pf (the end, or the oldest when
 * memory is short: `upto` of them). */
static void held_decide_all(ka_partition *p, const kd_profile *pf, size_t upto)
{
    kd_context c = dup_context(p, pf);
    for (size_t i = 0; i < p->nheld && i < upto; i++) {
        ka_held *h = &p->held[i];
        if (h->done) continue;
        int reason = kd_decide(&h->r, &c);
        held_decide(p, h, reason < 0 ? KD_DELIVERY : reason);
    }
}

/* Keep run r for the end. Past the held runs' memory share, the oldest
 * quarter is decided with the profile as it stands (counted and noted). */
static void held_add(ka_partition *p, const kd_run *r, int64_t batch_ts)
{
    if (p->nheld == p->capheld && p->held_limit && (p->capheld + 1) * sizeof(ka_held) > p->held_limit / 2) {
        held_compact(p);
        if (p->nheld == p->capheld) {
            kd_profile pf = profile_now(p);
            size_t before = p->nheld_done, quarter = p->nheld / 4 + 1;
            held_decide_all(p, &pf, quarter);
            p->decided_early += (int64_t)(p->nheld_done - before);
            held_compact(p);
        }
    }
    if (GROW(p->held, p->nheld, p->capheld) < 0) {
        /* Out of memory: decided now, with what is known, and said: the
         * verdict may differ from the one the whole partition gives. */
        out_of_memory(p, "duplicate runs held for the partition's profile");
        kd_profile pf = profile_now(p);
        kd_context c = dup_context(p, &pf);
        int reason = kd_decide(r, &c);
        p->decided_early++;
        dup_emit(p, r, batch_ts, reason < 0 ? KD_DELIVERY : reason);
        return;
    }
    /* Runs end in the order of their first copies, but for a committed
     * transaction's, which join the index at its marker. */
    size_t at = p->nheld;
    while (at > 0 && p->held[at - 1].r.d.first > r->d.first) at--;
    memmove(&p->held[at + 1], &p->held[at], (p->nheld - at) * sizeof *p->held);
    p->held[at] = (ka_held){ *r, batch_ts, false };
    p->nheld++;
}

/* The runs recur at a regular interval: the interval from its originals
 * to the copies of `b` is within a quarter of that of `a`, whose copies
 * are b's originals (three copies of a block, evenly spaced). */
static bool regular(const kd_run *a, const kd_run *b)
{
    if (!a->ts_known || !b->ts_known) return false;
    int64_t x = a->d.ts - a->o.ts, y = b->d.ts - b->o.ts;
    if (x <= 0 || y <= 0) return false;
    int64_t big = x > y ? x : y, diff = x > y ? x - y : y - x;
    return diff <= big / 4;
}

/* The copy at `offset` (the second copy of its content) was copied again:
 * a held single record recurs now, and is decided. */
static void copied_again(ka_partition *p, int64_t offset)
{
    ka_held *h = held_at(p, offset);
    if (!h) return;
    h->r.later++;
    if (h->r.count > 1) return;
    kd_context c = dup_context(p, NULL);
    int reason = kd_decide(&h->r, &c);
    if (reason >= 0) held_decide(p, h, reason);
}

/* The run of duplicates ends: decide it now if nothing later can change
 * the answer, else hold it. */
static void run_flush(ka_partition *p)
{
    ka_run *run = &p->run;
    if (!run->active) return;
    run->active = false;
    kd_run *r = &run->r;
    r->whole = r->whole && run->db_puts == run->db_count;
    r->session_start = run->d_before >= 0 && run->d_before <= r->count;
    p->pf.repeated += r->count;
    if (r->o.producer_id < 0 && r->d.producer_id < 0 && r->ts_known) {
        int64_t dt = r->d.ts - r->o.ts;
        if (dt != 0 && dt >= -10 && dt <= 10) p->pf.near++;
        if (dt == 0 && r->count <= KD_CHANCE_RUN && kd_strong(r)) p->pf.same_ms++;
    }
    /* A block whose originals are the copies of a held block, as far apart
     * in time: both recur. */
    if (r->count > 1) {
        ka_held *h = held_at(p, r->o.first);
        if (h && h->r.count > 1 && regular(&h->r, r)) {
            h->r.regular = r->regular = true;
            kd_context c = dup_context(p, NULL);
            int reason = kd_decide(&h->r, &c);
            if (reason >= 0) held_decide(p, h, reason);
        }
    }
    kd_context c = dup_context(p, NULL);
    int reason = kd_decide(r, &c);
    if (reason >= 0) dup_emit(p, r, run->batch_ts, reason);
    else held_add(p, r, run->batch_ts);
    held_compact(p);
}

/* At the end of the partition: its profile, and every held run decided. */
static void dup_end(ka_partition *p)
{
    run_flush(p);
    kd_profile pf = profile_now(p);
    held_decide_all(p, &pf, SIZE_MAX);
    p->nheld = p->nheld_done = 0;
    rm_repeats *rr = &p->r->partitions[p->index].repeats;
    rr->checked = true;
    rr->records = pf.records;
    rr->repeated = pf.repeated;
    rr->natural = pf.natural;
    rr->by_nature = !p->rule && kd_by_nature(&pf);
    rr->rule = p->rule;
    rr->decided_early = p->decided_early;
    if (p->decided_early)
        rm_partition_note(p->r, p->index,
                          "%" PRId64 " duplicate findings were classed before the end of the partition: the runs "
                          "held for its end outgrew their memory share, so the oldest used the repeat profile as "
                          "it stood then",
                          p->decided_early);
}

/* The index could not answer for the record at `offset` (kq_put's `rc`):
 * from here on no record is looked up. ka_partition_end says so in a note,
 * unless the driver restarts the partition with a spill (KA_INDEX_FULL). */
static void index_trouble(ka_partition *p, int rc, int64_t offset)
{
    p->index_state = rc == KQ_FULL ? KA_INDEX_FULL : rc == KQ_CHANGED ? KA_INDEX_CHANGED : KA_INDEX_ERROR;
    p->index_stop = offset;
}

/* Room for one more entry in the batch table, which shares the index's
 * memory limit (the index gets what the table leaves). 0, or -1 when the
 * limit or memory ran out (the index then stops answering). */
static int binfo_room(ka_partition *p, int64_t offset)
{
    if (p->nbinfo < p->capbinfo) return 0;
    size_t ncap = p->capbinfo ? p->capbinfo * 2 : 16;
    if (p->mem_limit && ncap * sizeof(ka_binfo) + kq_bytes(&p->q) > p->mem_limit) {
        index_trouble(p, KQ_FULL, offset);
        return -1;
    }
    ka_binfo *nb = realloc(p->binfo, ncap * sizeof *nb);
    if (!nb) {
        index_trouble(p, KQ_ERROR, offset);
        return -1;
    }
    p->binfo = nb;
    p->capbinfo = ncap;
    if (p->mem_limit) kq_set_limit(&p->q, p->mem_limit - ncap * sizeof(ka_binfo));
    return 0;
}

/* Before the index doubles, size it for what the partition will hold if it
 * goes on as it did over the part read so far (up to batch b): one growth to
 * the right size instead of several doublings that overshoot (the estimate
 * from the segment bytes is low for compressed data). A hint only. */
static void index_presize(ka_partition *p, const kb_batch *b)
{
    if (p->q.n * 40 < p->q.cap * 27 || p->expect_bytes <= 0) return; /* below a load of 0.675 */
    double fraction = (double)(p->seg_done + b->pos + b->size) / (double)p->expect_bytes;
    if (fraction < 0.01 || fraction > 0.95) return;
    double want = (double)p->q.n / fraction * 1.1;
    if (want > (double)p->q.cap * 3 / 4 && want < (double)SIZE_MAX / 2) kq_reserve(&p->q, (size_t)want);
}

/* A record's timestamp relative to its batch's first, as the index keeps it. */
static int32_t ts_delta(ka_binfo *b, int64_t ts)
{
    if (ts < 0) return KQ_NO_TS;
    if (b->ts_base < 0) b->ts_base = ts;
    int64_t d = ts - b->ts_base;
    return d > INT32_MIN && d <= INT32_MAX ? (int32_t)d : KQ_NO_TS;
}

static int64_t ts_of(const ka_binfo *b, int32_t delta)
{
    return delta == KQ_NO_TS || b->ts_base < 0 ? -1 : wadd(b->ts_base, delta);
}

/* What batch `bidx` is: from the table of every batch, or without one, the
 * current batch or one of producer x's open transaction. NULL if unknown. */
static ka_binfo *batch_info(ka_partition *p, const ka_prod *x, uint32_t bidx)
{
    if (p->keep_binfo) return bidx < p->nbinfo ? &p->binfo[bidx] : NULL;
    if (bidx == p->cur_bidx) return &p->cur_bi;
    size_t lo = 0, hi = x ? x->ntb : 0; /* x->tb is in batch order */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->tb[mid].bidx < bidx) lo = mid + 1;
        else hi = mid;
    }
    return x && lo < x->ntb && x->tb[lo].bidx == bidx ? &x->tb[lo].bi : NULL;
}

/* One side of a pair: the record at `offset` (client timestamp `ts`) of
 * the batch `b` describes. */
static kd_side side_of(const ka_binfo *b, int64_t offset, int64_t ts)
{
    kd_side s = { offset, offset, ts, b->producer_id, b->producer_epoch, seq_of(b, offset), b->transactional, b->crc };
    return s;
}

/* Records the copies' producer session wrote in this log before its record
 * at `d_off` (in the batch being read), when that session began in this
 * log after the original at `o_off` and is newer than the originals' (a
 * restart: another producer id, or a higher epoch); else -1. */
static int64_t restart_before(ka_partition *p, const ka_binfo *o, const ka_binfo *d, int64_t o_off, int64_t d_off)
{
    if (d->producer_id < 0 || (o->producer_id == d->producer_id && o->producer_epoch >= d->producer_epoch)) return -1;
    ka_prod *x = prod_find(p, d->producer_id);
    if (!x || x->sess_first < 0 || x->epoch != d->producer_epoch || o_off >= x->sess_first) return -1;
    return x->sess_records - p->cur.count + wsub(d_off, d->base_offset);
}

/* Record `offset` (client timestamp `ts`) of batch `bidx` (of producer x's
 * open transaction when x is given) has the fingerprint (lo, hi); `aux`
 * hashes its timestamp and headers. `view` is the record when it belongs
 * to the batch being read; a committed transaction's record comes with the
 * previews it kept instead. */
static void dedup_put(ka_partition *p, uint64_t lo, uint64_t hi, uint32_t aux, int64_t offset, int64_t ts,
                      uint32_t bidx, const ka_prod *x, const ka_queued *view, const rm_preview *key,
                      const rm_preview *value)
{
    ka_binfo *bi = batch_info(p, x, bidx);
    if (!bi || p->index_state != KA_INDEX_OK) {
        run_flush(p);
        return;
    }
    p->pf.records++;
    kq_slot rec = { lo, hi, bidx, (int32_t)wsub(offset, bi->base_offset), ts_delta(bi, ts), aux };
    /* The offset as the slot will give it back (the same as `offset` but
     * for absurd inputs): every mode of the index compares these. */
    int64_t r_off = wadd(bi->base_offset, rec.offset_delta);
    unsigned char info[KQ_INFO]; /* only a recording pass writes it out */
    if (p->q.mode == KQ_RECORD) {
        memset(info, 0, sizeof info);
        memcpy(info, bi, sizeof *bi);
    }
    kq_slot *s;
    const void *found_info;
    int rc = kq_put(&p->q, &rec, r_off, info, &s, &found_info);
    if (rc < 0) index_trouble(p, rc, offset);
    ka_binfo sbi;
    if (rc == 1 && found_info) memcpy(&sbi, found_info, sizeof sbi);
    else if (rc == 1 && s->batch < p->nbinfo) sbi = p->binfo[s->batch];
    if (rc == 1 && (s->batch >= p->nbatches || (!found_info && s->batch >= p->nbinfo)))
        index_trouble(p, rc = KQ_CHANGED, offset); /* not this input's */
    if (rc <= 0) {
        run_flush(p); /* a record seen for the first time ends a run of duplicates */
        return;
    }
    const kq_slot found = *s; /* the nearest earlier copy, as the index had it */
    const ka_binfo *sb = &sbi;
    int64_t s_off = wadd(sb->base_offset, found.offset_delta), s_ts = ts_of(sb, found.ts_delta);
    kq_count_copy(s, &rec, r_off, s_off);
    unsigned before = kq_copies(&found); /* copies of this content before this record */
    int64_t o_off = s_off, d_off = offset, o_ts = s_ts, d_ts = ts;
    uint32_t ob = found.batch, db = bidx;
    const ka_binfo *obi = sb, *dbi = bi;
    bool swapped = r_off < s_off;
    if (swapped) {
        /* A committed transaction's record joins the index at its marker,
         * after later records: the earlier offset is the original. */
        o_off = offset, d_off = s_off, o_ts = ts, d_ts = s_ts;
        ob = bidx, db = found.batch;
        obi = bi, dbi = sb;
    }
    if (db == p->cur_bidx) p->cur_dups++;
    bool identical = (found.aux & KQ_AUX_HASH) == aux, same = ob == db;
    kd_side os = side_of(obi, o_off, o_ts), ds = side_of(dbi, d_off, d_ts);
    ka_run *run = &p->run;
    kd_run *r = &run->r;
    /* The run goes on while the copies follow each other (a record seen for
     * the first time would have ended it) and repeat, in order and from the
     * same sessions, records written before the first copy, all with their
     * timestamps or all with new ones (a resent batch right after ordinary
     * repeats of the batch before it is a run of its own). */
    if (run->active && identical == r->identical && d_off > r->d.last && o_off > r->o.last &&
        wsub(o_off, r->o.last) <= KA_RUN_GAP &&
        o_off < r->d.first && os.producer_id == r->o.producer_id && os.epoch == r->o.epoch &&
        ds.producer_id == r->d.producer_id && ds.epoch == r->d.epoch) {
        if (db != run->db) { /* the next copy batch: the last one was whole, and this from its first record */
            r->whole = r->whole && run->db_puts == run->db_count && d_off == dbi->base_offset;
            run->db_puts = 0;
            run->db_count = dbi->count;
        }
        r->o.last = o_off;
        r->d.last = d_off;
        r->count++;
        r->identical_batch = r->identical_batch && !same && obi->crc == dbi->crc;
        r->same_batch = r->same_batch || same;
        r->recurring += before >= 3;
        run->ob = ob, run->db = db;
        run->db_puts++;
        return;
    }
    run_flush(p);
    /* The third copy of this content: its original, the second, recurs. */
    if (!swapped && before == 2) copied_again(p, o_off);
    run->active = true;
    memset(r, 0, sizeof *r);
    r->o = os, r->d = ds;
    r->count = 1;
    r->identical = identical;
    r->ts_known = o_ts >= 0 && d_ts >= 0;
    r->identical_batch = !same && obi->crc == dbi->crc;
    r->whole = d_off == dbi->base_offset;
    r->same_batch = same;
    r->copies = swapped ? 2 : (int)(before < 4 ? before + 1 : 4);
    r->recurring = before >= 3;
    run->ob = ob, run->db = db;
    run->db_puts = 1;
    run->db_count = dbi->count;
    run->batch_ts = dbi->max_timestamp;
    run->d_before = view && !swapped ? restart_before(p, obi, dbi, o_off, d_off) : -1;
    /* Previews come from the record's bytes (a queued record) or from the
     * copies a transaction's pending record kept. */
    if (view) {
        const ka_options *o = p->o;
        rm_preview_set(&r->key, view->key, view->key_len, o->redact & KA_REDACT_KEYS, o->redact_key);
        rm_preview_set(&r->value, view->value, view->value_len, o->redact & KA_REDACT_VALUES, o->redact_key);
    } else {
        r->key = *key;
        r->value = *value;
    }
}

/* Put the queued records of the current batch into the index, in order
 * (their slots were prefetched when they were queued). */
static void queue_flush(ka_partition *p)
{
    for (int i = 0; i < p->nqueue; i++) {
        const ka_queued *e = &p->queue[i];
        dedup_put(p, e->lo, e->hi, e->aux, e->offset, e->ts, p->cur_bidx, NULL, e, NULL, NULL);
    }
    p->nqueue = 0;
}

/* The record's identity (key and value, and headers with
 * --dup-include-headers) as 128 bits, and a 30-bit hash of what a client
 * retry also keeps equal (the timestamp the client stamped, and headers). One-shot hashes of the
 * key, the value (and the headers), each seeded with its length so that a
 * null (-1) and an empty (0) field differ, then a hash of those hashes: the
 * same identity whatever message format the record came in. */
static void fingerprint(ka_partition *p, const kb_record *r, uint64_t *lo, uint64_t *hi, uint32_t *aux)
{
    XXH128_hash_t part[3];
    part[0] = XXH3_128bits_withSeed(r->key_len > 0 ? r->key : NULL, r->key_len > 0 ? (size_t)r->key_len : 0,
                                    (uint64_t)(int64_t)r->key_len);
    part[1] = XXH3_128bits_withSeed(r->value_len > 0 ? r->value : NULL, r->value_len > 0 ? (size_t)r->value_len : 0,
                                    (uint64_t)(int64_t)r->value_len ^ 0x9E3779B97F4A7C15ull);
    size_t nparts = 2;
    if (p->o->dup_include_headers) part[nparts++] = XXH3_128bits_withSeed(r->headers, r->headers_len, 3);
    XXH128_hash_t h = XXH3_128bits(part, nparts * sizeof part[0]);
    *lo = h.low64;
    *hi = h.high64;
    uint64_t ts = (uint64_t)r->client_timestamp;
    uint64_t a = XXH3_64bits_withSeed(&ts, sizeof ts, 0);
    if (r->headers_len) a ^= XXH3_64bits_withSeed(r->headers, r->headers_len, 1);
    *aux = (uint32_t)a & KQ_AUX_HASH;
}

/* ---- snapshots and leader epochs ------------------------------------------- */

static void snapshot_compare(ka_partition *p, const ka_snap *s)
{
    for (size_t i = 0; i < s->n; i++) {
        const kp_entry *e = &s->e[i];
        ka_prod *x = prod_find(p, e->producer_id);
        /* A producer the log never showed a batch of (its data is before
         * the log start) cannot be checked. */
        if (!x || !x->has_batch || !x->seen) continue;
        const char *field = NULL;
        int64_t sv = 0, lv = 0;
        if (e->epoch != x->epoch) field = "producer_epoch", sv = e->epoch, lv = x->epoch;
        else if (e->last_sequence != x->last_seq) field = "last_sequence", sv = e->last_sequence, lv = x->last_seq;
        else if (e->last_offset != x->last_offset) field = "last_offset", sv = e->last_offset, lv = x->last_offset;
        else if (e->offset_delta != x->offset_delta) field = "offset_delta", sv = e->offset_delta, lv = x->offset_delta;
        else if (e->current_txn_first_offset != x->txn_first)
            field = "current_txn_first_offset", sv = e->current_txn_first_offset, lv = x->txn_first;
        else if (x->coord_epoch >= 0 && e->coordinator_epoch != x->coord_epoch)
            field = "coordinator_epoch", sv = e->coordinator_epoch, lv = x->coord_epoch;
        if (!field) continue;
        rm_finding *f = emit(p, RT_SNAPSHOT_MISMATCH, 0, RM_WARNING, s->offset, -1);
        if (!f) continue;
        set_producer(f, e->producer_id, e->epoch);
        rm_field_int(f, "snapshot_offset", s->offset);
        rm_field_str(f, "file", s->file);
        rm_field_str(f, "field", field);
        rm_field_int(f, "snapshot_value", sv);
        rm_field_int(f, "log_value", lv);
    }
}

/* Compare the partition's leader epochs with leader-epoch-checkpoint (6.1). */
static void leader_epochs_compare(ka_partition *p)
{
    if (!p->have_ckpt) return;
    for (size_t i = 0; i < p->nepochs; i++) {
        ka_epoch l = p->epochs[i];
        /* When the log start moved (DeleteRecords, retention), the broker
         * dropped the epochs wholly below it and moved the start of the one
         * holding it (LeaderEpochFileCache.truncateFromStart). */
        if (p->log_start > l.start) {
            if (i + 1 < p->nepochs && p->epochs[i + 1].start <= p->log_start) continue;
            l.start = p->log_start;
        }
        const ka_epoch *c = NULL;
        for (size_t j = 0; j < p->nckpt && !c; j++)
            if (p->ckpt[j].epoch == l.epoch) c = &p->ckpt[j];
        /* The first epoch still in the log may have begun before its first
         * batch still here (segments deleted by retention), and any epoch
         * before its first surviving batch when the cleaner removed the
         * batches in between (no batch lies between the two). */
        if (c && (c->start == l.start || (c->start < l.start && (i == 0 || c->start > l.prev_end)))) continue;
        rm_finding *f =
            emit(p, RT_LEADER_EPOCH_CHECKPOINT_MISMATCH, c ? RTV_CHECKPOINT_DIFFERS : RTV_CHECKPOINT_MISSING,
                 RM_WARNING, l.start, -1);
        if (!f) continue;
        rm_field_int(f, "leader_epoch", l.epoch);
        rm_field_int(f, "log_start_offset", l.start);
        rm_field_int(f, "checkpoint_start_offset", c ? c->start : -1);
        rm_field_str(f, "file", p->ckpt_file ? p->ckpt_file : "");
    }
}

/* ---- batches ---------------------------------------------------------------- */

static void finding_at_batch(ka_partition *p, rm_finding *f)
{
    if (p->cur.producer_id >= 0) set_producer(f, p->cur.producer_id, p->cur.producer_epoch);
    rm_field_str(f, "file", p->cur_file ? p->cur_file : "");
    rm_field_int(f, "position", p->cur.pos);
}

/* Epoch and sequence of a data batch of an idempotent producer (7.3-7.5). */
static void producer_data(ka_partition *p, ka_prod *x)
{
    const kb_batch *b = &p->cur;
    rm_finding *f;
    if (x->known && b->producer_epoch < x->epoch) {
        if ((f = emit(p, RT_EPOCH_REGRESSION, RTV_EPOCH_DATA, RM_ERROR, b->base_offset, b->max_timestamp))) {
            finding_at_batch(p, f);
            rm_field_int(f, "previous_epoch", x->epoch);
        }
        return; /* a zombie's batch does not move the producer's state */
    }
    /* Coordinators write every batch with sequence 0 (7.1): no repeats there. */
    if (!p->coordinator && x->known && b->producer_epoch == x->epoch && x->has_batch) {
        for (int i = 0; i < x->nrecent; i++)
            if (x->recent[i].first == b->base_sequence && x->recent[i].last == b->last_sequence) {
                p->cur_repeat = true;
                p->cur_repeat_unseen = !x->recent[i].in_log;
            }
    }
    if (p->cur_repeat) return; /* what the broker should have dropped: checked as a duplicate */
    bool new_epoch = x->known && b->producer_epoch != x->epoch;
    bool reset_expected = x->known && b->producer_epoch == x->epoch && !x->has_batch && !x->seq_unknown;
    if (!p->coordinator && (new_epoch || reset_expected) && b->base_sequence != 0 && x->epoch >= 0 &&
        (f = emit(p, RT_EPOCH_SEQUENCE_NOT_RESET, 0, RM_WARNING, b->base_offset, b->max_timestamp))) {
        finding_at_batch(p, f);
        rm_field_int(f, "previous_epoch", reset_expected && x->bumped_from >= 0 ? x->bumped_from : x->epoch);
        rm_field_int(f, "actual_sequence", b->base_sequence);
    }
    if (!p->coordinator && x->known && !new_epoch && x->has_batch) {
        int32_t expected = kb_seq_add(x->last_seq, 1);
        int64_t ahead = seq_forward(expected, b->base_sequence);
        /* The cleaner removes whole batches (1.10): sequences missing where
         * as many offsets went missing since this producer's last batch
         * are its cleaned batches, not lost data. */
        bool cleaned = ahead < ((int64_t)1 << 30) && ahead <= wsub(p->holes, x->holes_at);
        if (b->base_sequence != expected && ahead != 0 && !cleaned) {
            bool gap = ahead < ((int64_t)1 << 30);
            int type = gap ? RT_SEQUENCE_GAP : RT_SEQUENCE_REGRESSION;
            if ((f = emit(p, type, RTV_SEQUENCE_BACK, gap ? RM_WARNING : RM_ERROR, b->base_offset, b->max_timestamp))) {
                finding_at_batch(p, f);
                rm_field_int(f, "expected_sequence", expected);
                rm_field_int(f, "actual_sequence", b->base_sequence);
                if (gap) rm_field_int(f, "missing", ahead);
                rm_field_int(f, "last_sequence", x->last_seq);
            }
        }
    }
    if (b->producer_epoch != x->epoch) x->nrecent = 0;
    x->known = x->has_batch = true;
    x->seq_unknown = false;
    x->bumped_from = -1;
    x->epoch = b->producer_epoch;
    x->last_seq = b->last_sequence;
    x->last_offset = b->last_offset;
    x->offset_delta = b->last_offset_delta;
    prod_push_recent(x, b->base_sequence, b->last_sequence, true);
}

/* Transactions (7.6). */
static void producer_txn(ka_partition *p, ka_prod *x)
{
    const kb_batch *b = &p->cur;
    if (b->is_transactional) {
        if (x->txn_first < 0) {
            x->txn_first = b->base_offset;
            x->txn_first_ts = b->max_timestamp;
        }
        return;
    }
    if (x->txn_first < 0) return;
    rm_finding *f = emit(p, RT_NON_TRANSACTIONAL_IN_TRANSACTION, 0, RM_ERROR, b->base_offset, b->max_timestamp);
    if (!f) return;
    finding_at_batch(p, f);
    rm_field_int(f, "first_offset", x->txn_first);
}

void ka_batch_begin(ka_partition *p, const kb_batch *b, const char *file)
{
    rm_partition *rp = &p->r->partitions[p->index];
    p->cur = *b;
    p->cur.data = NULL;
    p->cur.payload = NULL;
    p->cur.key = NULL;
    if (!p->cur_file || strcmp(p->cur_file, file) != 0) { /* once per segment, not per batch */
        free(p->cur_file);
        if (!(p->cur_file = strdup(file))) out_of_memory(p, "a segment's name");
    }
    p->cur_window = b->max_timestamp < 0 || (b->max_timestamp >= p->o->since && b->max_timestamp <= p->o->until);
    p->cur_count_bad = p->cur_repeat = p->cur_repeat_unseen = false;
    p->cur_dups = p->cur_records = 0;
    p->cur_max_rec_ts = -1;
    p->ctrl_type = KB_CTRL_UNKNOWN;
    p->ctrl_bad = false;
    p->ctrl_epoch = -1;
    p->ctrl_ts = b->max_timestamp;
    rm_finding *f;

    while (p->next_snap < p->nsnaps && p->snaps[p->next_snap].offset <= b->base_offset)
        snapshot_compare(p, &p->snaps[p->next_snap++]);

    rp->batches++;
    if (rp->log_start_offset < 0 || b->base_offset < rp->log_start_offset) rp->log_start_offset = b->base_offset;
    if (b->last_offset >= rp->log_end_offset) rp->log_end_offset = wadd(b->last_offset, 1);
    if (b->max_timestamp > p->max_ts) p->max_ts = b->max_timestamp;
    if (b->max_timestamp >= 0) {
        if (rp->min_timestamp < 0 || b->max_timestamp < rp->min_timestamp) rp->min_timestamp = b->max_timestamp;
        if (b->max_timestamp > rp->max_timestamp) rp->max_timestamp = b->max_timestamp;
    }

    /* Offsets only grow (Appendix A, step 8). */
    if (p->have_prev && b->base_offset <= p->prev_last &&
        (f = emit(p, RT_OFFSET_REGRESSION, 0, RM_ERROR, b->base_offset, b->max_timestamp))) {
        finding_at_batch(p, f);
        rm_field_int(f, "previous_last_offset", p->prev_last);
    }
    /* Offsets no batch holds: the cleaner removed whole batches (1.10). */
    if (p->have_prev && b->base_offset > p->prev_last) p->holes = wadd(p->holes, wsub(b->base_offset, p->prev_last) - 1);
    int64_t before_last = p->have_prev ? p->prev_last : -1;
    if (!p->have_prev || b->last_offset > p->prev_last) p->prev_last = b->last_offset;
    p->have_prev = true;

    /* Leader epochs only grow along the log (KIP-101). */
    if (b->magic == 2 && b->partition_leader_epoch >= 0) {
        if (b->partition_leader_epoch < p->max_ple &&
            (f = emit(p, RT_LEADER_EPOCH_REGRESSION, 0, RM_ERROR, b->base_offset, b->max_timestamp))) {
            finding_at_batch(p, f);
            rm_field_int(f, "leader_epoch", b->partition_leader_epoch);
            rm_field_int(f, "previous_leader_epoch", p->max_ple);
        } else if (b->partition_leader_epoch > p->max_ple &&
                   (GROW(p->epochs, p->nepochs, p->capepochs) == 0 || out_of_memory(p, "the leader epochs") == 0)) {
            p->epochs[p->nepochs].epoch = b->partition_leader_epoch;
            p->epochs[p->nepochs].start = b->base_offset;
            p->epochs[p->nepochs].prev_end = before_last;
            p->nepochs++;
            p->max_ple = b->partition_leader_epoch;
        }
    }

    /* A client batch holds exactly lastOffsetDelta+1 records; the cleaner
     * only ever removes records (1.10), never adds. */
    if (b->magic == 2 && (int64_t)b->count > (int64_t)b->last_offset_delta + 1) {
        p->cur_count_bad = true;
        if ((f = emit(p, RT_RECORD_COUNT_MISMATCH, RTV_COUNT_HEADER, RM_ERROR, b->base_offset, b->max_timestamp))) {
            finding_at_batch(p, f);
            rm_field_int(f, "count", b->count);
            rm_field_int(f, "offset_range", (int64_t)b->last_offset_delta + 1);
        }
    }

    ka_binfo bi = { b->producer_id, b->base_offset, b->max_timestamp, -1, b->base_sequence, b->crc,
                    b->producer_epoch, b->is_transactional, b->count };
    p->cur_bidx = KQ_EMPTY;
    if (!b->is_control && p->keep_binfo && p->index_state == KA_INDEX_OK) index_presize(p, b);
    if (!b->is_control && p->nbatches < KQ_EMPTY && p->index_state == KA_INDEX_OK) {
        if (!p->keep_binfo) {
            p->cur_bi = bi;
            p->cur_bidx = p->nbatches++;
        } else if (binfo_room(p, b->base_offset) == 0) {
            p->binfo[p->nbinfo++] = bi;
            p->cur_bidx = p->nbatches++;
        }
    }

    if (b->magic < 2 || b->producer_id < 0 || b->is_control) return;
    ka_prod *x = prod_get(p, b->producer_id);
    if (!x) return;
    if (!p->keep_binfo && b->is_transactional && p->cur_bidx != KQ_EMPTY) {
        if (GROW(x->tb, x->ntb, x->captb) == 0) x->tb[x->ntb++] = (ka_tbatch){ p->cur_bidx, bi };
        else out_of_memory(p, "an open transaction's batches");
    }
    /* A producer silent for longer than the expiration is forgotten (7.8). */
    if (x->known && x->txn_first < 0 && x->last_ts >= 0 && wsub(b->max_timestamp, x->last_ts) >= p->o->producer_expiration_ms)
        prod_forget(x);
    /* A producer session (id and epoch) begins here: the id's first batch
     * in this log (not known from a snapshot), or a higher epoch. */
    bool fresh = !x->known && !x->seen, newer = x->known && b->producer_epoch > x->epoch;
    producer_data(p, x);
    producer_txn(p, x);
    if (fresh || newer) {
        x->sess_first = b->base_offset;
        x->sess_records = 0;
    }
    x->sess_records += b->count;
    x->holes_at = p->holes;
    x->last_ts = b->max_timestamp;
    x->seen = true;
    if (x->first_off < 0) x->first_off = b->base_offset;
    x->last_off = b->last_offset;
    x->data_last_seq = b->last_sequence;
    x->batches++;
    x->records += b->count;
}

void ka_record(ka_partition *p, const kb_record *r)
{
    p->cur_records++;
    if (r->timestamp > p->cur_max_rec_ts) p->cur_max_rec_ts = r->timestamp;
    if (p->cur.is_control) {
        if (p->cur_records == 1) {
            ke_error e;
            ke_clear(&e);
            p->ctrl_bad = kb_control_parse(r, &p->ctrl_type, &p->ctrl_epoch, &e) < 0;
            if (p->ctrl_bad) snprintf(p->ctrl_msg, sizeof p->ctrl_msg, "%s", e.msg);
            p->ctrl_ts = r->timestamp;
        }
        return;
    }
    rm_partition *rp = &p->r->partitions[p->index];
    rp->records++;
    /* Below the log start offset a record is gone for every reader: it is
     * neither a duplicate nor the original of one. */
    if (p->cur_bidx == KQ_EMPTY || r->offset < p->log_start) return;
    uint64_t lo, hi;
    uint32_t aux;
    fingerprint(p, r, &lo, &hi, &aux);
    if (p->cur.is_transactional && p->cur.producer_id >= 0) {
        ka_prod *x = prod_find(p, p->cur.producer_id);
        if (x && GROW(x->pend, x->npend, x->cappend) < 0) out_of_memory(p, "an open transaction's records");
        else if (x) {
            ka_pending *pe = &x->pend[x->npend++];
            pe->lo = lo, pe->hi = hi, pe->offset = r->offset, pe->timestamp = r->client_timestamp;
            pe->batch = p->cur_bidx, pe->aux = aux;
            const ka_options *o = p->o;
            rm_preview_set(&pe->key, r->key, r->key_len, o->redact & KA_REDACT_KEYS, o->redact_key);
            rm_preview_set(&pe->value, r->value, r->value_len, o->redact & KA_REDACT_VALUES, o->redact_key);
        }
        return;
    }
    ka_queued *q = &p->queue[p->nqueue++];
    q->lo = lo, q->hi = hi, q->aux = aux, q->offset = r->offset, q->ts = r->client_timestamp;
    q->key = r->key, q->key_len = r->key_len, q->value = r->value, q->value_len = r->value_len;
    kq_prefetch(&p->q, lo);
    if (p->nqueue == KA_QUEUE) queue_flush(p);
}

/* A COMMIT or ABORT marker (7.6). */
static void marker(ka_partition *p)
{
    const kb_batch *b = &p->cur;
    ka_prod *x = prod_get(p, b->producer_id);
    if (!x) return;
    rm_finding *f;
    if (x->known && x->txn_first < 0 && x->last_ts >= 0 && wsub(p->ctrl_ts, x->last_ts) >= p->o->producer_expiration_ms)
        prod_forget(x);
    if (x->known && b->producer_epoch < x->epoch &&
        (f = emit(p, RT_EPOCH_REGRESSION, RTV_EPOCH_MARKER, RM_ERROR, b->base_offset, b->max_timestamp))) {
        finding_at_batch(p, f);
        rm_field_int(f, "previous_epoch", x->epoch);
        rm_field_str(f, "marker", kb_control_name(p->ctrl_type));
    }
    if (x->coord_epoch >= 0 && p->ctrl_epoch < x->coord_epoch &&
        (f = emit(p, RT_COORDINATOR_EPOCH_REGRESSION, 0, RM_ERROR, b->base_offset, b->max_timestamp))) {
        finding_at_batch(p, f);
        rm_field_int(f, "coordinator_epoch", p->ctrl_epoch);
        rm_field_int(f, "previous_coordinator_epoch", x->coord_epoch);
        rm_field_str(f, "marker", kb_control_name(p->ctrl_type));
    }
    if (x->txn_first >= 0) {
        for (size_t i = 0; i < x->npend && p->ctrl_type == KB_CTRL_COMMIT; i++)
            dedup_put(p, x->pend[i].lo, x->pend[i].hi, x->pend[i].aux, x->pend[i].offset, x->pend[i].timestamp,
                      x->pend[i].batch, x, NULL, &x->pend[i].key, &x->pend[i].value);
        if (p->ctrl_type == KB_CTRL_COMMIT) run_flush(p);
        x->npend = 0;
        x->ntb = 0;
        x->txn_first = -1;
    } else if (x->seen && (f = emit(p, RT_ORPHAN_MARKER, 0, RM_INFO, b->base_offset, b->max_timestamp))) {
        finding_at_batch(p, f);
        rm_field_str(f, "marker", kb_control_name(p->ctrl_type));
    }
    if (b->producer_epoch > x->epoch) {
        /* TV2 (7.7): a marker above the epoch of the producer's data bumps
         * it, and the next epoch's data restarts at 0. A marker is all the
         * log shows of a producer whose data lies before the log start
         * (7.8), or was cleaned away: it tells the epoch (a TV0/1 marker
         * carries its data's), not where its sequences stand. */
        bool after_data = x->known && x->has_batch;
        x->bumped_from = after_data ? x->epoch : -1;
        x->seq_unknown = !after_data;
        x->epoch = b->producer_epoch;
        x->has_batch = false;
        x->nrecent = 0;
    }
    x->known = true;
    x->seen = true;
    x->coord_epoch = p->ctrl_epoch;
    x->last_ts = p->ctrl_ts;
}

void ka_batch_end(ka_partition *p, const ke_error *iter_error)
{
    queue_flush(p);
    const kb_batch *b = &p->cur;
    rm_partition *rp = &p->r->partitions[p->index];
    rm_finding *f;
    if (b->is_control) rp->control_records += p->cur_records;
    if (iter_error && iter_error->code == KE_NOMEM) {
        /* Not a defect of the batch: its records were not read. */
        rm_partition_note(p->r, p->index, "%s: records of the batch at offset %" PRId64 " not checked (out of memory): %s",
                          iter_error->file ? iter_error->file : "?", b->base_offset, iter_error->msg);
        out_of_memory(p, "a batch's records");
        iter_error = NULL;
    }
    if (iter_error && !p->cur_count_bad) {
        bool count = iter_error->code == KE_COUNT;
        int type = count ? RT_RECORD_COUNT_MISMATCH : RT_CORRUPT_BATCH;
        int variant = count ? RTV_COUNT_RECORDS : RTV_CORRUPT_RECORDS;
        if ((f = emit(p, type, variant, RM_ERROR, b->base_offset, b->max_timestamp))) {
            finding_at_batch(p, f);
            rm_field_str(f, "code", ke_strerror(iter_error->code));
            rm_field_str(f, "detail", iter_error->msg);
        }
    }
    bool txn_marker = p->ctrl_type == KB_CTRL_COMMIT || p->ctrl_type == KB_CTRL_ABORT;
    if (b->is_control && b->producer_id >= 0 && p->cur_records > 0 && (!txn_marker || p->ctrl_bad) &&
        (f = emit(p, RT_CORRUPT_BATCH, p->ctrl_bad ? RTV_CORRUPT_CONTROL : RTV_CORRUPT_NOT_MARKER, RM_ERROR,
                  b->base_offset, b->max_timestamp))) {
        /* Only a transaction coordinator writes control batches with a
         * producer id, and only COMMIT or ABORT markers (formats doc 3); the
         * broker refuses control batches from clients (1.13). */
        finding_at_batch(p, f);
        rm_field_str(f, "code", "corrupt");
        if (p->ctrl_bad) rm_field_str(f, "detail", p->ctrl_msg);
        else rm_field_str(f, "control_type", kb_control_name(p->ctrl_type));
    }
    if (b->is_control && b->producer_id >= 0 && b->count > 0 && txn_marker && !p->ctrl_bad) marker(p);
    /* An exact sequence repeat whose records differ is not a retry. */
    if (p->cur_repeat && p->cur_repeat_unseen)
        rm_partition_note(p->r, p->index,
                          "producer %" PRId64 " epoch %d: the batch at offset %" PRId64 " repeats sequences %d..%d, "
                          "which the producer snapshot says it had written before the log start; a broker holding "
                          "that state drops such a retry, so it had lost the state when this batch was appended. The "
                          "first copy's records are not in the log: whether they were the same cannot be checked",
                          b->producer_id, b->producer_epoch, b->base_offset, b->base_sequence, b->last_sequence);
    else if (p->cur_repeat && p->cur_dups < p->cur_records &&
        (f = emit(p, RT_SEQUENCE_REGRESSION, RTV_SEQUENCE_REUSED, RM_ERROR, b->base_offset, b->max_timestamp))) {
        finding_at_batch(p, f);
        rm_field_int(f, "expected_sequence", -1);
        rm_field_int(f, "actual_sequence", b->base_sequence);
        rm_field_int(f, "batch_last_sequence", b->last_sequence);
    }
    if (b->magic == 2 && b->timestamp_type == KB_TS_CREATE && !b->has_delete_horizon && p->cur_records > 0 &&
        p->cur_max_rec_ts > b->max_timestamp &&
        (f = emit(p, RT_TIMESTAMP_ANOMALY, 0, RM_WARNING, b->base_offset, b->max_timestamp))) {
        finding_at_batch(p, f);
        rm_field_int(f, "max_record_timestamp", p->cur_max_rec_ts);
        rm_field_int(f, "max_timestamp", b->max_timestamp);
    }
}

void ka_reader_problem(ka_partition *p, const ke_error *e, int64_t entry_offset)
{
    /* A live broker changed the file under us: what we read is sound, what
     * we could not read is not a defect of the data. Said, not a finding. */
    if (e->code == KE_LIVE) {
        rm_partition_note(p->r, p->index, "%s: %s", e->file ? e->file : "?", e->msg);
        return;
    }
    /* Nor is running out of memory: the entry was not checked, say so, and
     * the partition is incomplete. */
    if (e->code == KE_NOMEM) {
        rm_partition_note(p->r, p->index, "%s: not checked (out of memory): %s", e->file ? e->file : "?", e->msg);
        out_of_memory(p, "reading a segment");
        return;
    }
    /* A zero-filled tail has no offset field of its own: it starts at the
     * log end. */
    if (e->code == KE_ZERO_FILL) entry_offset = p->have_prev ? wadd(p->prev_last, 1) : -1;
    bool tail = e->code == KE_TRUNCATED || e->code == KE_ZERO_FILL;
    int severity = e->code == KE_ZERO_FILL ? RM_INFO : tail ? RM_WARNING : RM_ERROR;
    int type = tail ? RT_TRUNCATED_BATCH : RT_CORRUPT_BATCH;
    int variant = !tail ? RTV_CORRUPT_ENTRY : e->code == KE_ZERO_FILL ? RTV_TRUNCATED_ZEROS : RTV_TRUNCATED_PARTIAL;
    rm_finding *f = emit(p, type, variant, severity, entry_offset, -1);
    if (!f) return;
    rm_field_str(f, "file", e->file ? e->file : "");
    rm_field_int(f, "position", e->pos);
    rm_field_str(f, "code", ke_strerror(e->code));
    rm_field_str(f, "detail", e->msg);
}

void ka_index_problem(ka_partition *p, const ke_error *e, int64_t offset)
{
    size_t n = e->file ? strlen(e->file) : 0;
    bool txn = n > 9 && strcmp(e->file + n - 9, ".txnindex") == 0;
    rm_finding *f = emit(p, txn ? RT_TXN_INDEX_MISMATCH : RT_INDEX_MISMATCH, 0, RM_WARNING, offset, -1);
    if (!f) return;
    rm_field_str(f, "file", e->file ? e->file : "");
    rm_field_int(f, "position", e->pos);
    rm_field_str(f, "detail", e->msg);
}

void ka_file_problem(ka_partition *p, const ke_error *e, int kind)
{
    /* What the broker does with such a file says how bad it is (docs/report.md,
     * "Files beside the segments"); report/types.c words each kind. */
    static const struct { const char *name; int severity, variant; } k[] = {
        [KA_FILE_SNAPSHOT] = { "producer_snapshot", RM_WARNING, RTV_FILE_SNAPSHOT },
        [KA_FILE_LEADER_EPOCH] = { "leader_epoch_checkpoint", RM_ERROR, RTV_FILE_LEADER_EPOCH },
        [KA_FILE_LEADER_EPOCH_ORDER] = { "leader_epoch_checkpoint", RM_WARNING, RTV_FILE_LEADER_EPOCH_ORDER },
        [KA_FILE_LOG_START] = { "log_start_offset_checkpoint", RM_ERROR, RTV_FILE_LOG_START },
        [KA_FILE_INDEX] = { "index", RM_WARNING, RTV_FILE_INDEX },
    };
    if (kind < 0 || kind > KA_FILE_INDEX) return;
    if (e->code == KE_NOMEM) { /* not the file's fault: not checked, and said */
        rm_partition_note(p->r, p->index, "%s: not checked (out of memory): %s", e->file ? e->file : "?", e->msg);
        out_of_memory(p, "reading a snapshot, checkpoint or index");
        return;
    }
    rm_finding *f = emit(p, RT_CORRUPT_FILE, k[kind].variant, k[kind].severity, -1, -1);
    if (!f) return;
    rm_field_str(f, "file", e->file ? e->file : "");
    rm_field_int(f, "position", e->pos);
    rm_field_str(f, "kind", k[kind].name);
    rm_field_str(f, "code", ke_strerror(e->code));
    rm_field_str(f, "detail", e->msg);
}

void ka_partition_end(ka_partition *p)
{
    dup_end(p);
    if (p->index_state == KA_INDEX_CHANGED)
        rm_partition_note(p->r, p->index,
                          "duplicates not checked from offset %" PRId64 ": the data changed between the two passes "
                          "of a spilled audit",
                          p->index_stop);
    else if (p->index_state != KA_INDEX_OK)
        rm_partition_note(p->r, p->index,
                          "duplicates not checked from offset %" PRId64 ": %s", p->index_stop,
                          p->index_state == KA_INDEX_FULL ? "the duplicate index reached its memory limit (--max-memory)"
                                                          : "out of memory, or the spill to disk failed");
    while (p->next_snap < p->nsnaps) snapshot_compare(p, &p->snaps[p->next_snap++]);
    for (size_t i = 0; i < p->nprods; i++) {
        ka_prod *x = &p->prods[i];
        if (x->txn_first < 0 || !x->seen) continue;
        int64_t age = p->max_ts >= 0 && x->txn_first_ts >= 0 ? p->max_ts - x->txn_first_ts : -1;
        /* The coordinator aborts a transaction older than its timeout, at
         * most transaction.max.timeout.ms: a younger one is in progress. */
        bool hanging = age < 0 || age >= p->o->txn_max_timeout_ms;
        rm_finding *f = emit(p, RT_OPEN_TRANSACTION, hanging ? RTV_TXN_HANGING : RTV_TXN_IN_PROGRESS,
                             hanging ? RM_WARNING : RM_INFO, x->txn_first, -1);
        if (!f) continue;
        set_producer(f, x->pid, x->epoch);
        rm_field_int(f, "first_offset", x->txn_first);
        rm_field_int(f, "age_ms", age);
        rm_field_int(f, "records", (int64_t)x->npend);
    }
    leader_epochs_compare(p);
    rm_partition *rp = &p->r->partitions[p->index];
    if (p->r->oom) out_of_memory(p, "the report");
    if (p->log_start > rp->log_start_offset) rp->log_start_offset = p->log_start;
    size_t n = 0;
    for (size_t i = 0; i < p->nprods; i++) n += p->prods[i].seen;
    rp->producers = n ? calloc(n, sizeof *rp->producers) : NULL;
    if (n && !rp->producers) out_of_memory(p, "the producers' summary");
    for (size_t i = 0; rp->producers && i < p->nprods; i++) {
        const ka_prod *x = &p->prods[i];
        if (!x->seen) continue;
        rm_producer *y = &rp->producers[rp->nproducers++];
        y->producer_id = x->pid;
        y->epoch = x->epoch;
        y->first_offset = x->first_off;
        y->last_offset = x->last_off;
        y->last_sequence = x->data_last_seq;
        y->batches = x->batches;
        y->records = x->records;
    }
}
