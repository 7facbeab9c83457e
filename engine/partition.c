/* partition.c - see partition.h. */
#include "partition.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/indexcheck.h"
#include "engine/indexes.h"
#include "engine/pipeline.h"
#include "engine/readahead.h"
#include "reader/checkpoint.h"
#include "reader/segment.h"
#include "reader/snapshot.h"
#include "reader/walk.h"

#define SMALL_FILE_CAP ((size_t)64 << 20)

static void on_index(void *arg, const ke_error *e, int64_t offset) { ka_index_problem(arg, e, offset); }

static bool cancelled(const kaudit_callbacks *cb) { return cb && cb->cancelled && cb->cancelled(cb->ctx); }

static void progress(const kaudit_callbacks *cb, int64_t bytes)
{
    if (cb && cb->progress && bytes > 0) cb->progress(cb->ctx, bytes);
}

/* ---- the reading side ------------------------------------------------------ */

/* Every segment in order, batch by batch, CRC checked and records opened
 * (decompressed), handed to `emit`. */
typedef struct seg_reader {
    const ep_input *in;
    kc_ctx *dc;
} seg_reader;

static int read_segment(const seg_reader *sr, const kl_file *f, ra_emit_fn emit, void *sink)
{
    const kaudit_config *c = sr->in->config;
    ra_item x;
    memset(&x, 0, sizeof x);
    x.f = f;
    x.entry_offset = -1;
    kw_walk *w = kw_open(f->path, c->max_entry, c->no_cache, c->live_wait_ms, &x.e);
    if (!w) {
        x.e.file = f->path;
        x.kind = RA_PROBLEM;
        return emit(sink, &x);
    }
    x.kind = RA_SEGMENT;
    x.size = kw_size(w);
    int rc = emit(sink, &x);
    int got;
    while (rc == 0 && (got = kw_next(w, &x.b, &x.e, &x.entry_offset)) != KW_END) {
        x.e.file = f->path; /* errors outlive the walk: the layout's path does not */
        if (got != KW_BATCH) {
            x.kind = RA_PROBLEM;
            rc = emit(sink, &x);
            continue;
        }
        x.orc = kw_records(w, &x.b, &x.it, sr->dc, &x.e);
        x.e.file = f->path;
        x.kind = RA_BATCH;
        rc = emit(sink, &x);
    }
    x.kind = RA_END;
    if (rc == 0) rc = emit(sink, &x);
    kw_close(w);
    return rc;
}

/* Is f one of the files read as a segment? (A file given alone is, whatever its name.) */
static bool reads(const ep_input *in, const kl_file *f) { return f->kind == KL_SEGMENT || (!in->part && f->kind == KL_OTHER); }

static void read_partition(void *ctx, ra_emit_fn emit, void *sink)
{
    const seg_reader *sr = ctx;
    const ep_input *in = sr->in;
    for (size_t i = 0; i < in->nfiles && !cancelled(in->cb); i++)
        if (reads(in, &in->files[i]) && read_segment(sr, &in->files[i], emit, sink) < 0) return;
}

/* ---- the auditing side ------------------------------------------------------- */

/* What was read, to the auditor and the index checker. */
typedef struct seg_auditor {
    ka_partition *ka;
    const kaudit_callbacks *cb;
    kx_txns txns;
    seg_indexes sib;
    kx_check chk;
    bool stop_when_full;
    bool stopped;               /* the index filled up and the plan says to stop, or cancelled */
    int64_t done, total;        /* segment bytes audited, and of the whole partition */
    int64_t counted;            /* bytes of the segment's batches told to the progress callback */
} seg_auditor;

/* Below this, a partition is audited in memory until its index is actually
 * full; above, it is given up as soon as the index is sure to outgrow its
 * share (ka_index_outgrows) after a whole segment: a spill will be needed
 * anyway, and what is read before it is read for nothing. */
#define OUTGROW_MIN_BYTES ((int64_t)256 << 20)

static bool audit_item(void *ctx, ra_item *x)
{
    seg_auditor *sa = ctx;
    ka_partition *ka = sa->ka;
    switch (x->kind) {
    case RA_SEGMENT:
        ka_segment(ka, x->size);
        sa->done += x->size;
        sa->counted = 0;
        seg_indexes_load(&sa->sib, x->f->path, x->f->base_offset);
        for (seg_index *s = &sa->sib.offset; s <= &sa->sib.txn; s++)
            if (s->failed) ka_file_problem(ka, &s->err, KA_FILE_INDEX);
        if (seg_indexes_begin(&sa->sib, &sa->chk, &sa->txns, on_index, ka) != 0) {
            ke_error e;
            ke_set(&e, KE_NOMEM, -1, "out of memory to check the .txnindex");
            e.file = x->f->path;
            ka_file_problem(ka, &e, KA_FILE_INDEX);
        }
        return true;
    case RA_PROBLEM:
        ka_reader_problem(ka, &x->e, x->entry_offset);
        return true;
    case RA_BATCH: {
        kb_batch *b = &x->b;
        kb_record rec;
        progress(sa->cb, b->size);
        sa->counted += b->size;
        ka_batch_begin(ka, b, x->f->path);
        int irc = x->orc;
        if (x->decoded) {
            for (size_t i = 0; i < x->nrecs; i++) ka_record_known(ka, &x->recs[i], x->ids ? &x->ids[i] : NULL);
            irc = x->irc;
        } else {
            while (x->orc == 0 && (irc = kb_iter_next(&x->it, &rec, &x->e)) == 1) ka_record(ka, &rec);
        }
        ka_batch_end(ka, irc < 0 ? &x->e : NULL);
        kx_batch(&sa->chk, b, ka_control_type(ka));
        return true;
    }
    default: /* RA_END */
        progress(sa->cb, x->size - sa->counted);
        kx_end(&sa->chk);
        seg_indexes_free(&sa->sib);
        if (sa->stop_when_full &&
            (ka_index_full(ka) || (sa->total >= OUTGROW_MIN_BYTES && sa->done < sa->total &&
                                   ka_index_outgrows(ka, (double)sa->done / (double)sa->total))))
            sa->stopped = true;
        if (cancelled(sa->cb)) sa->stopped = true;
        return !sa->stopped;
    }
}

/* Read the partition's segments with plan->workers threads (pl_run). 0, or
 * -1 when nothing was read (out of memory, no thread). */
static int read_parallel(const ep_input *in, const ep_plan *plan, seg_auditor *sa, kc_ctx *dc)
{
    const kl_file **segs = malloc((in->nfiles + 1) * sizeof *segs);
    if (!segs) return -1;
    size_t n = 0;
    for (size_t i = 0; i < in->nfiles; i++)
        if (reads(in, &in->files[i])) segs[n++] = &in->files[i];
    const kaudit_config *c = in->config;
    pl_source src = { segs, n, c->max_entry, c->no_cache, c->live_wait_ms, in->rules, !(in->light || in->full_copy),
                      plan->decompress, in->cb };
    /* No more workers than parts to read, nor than PL_WORKERS_MAX. */
    int64_t part = plan->part_bytes > 0 ? plan->part_bytes : PL_PART_BYTES, parts = in->bytes / part + 1;
    int workers = plan->workers < parts ? plan->workers : (int)parts;
    if (workers > PL_WORKERS_MAX) workers = PL_WORKERS_MAX;
    int rc = pl_run(&src, workers, plan->ring, plan->part_bytes, dc, audit_item, sa);
    free(segs);
    return rc;
}

/* ---- the partition's other files ---------------------------------------------- */

/* Read one of the partition's small files (a KA_FILE_* kind). 0 with *buf
 * (free it); or -1 after saying why: a note when a live broker removed the
 * file since the directory was listed, else a corrupt_file finding. */
static int read_small(ka_partition *ka, const char *path, int kind, uint8_t **buf, size_t *len)
{
    ke_error e;
    if (ks_read_file(path, SMALL_FILE_CAP, buf, len, &e) == 0) return 0;
    if (access(path, F_OK) != 0 && errno == ENOENT)
        ke_set(&e, KE_LIVE, -1, "the file disappeared before it could be read (deleted or renamed by the broker)");
    e.file = path;
    if (e.code == KE_LIVE) ka_reader_problem(ka, &e, -1);
    else ka_file_problem(ka, &e, kind);
    return -1;
}

/* A file that was read but is not what its name says. */
static void not_parsed(ka_partition *ka, const char *path, ke_error *e, int kind)
{
    e->file = path;
    ka_file_problem(ka, e, kind);
}

/* Snapshots: the newest at or below the first segment's base offset seeds
 * the replay; every later one is checked against it (formats doc 7.9). */
static void audit_snapshots(ka_partition *ka, const kl_partition *p, int64_t first_base)
{
    const kl_file *seed = NULL;
    for (size_t i = 0; i < p->nfiles; i++) {
        const kl_file *f = &p->files[i];
        if (f->kind == KL_PRODUCER_SNAPSHOT && f->base_offset <= first_base) seed = f;
    }
    for (size_t i = 0; i < p->nfiles; i++) {
        const kl_file *f = &p->files[i];
        if (f->kind != KL_PRODUCER_SNAPSHOT || (f != seed && f->base_offset <= first_base)) continue;
        uint8_t *buf;
        size_t len;
        ke_error e;
        if (read_small(ka, f->path, KA_FILE_SNAPSHOT, &buf, &len) < 0) continue;
        kp_snapshot s;
        if (kp_open(&s, buf, len, &e) == 0) {
            if (f == seed) ka_seed_snapshot(ka, f->base_offset, &s);
            else ka_check_snapshot(ka, f->base_offset, f->path, &s);
        } else {
            not_parsed(ka, f->path, &e, KA_FILE_SNAPSHOT);
        }
        free(buf);
    }
}

/* A negative epoch or start offset: LeaderEpochFileCache throws on it when
 * the broker loads the partition. Entries merely out of order it drops. */
static bool negative_entry(const kk_checkpoint *c)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->entries[i].epoch < 0 || c->entries[i].offset < 0) return true;
    return false;
}

static void audit_leader_epochs(ka_partition *ka, const kl_partition *p)
{
    for (size_t i = 0; i < p->nfiles; i++) {
        if (p->files[i].kind != KL_LEADER_EPOCH) continue;
        uint8_t *buf;
        size_t len;
        ke_error e;
        if (read_small(ka, p->files[i].path, KA_FILE_LEADER_EPOCH, &buf, &len) < 0) return;
        kk_checkpoint *c = NULL;
        size_t next = 0;
        if (kk_checkpoint_parse(&c, KK_LEADER_EPOCH, buf, len, &e) < 0)
            not_parsed(ka, p->files[i].path, &e, KA_FILE_LEADER_EPOCH);
        else if (kk_leader_epoch_check(c, &next, &e) < 0)
            not_parsed(ka, p->files[i].path, &e, negative_entry(c) ? KA_FILE_LEADER_EPOCH : KA_FILE_LEADER_EPOCH_ORDER);
        else if (c->version >= 0) /* an empty file is an empty checkpoint, as Kafka reads it */
            ka_leader_epochs(ka, p->files[i].path, c);
        kk_checkpoint_free(c);
        free(buf);
    }
}

void ep_logdir_meta(rm_report *rep, const kl_logdir *ld)
{
    rm_add_meta(rep, "Log directory", ld->path);
    for (size_t i = 0; i < ld->nfiles; i++) {
        if (ld->files[i].kind != KL_META_PROPERTIES) continue;
        uint8_t *buf;
        size_t len;
        ke_error e;
        kk_meta_properties m;
        if (ks_read_file(ld->files[i].path, SMALL_FILE_CAP, &buf, &len, &e) == 0 &&
            kk_meta_properties_parse(&m, buf, len, &e) == 0) {
            char v[32];
            if (m.has_cluster_id) rm_add_meta(rep, "Cluster id (cluster.id)", m.cluster_id);
            if (m.has_broker_id) snprintf(v, sizeof v, "%d", m.broker_id), rm_add_meta(rep, "Broker id (broker.id)", v);
            if (m.has_node_id) snprintf(v, sizeof v, "%d", m.node_id), rm_add_meta(rep, "Node id (node.id)", v);
        } else {
            /* Not used by any check, but a broker does not start without it:
             * said beside the facts it would have given. */
            char v[sizeof e.msg + 48];
            snprintf(v, sizeof v, "not readable (%s at byte %lld): %s", ke_strerror(e.code), (long long)e.pos, e.msg);
            rm_add_meta(rep, "meta.properties", v);
        }
        free(buf);
    }
}

/* The partition's entry in its log directory's log-start-offset-checkpoint
 * (the folder it sits in when it was given alone): its offset, or -1. */
static int64_t audit_log_start(ka_partition *ka, const kl_set *set, const kl_partition *p)
{
    int64_t start = -1;
    if (p->home < 0) return start;
    const kl_logdir *ld = &set->logdirs[p->home];
    for (size_t i = 0; i < ld->nfiles; i++) {
        const char *name = strrchr(ld->files[i].path, '/');
        if (!name || strcmp(name + 1, "log-start-offset-checkpoint") != 0) continue;
        uint8_t *buf;
        size_t len;
        ke_error e;
        if (read_small(ka, ld->files[i].path, KA_FILE_LOG_START, &buf, &len) < 0) return start;
        kk_checkpoint *c = NULL;
        if (kk_checkpoint_parse(&c, KK_OFFSETS, buf, len, &e) == 0) {
            for (size_t j = 0; j < c->n; j++)
                if (strcmp(c->entries[j].topic, p->topic) == 0 && c->entries[j].partition == p->partition)
                    ka_log_start(ka, start = c->entries[j].offset);
        } else {
            not_parsed(ka, ld->files[i].path, &e, KA_FILE_LOG_START);
        }
        kk_checkpoint_free(c);
        free(buf);
    }
    return start;
}

int64_t ep_segment_bytes(const kl_file *files, size_t n)
{
    struct stat st;
    int64_t total = 0;
    for (size_t i = 0; i < n; i++)
        if (files[i].kind == KL_SEGMENT && stat(files[i].path, &st) == 0) total += st.st_size;
    return total;
}

/* ---- one pass over one partition ------------------------------------------------ */

int ep_audit(const ep_input *in, const ep_plan *plan, kc_ctx *dc, rm_report *rep, char *why, size_t cap)
{
    why[0] = '\0';
    size_t idx = rm_add_partition(rep, in->topic, in->partition, in->path);
    if (idx == (size_t)-1) return -1;
    ka_partition *ka = ka_partition_create(in->rules, rep, idx, in->topic);
    if (!ka) return -1;
    ka_held_limit(ka, plan->held);
    ka_identity_sink(ka, in->id_sink);
    if (plan->mode == KQ_MEMORY) ka_index_limit(ka, plan->limit);
    else if (ka_index_spill(ka, plan->mode, plan->spill) < 0)
        rm_partition_note(rep, idx, "the spilled duplicate index could not be read back");
    if (plan->mode != KQ_MEMORY) ka_state_limit(ka, plan->state);
    if (plan->spill_failed)
        rm_partition_note(rep, idx, "the duplicate index could not spill to disk: %s", plan->spill_failed);
    if (in->light) {
        ka_light(ka); /* kaudit compare says what it audits: no note on every partition */
    } else if (in->full_copy) {
        ka_light(ka);
        rm_partition_note(rep, idx,
                          "audited for the integrity of its bytes only: its producers, duplicates, transactions and "
                          "consumer groups are those of the copy audited in full, %s (engine/replicas.h)",
                          in->full_copy);
    }
    int64_t first_base = -1;
    for (size_t i = 0; i < in->nfiles && first_base < 0; i++)
        if (in->files[i].kind == KL_SEGMENT) first_base = in->files[i].base_offset;
    int64_t ckpt = -1;
    if (in->part) {
        audit_snapshots(ka, in->part, first_base < 0 ? INT64_MAX : first_base);
        audit_leader_epochs(ka, in->part);
        ckpt = audit_log_start(ka, in->set, in->part);
    }
    /* Where the broker would start this log (Log.loadSegments: the first
     * segment's base offset, raised to the checkpoint's). */
    rep->partitions[idx].kafka_log_start = first_base < 0 ? -1 : ckpt > first_base ? ckpt : first_base;
    ka_expect_bytes(ka, in->bytes);
    seg_reader sr = { in, dc };
    seg_auditor sa;
    memset(&sa, 0, sizeof sa);
    sa.ka = ka;
    sa.cb = in->cb;
    sa.stop_when_full = plan->stop_when_full;
    sa.total = in->bytes;
    kx_txns_init(&sa.txns);
    /* With cores to spare, the segments are read, decompressed, decoded
     * and fingerprinted on threads of their own while this one audits. */
    if (plan->workers <= 0 || read_parallel(in, plan, &sa, dc) < 0) ra_direct(read_partition, &sr, audit_item, &sa);
    kx_txns_free(&sa.txns);
    int rc = sa.stopped || cancelled(in->cb) ? 1 : 0;
    if (rc == 0) {
        ka_partition_end(ka);
        if (getenv("KAUDIT_INDEX_STATS")) { /* a measuring aid for bench/run.sh, not an interface */
            size_t n, peak;
            ka_index_stats(ka, &n, &peak);
            fprintf(stderr, "kaudit: index %s: %zu distinct records, peak %zu bytes\n", in->path, n, peak);
        }
        char buf[256];
        const char *w = ka_incomplete(ka, buf, sizeof buf);
        if (w) snprintf(why, cap, "%s", w);
        if (w && ka_over_budget_only(ka)) rc = 2;
    }
    ka_partition_free(ka);
    return rc;
}
