/*
 * audit.c - `kaudit audit`: replay partitions, report where guarantees broke.
 *
 * The driver: it finds the partitions (reader/layout), reads their files
 * (reader/), feeds each partition's batches in order to the auditor
 * (audit/audit, audit/indexcheck) and renders the report (report/).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <inttypes.h>
#include <regex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/incident.h"
#include "audit/indexcheck.h"
#include "cli.h"
#include "progress.h"
#include "readahead.h"
#include "spill.h"
#include "reader/checkpoint.h"
#include "reader/index.h"
#include "reader/layout.h"
#include "reader/segment.h"
#include "reader/snapshot.h"
#include "report/render.h"

#define SMALL_FILE_CAP ((size_t)64 << 20)

enum { OUT_TEXT, OUT_JSON, OUT_HTML, OUT_MARKDOWN };

typedef struct audit_opts {
    ka_options ka;
    int format;             /* OUT_* */
    int color;              /* -1 auto (a terminal, and no NO_COLOR), 0 never, 1 always */
    const char *out_path;
    int64_t max_examples;
    int fail_on;            /* RM_* severity, or -1 for never */
    bool have_topics, have_exclude, have_dup_topics;
    regex_t topics, exclude, dup_topics;
    size_t max_entry;
    bool no_cache;
    long jobs;              /* worker threads; 0 = one per online CPU */
    const char *redact_key_file;
    int64_t max_memory;     /* for every job's duplicate index together (--max-memory) */
    const char *tmpdir;     /* where spills go (--tmpdir), or NULL for $TMPDIR or /tmp */
    bool quiet;             /* no progress, no notices on stderr */
} audit_opts;

/* How a pass keeps its duplicate index (audit/dupindex.h). */
typedef struct index_plan {
    int mode;               /* KQ_MEMORY, KQ_RECORD or KQ_REPLAY */
    size_t limit;           /* KQ_MEMORY: the most it may take (0: no limit) */
    bool stop_when_full;    /* KQ_MEMORY: give up at the limit (a spill follows) */
    const kq_spill *spill;  /* KQ_RECORD, KQ_REPLAY */
    const char *spill_failed; /* why a spill was not possible, noted in the report */
    bool readahead;         /* read on a thread of its own (cli/readahead.h) */
    size_t held;            /* for the duplicate runs held to the partition's end (ka_held_limit), every pass alike */
} index_plan;

/* ---- reading a partition ------------------------------------------------ */

static void on_index(void *arg, const ke_error *e, int64_t offset) { ka_index_problem(arg, e, offset); }

/* The reading side of a partition: every segment in order, batch by batch,
 * CRC checked and records opened (decompressed), handed to `emit`. */
typedef struct seg_reader {
    const audit_opts *o;
    kc_ctx *dc;
    const kl_file *files;
    size_t nfiles;
    bool loose;                 /* a file given alone: any file is read as a segment */
} seg_reader;

static int read_segment(const seg_reader *sr, const kl_file *f, ra_emit_fn emit, void *sink)
{
    const audit_opts *o = sr->o;
    ra_item x;
    memset(&x, 0, sizeof x);
    x.f = f;
    x.entry_offset = -1;
    ks_reader *r = open_segment(f->path, o->max_entry, o->no_cache, &x.e);
    if (!r) {
        x.e.file = f->path;
        x.kind = RA_PROBLEM;
        return emit(sink, &x);
    }
    x.kind = RA_SEGMENT;
    x.size = ks_size(r);
    int rc = emit(sink, &x);
    int64_t counted = 0;
    while (rc == 0 && (rc = ks_next(r, &x.b, &x.e)) != 0) {
        x.e.file = f->path; /* errors outlive the reader: the layout's path does not */
        if (rc < 0) {
            x.kind = RA_PROBLEM;
            x.entry_offset = ks_error_offset(r);
            rc = emit(sink, &x);
            continue;
        }
        const kb_batch *b = &x.b;
        if (!b->crc_valid) {
            ke_set(&x.e, KE_CRC, b->pos, "checksum mismatch (%s stored 0x%08x, computed 0x%08x) in the batch at offset %" PRId64,
                   b->magic == 2 ? "CRC-32C" : "CRC-32", b->crc, b->crc_computed, b->base_offset);
            x.e.file = f->path;
            x.kind = RA_PROBLEM;
            x.entry_offset = b->base_offset;
            rc = emit(sink, &x);
            continue;
        }
        pg_add(b->size);
        counted += b->size;
        ke_clear(&x.e);
        x.e.file = f->path;
        x.orc = kb_iter_open(&x.it, &x.b, sr->dc, &x.e);
        x.kind = RA_BATCH;
        rc = emit(sink, &x);
    }
    if (ks_size(r) > counted) pg_add(ks_size(r) - counted);
    x.kind = RA_END;
    if (rc == 0) rc = emit(sink, &x);
    ks_close(r);
    return rc;
}

static void read_partition(void *ctx, ra_emit_fn emit, void *sink)
{
    const seg_reader *sr = ctx;
    for (size_t i = 0; i < sr->nfiles; i++) {
        const kl_file *f = &sr->files[i];
        if ((f->kind == KL_SEGMENT || (sr->loose && f->kind == KL_OTHER)) && read_segment(sr, f, emit, sink) < 0) return;
    }
}

/* The auditing side: what was read, to the auditor and the index checker. */
typedef struct seg_auditor {
    ka_partition *ka;
    kx_txns txns;
    seg_indexes sib;
    kx_check chk;
    bool stop_when_full;
    bool stopped;               /* the index filled up and the plan says to stop */
    int64_t done, total;        /* segment bytes audited, and of the whole partition */
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
        seg_indexes_load(&sa->sib, x->f->path, x->f->base_offset, NULL, NULL);
        seg_indexes_begin(&sa->sib, &sa->chk, &sa->txns, on_index, ka);
        return true;
    case RA_PROBLEM:
        ka_reader_problem(ka, &x->e, x->entry_offset);
        return true;
    case RA_BATCH: {
        kb_batch *b = &x->b;
        kb_record rec;
        ka_batch_begin(ka, b, x->f->path);
        int irc = x->orc;
        while (x->orc == 0 && (irc = kb_iter_next(&x->it, &rec, &x->e)) == 1) ka_record(ka, &rec);
        ka_batch_end(ka, irc < 0 ? &x->e : NULL);
        kx_batch(&sa->chk, b, ka_control_type(ka));
        return true;
    }
    default: /* RA_END */
        kx_end(&sa->chk);
        seg_indexes_free(&sa->sib);
        if (sa->stop_when_full &&
            (ka_index_full(ka) || (sa->total >= OUTGROW_MIN_BYTES && sa->done < sa->total &&
                                   ka_index_outgrows(ka, (double)sa->done / (double)sa->total))))
            sa->stopped = true;
        return !sa->stopped;
    }
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
        if (ks_read_file(f->path, SMALL_FILE_CAP, &buf, &len, &e) < 0) continue;
        kp_snapshot s;
        if (kp_open(&s, buf, len, &e) == 0) {
            if (f == seed) ka_seed_snapshot(ka, f->base_offset, &s);
            else ka_check_snapshot(ka, f->base_offset, f->path, &s);
        }
        free(buf);
    }
}

static void audit_leader_epochs(ka_partition *ka, const kl_partition *p)
{
    for (size_t i = 0; i < p->nfiles; i++) {
        if (p->files[i].kind != KL_LEADER_EPOCH) continue;
        uint8_t *buf;
        size_t len;
        ke_error e;
        if (ks_read_file(p->files[i].path, SMALL_FILE_CAP, &buf, &len, &e) < 0) return;
        kk_checkpoint *c = NULL;
        if (kk_checkpoint_parse(&c, KK_LEADER_EPOCH, buf, len, &e) == 0 && c->version >= 0)
            ka_leader_epochs(ka, p->files[i].path, c);
        kk_checkpoint_free(c);
        free(buf);
    }
}

/* Broker and cluster ids from a log directory's meta.properties. */
static void audit_logdir_meta(rm_report *rep, const kl_logdir *ld)
{
    rm_add_meta(rep, "Log directory", ld->path);
    for (size_t i = 0; i < ld->nfiles; i++) {
        if (ld->files[i].kind != KL_META_PROPERTIES) continue;
        uint8_t *buf;
        size_t len;
        ke_error e;
        kk_meta_properties m;
        if (ks_read_file(ld->files[i].path, SMALL_FILE_CAP, &buf, &len, &e) < 0) continue;
        if (kk_meta_properties_parse(&m, buf, len, &e) == 0) {
            char v[32];
            if (m.has_cluster_id) rm_add_meta(rep, "Cluster id (cluster.id)", m.cluster_id);
            if (m.has_broker_id) snprintf(v, sizeof v, "%d", m.broker_id), rm_add_meta(rep, "Broker id (broker.id)", v);
            if (m.has_node_id) snprintf(v, sizeof v, "%d", m.node_id), rm_add_meta(rep, "Node id (node.id)", v);
        }
        free(buf);
    }
}

/* The partition's entry in its log directory's log-start-offset-checkpoint
 * (the folder it sits in when it was given alone). */
static void audit_log_start(ka_partition *ka, const kl_set *set, const kl_partition *p)
{
    if (p->home < 0) return;
    const kl_logdir *ld = &set->logdirs[p->home];
    for (size_t i = 0; i < ld->nfiles; i++) {
        const char *name = strrchr(ld->files[i].path, '/');
        if (!name || strcmp(name + 1, "log-start-offset-checkpoint") != 0) continue;
        uint8_t *buf;
        size_t len;
        ke_error e;
        if (ks_read_file(ld->files[i].path, SMALL_FILE_CAP, &buf, &len, &e) < 0) return;
        kk_checkpoint *c = NULL;
        if (kk_checkpoint_parse(&c, KK_OFFSETS, buf, len, &e) == 0)
            for (size_t j = 0; j < c->n; j++)
                if (strcmp(c->entries[j].topic, p->topic) == 0 && c->entries[j].partition == p->partition)
                    ka_log_start(ka, c->entries[j].offset);
        kk_checkpoint_free(c);
        free(buf);
    }
}

static bool topic_selected(const audit_opts *o, const char *topic)
{
    if (o->have_topics && regexec(&o->topics, topic, 0, NULL, 0) != 0) return false;
    if (o->have_exclude && regexec(&o->exclude, topic, 0, NULL, 0) == 0) return false;
    return true;
}

/* Audit one partition into `rep` with its duplicate index kept as `plan`
 * says. 0, 1 when the plan said to stop at the memory limit and it was
 * reached (the report is then incomplete), -1 when out of memory. */
static int audit_partition(const audit_opts *o, rm_report *rep, kc_ctx *dc, const kl_set *set, const char *topic,
                           int32_t partition, const char *path, const kl_file *files, size_t nfiles,
                           const kl_partition *p, int64_t bytes, const index_plan *plan)
{
    size_t idx = rm_add_partition(rep, topic, partition, path);
    if (idx == (size_t)-1) return -1;
    ka_partition *ka = ka_partition_create(&o->ka, rep, idx, topic);
    if (!ka) return -1;
    ka_held_limit(ka, plan->held);
    if (plan->mode == KQ_MEMORY) ka_index_limit(ka, plan->limit);
    else if (ka_index_spill(ka, plan->mode, plan->spill) < 0)
        rm_partition_note(rep, idx, "the spilled duplicate index could not be read back");
    if (plan->spill_failed)
        rm_partition_note(rep, idx, "the duplicate index could not spill to disk: %s", plan->spill_failed);
    int64_t first_base = -1;
    for (size_t i = 0; i < nfiles && first_base < 0; i++)
        if (files[i].kind == KL_SEGMENT) first_base = files[i].base_offset;
    if (p) {
        audit_snapshots(ka, p, first_base < 0 ? INT64_MAX : first_base);
        audit_leader_epochs(ka, p);
        audit_log_start(ka, set, p);
    }
    ka_expect_bytes(ka, bytes);
    seg_reader sr = { o, dc, files, nfiles, !p };
    seg_auditor sa;
    memset(&sa, 0, sizeof sa);
    sa.ka = ka;
    sa.stop_when_full = plan->stop_when_full;
    sa.total = bytes;
    kx_txns_init(&sa.txns);
    /* With a core to spare, the segments are read and decompressed on a
     * thread of their own while this one audits. */
    if (!plan->readahead || ra_threaded(read_partition, &sr, audit_item, &sa) < 0)
        ra_direct(read_partition, &sr, audit_item, &sa);
    kx_txns_free(&sa.txns);
    int rc = sa.stopped ? 1 : 0;
    if (rc == 0) ka_partition_end(ka);
    ka_partition_free(ka);
    return rc;
}


/* ---- running partitions in parallel --------------------------------------- */

/* One unit of work: a partition directory, or a segment given alone. */
typedef struct audit_job {
    const kl_partition *part;   /* NULL for a loose segment */
    const kl_file *file;        /* the loose segment */
    int64_t bytes;              /* its segments' size: the cost estimate */
    rm_report *out;             /* this job's own report, merged in order later */
    int failed;
    char incomplete[320];       /* why its duplicates were not checked to the end, or "" */
} audit_job;

typedef struct audit_pool {
    const audit_opts *o;
    const kl_set *set;
    audit_job *jobs;
    size_t njobs;
    size_t *order;              /* job indexes, largest first: the longest start first */
    size_t next;                /* next position in `order` to take, under `lock` */
    long spare;                 /* threads asked for beyond the jobs: for reading ahead, under `lock` */
    size_t budget;              /* each job's share of --max-memory */
    size_t incomplete;          /* jobs whose duplicates could not be checked to the end */
    pthread_mutex_t lock;
} audit_pool;

/* The memory a job's held duplicate runs may take: an eighth of its share
 * of --max-memory (on top of the index's; audit.h, ka_held_limit). */
#define HELD_SHARE(pool) ((pool)->budget / 8)

/* A segment given alone: the partition of its folder, or its own path as
 * the topic (partition -1) when the folder is not a partition directory. */
static void loose_partition(const char *path, char *topic, size_t cap, int32_t *part)
{
    if (file_partition(path, topic, cap, part)) return;
    snprintf(topic, cap, "%s", path);
    *part = -1;
}

/* One pass over job `j` into a new report *out. */
static int job_pass(audit_pool *pool, audit_job *j, kc_ctx *dc, const index_plan *plan, rm_report **out)
{
    const audit_opts *o = pool->o;
    rm_free(*out);
    if (!(*out = rm_create(o->max_examples))) return -1;
    if (j->part) {
        const kl_partition *p = j->part;
        return audit_partition(o, *out, dc, pool->set, p->topic, p->partition, p->path, p->files, p->nfiles, p,
                               j->bytes, plan);
    }
    char topic[512];
    int32_t part;
    loose_partition(j->file->path, topic, sizeof topic, &part);
    return audit_partition(o, *out, dc, pool->set, topic, part, j->file->path, j->file, 1, NULL, j->bytes, plan);
}

/* The job's duplicate index outgrew its share of --max-memory: audit it
 * again in two passes, the first recording every lookup to a spill, the
 * second replaying the answers resolved from it (cli/spill.h). The report
 * is the one an unlimited index would give. When the spill fails, the
 * partition is audited in memory up to the limit, and the report says so. */
static int job_spilled(audit_pool *pool, audit_job *j, kc_ctx *dc, bool ra)
{
    const audit_opts *o = pool->o;
    const char *name = j->part ? j->part->path : j->file->path;
    bool mib = pool->budget >= ((size_t)1 << 20);
    pg_say(o->quiet, "kaudit: %s: the duplicate index needs more than its %zu %s share of --max-memory; "
                     "auditing it in two passes with a spill in %s",
           name, pool->budget >> (mib ? 20 : 10), mib ? "MiB" : "KiB", sp_base());
    pg_add_total(2 * j->bytes);
    sp_spill *sp = sp_create(pool->budget);
    if (!sp) return -1;
    index_plan record = { .mode = KQ_RECORD, .spill = sp_ops(sp), .readahead = ra, .held = HELD_SHARE(pool) };
    rm_report *scratch = NULL;
    int rc = job_pass(pool, j, dc, &record, &scratch);
    rm_free(scratch);
    if (rc == 0 && sp_error(sp)[0] == '\0' && sp_resolve(sp) == 0) {
        index_plan replay = { .mode = KQ_REPLAY, .spill = sp_ops(sp), .readahead = ra, .held = HELD_SHARE(pool) };
        rc = job_pass(pool, j, dc, &replay, &j->out);
        if (rc == 0 && sp_error(sp)[0] == '\0') {
            sp_free(sp);
            return 0;
        }
    }
    /* The spill failed: in memory up to the limit, said in the report. */
    char why[256];
    snprintf(why, sizeof why, "%s", sp_error(sp)[0] ? sp_error(sp) : "out of memory");
    sp_free(sp);
    pg_say(o->quiet, "kaudit: %s: %s; duplicates are checked only up to the memory limit", name, why);
    snprintf(j->incomplete, sizeof j->incomplete, "%s", why);
    index_plan mem = { .mode = KQ_MEMORY, .limit = pool->budget, .spill_failed = why, .readahead = ra,
                       .held = HELD_SHARE(pool) };
    return job_pass(pool, j, dc, &mem, &j->out);
}

/* A thread more than there are jobs left to start: this job may read ahead
 * on it. Taken under the pool's lock, given back with give_spare. */
static bool take_spare(audit_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    bool got = pool->spare > 0;
    pool->spare -= got;
    pthread_mutex_unlock(&pool->lock);
    return got;
}

static void give_spare(audit_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    pool->spare++;
    pthread_mutex_unlock(&pool->lock);
}

static void run_job(audit_pool *pool, audit_job *j, kc_ctx *dc)
{
    bool ra = take_spare(pool);
    index_plan mem = { .mode = KQ_MEMORY, .limit = pool->budget, .stop_when_full = true, .readahead = ra,
                       .held = HELD_SHARE(pool) };
    int rc = job_pass(pool, j, dc, &mem, &j->out);
    if (rc == 1) rc = job_spilled(pool, j, dc, ra);
    if (ra) give_spare(pool);
    j->failed = rc < 0;
}

static void *worker(void *arg)
{
    audit_pool *pool = arg;
    kc_ctx *dc = kc_create(pool->o->max_entry);
    for (;;) {
        pthread_mutex_lock(&pool->lock);
        size_t i = pool->next < pool->njobs ? pool->next++ : pool->njobs;
        pthread_mutex_unlock(&pool->lock);
        if (i == pool->njobs) break;
        audit_job *j = &pool->jobs[pool->order ? pool->order[i] : i];
        if (dc) run_job(pool, j, dc);
        else j->failed = 1;
    }
    kc_free(dc);
    return NULL;
}

static int cmp_cost(const void *a, const void *b, void *jobs)
{
    const audit_job *j = jobs;
    int64_t x = j[*(const size_t *)a].bytes, y = j[*(const size_t *)b].bytes;
    if (x != y) return x > y ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int64_t job_bytes(const audit_job *j)
{
    struct stat st;
    if (j->file) return stat(j->file->path, &st) == 0 ? st.st_size : 0; /* read whatever its kind */
    return segment_bytes(j->part->files, j->part->nfiles);
}

/* Audit every job on `threads` threads, the biggest first, then merge the
 * reports in job order. */
static int run_jobs(audit_pool *pool, rm_report *rep, long threads)
{
    int64_t total = 0;
    for (size_t i = 0; i < pool->njobs; i++) total += pool->jobs[i].bytes = job_bytes(&pool->jobs[i]);
    pool->order = malloc(pool->njobs * sizeof *pool->order + 1);
    if (pool->order) {
        for (size_t i = 0; i < pool->njobs; i++) pool->order[i] = i;
        qsort_r(pool->order, pool->njobs, sizeof *pool->order, cmp_cost, pool->jobs);
    }
    /* Threads beyond the jobs read ahead for the biggest jobs instead
     * (cli/readahead.h): one partition alone still uses two cores. */
    if (threads > (long)pool->njobs) {
        pool->spare = threads - (long)pool->njobs;
        threads = (long)pool->njobs;
    }
    /* Each job's duplicate index gets an equal share of --max-memory, so
     * the cap holds whichever jobs run together (and the report does not
     * depend on the order: a spilled partition reports the same). */
    pool->budget = (size_t)(pool->o->max_memory / (threads > 0 ? threads : 1));
    pg_start(total, !pool->o->quiet && isatty(STDERR_FILENO));
    pthread_t tid[1024];
    long started = 0;
    pthread_mutex_init(&pool->lock, NULL);
    for (long t = 1; t < threads; t++)
        if (pthread_create(&tid[started], NULL, worker, pool) == 0) started++;
    worker(pool); /* the main thread works too */
    for (long t = 0; t < started; t++) pthread_join(tid[t], NULL);
    pg_stop();
    pthread_mutex_destroy(&pool->lock);
    int rc = 0;
    for (size_t i = 0; i < pool->njobs; i++) {
        audit_job *j = &pool->jobs[i];
        if (j->failed || !j->out || rm_merge(rep, j->out) < 0) rc = -1;
        rm_free(j->out);
        /* An audit that could not check everything is not a clean one. */
        if (j->incomplete[0]) {
            rm_add_problem(rep, "%s: duplicates not checked to the end: the index outgrew --max-memory and could not spill (%s)",
                           j->part ? j->part->path : j->file->path, j->incomplete);
            pool->incomplete++;
        }
    }
    free(pool->order);
    return rc;
}

/* ---- options ------------------------------------------------------------ */

static const char audit_usage[] =
    "Usage: kaudit audit [OPTIONS] PATH...\n"
    "\n"
    "Replay each partition the way a broker replica would and report every place\n"
    "where a delivery guarantee did not hold: duplicates (and why each got\n"
    "through), sequence gaps and regressions, producer and leader epoch anomalies,\n"
    "hanging and inconsistent transactions, index and snapshot disagreements,\n"
    "corruption. PATH is a log directory, a partition directory, a folder above\n"
    "log directories, or segment files.\n"
    "\n"
    "Output:\n"
    "  --format FORMAT         text: a short summary (default); json: the report for\n"
    "                          machines (docs/report.md, docs/report.schema.json);\n"
    "                          html: one self-contained page for people and tickets;\n"
    "                          markdown: counts and top findings to paste in a ticket\n"
    "  -o, --output FILE       write the report to FILE instead of stdout\n"
    "  --color auto|always|never\n"
    "                          colours in text output (auto: on a terminal, unless\n"
    "                          NO_COLOR is set)\n"
    "  --max-examples N        findings listed per type and severity (default 100;\n"
    "                          every finding is counted either way; -1 lists all)\n"
    "  --fail-on LEVEL         exit 1 when a finding at or above LEVEL exists:\n"
    "                          error, warning (default), info or none\n"
    "Scope:\n"
    "  --topics REGEX          only topics matching REGEX (POSIX extended, unanchored)\n"
    "  --exclude-topics REGEX  skip topics matching REGEX\n"
    "  --offsets A:B           report findings at offsets A to B only (A: or :B)\n"
    "  --since TIME, --until TIME\n"
    "                          report findings of batches written in this window\n"
    "                          (ISO 8601 UTC like 2024-05-01T12:00:00Z, or epoch ms)\n"
    "Rules:\n"
    "  --producer-expiration D producer.id.expiration.ms of the cluster (default 1d;\n"
    "                          7d for brokers before 3.4): a producer silent longer\n"
    "                          than this may restart its sequence (e.g. 36h, 90m, 604800000)\n"
    "  --txn-max-timeout D     transaction.max.timeout.ms of the cluster (default 15m):\n"
    "                          an open transaction begun longer than this before the\n"
    "                          partition's newest batch is hanging, a younger one in\n"
    "                          progress (info)\n"
    "  --dup-window D          copies further apart than D are repeated content, not\n"
    "                          delivery duplicates (default 10m: Kafka's slowest own\n"
    "                          resend path, see docs/report.md)\n"
    "  --dup-topics REGEX      audit matching topics as ordinary ones: by default every\n"
    "                          repeat in internal (__*), _schemas, _confluent*, Connect\n"
    "                          and Streams changelog/repartition topics is repeated content\n"
    "  --dup-include-headers   records with equal key and value but different\n"
    "                          headers are not duplicates\n"
    "Sharing:\n"
    "  --redact keys,values    replace key and/or value previews by their size and a\n"
    "                          keyed token (equal content, equal token), for reports\n"
    "                          shared beyond the data's owners\n"
    "  --redact-key-file FILE  key the tokens with FILE's contents (tokens then match\n"
    "                          across reports); default: a random key per report\n"
    "Resources:\n"
    "  --jobs N                threads (default: one per CPU): partitions in parallel,\n"
    "                          and spare ones read ahead for the largest partitions;\n"
    "                          the report is the same for any N\n"
    "  --max-entry-bytes N     largest entry read into memory (default 256 MiB)\n"
    "  --no-cache              drop what we read from the page cache afterwards, so\n"
    "                          a live broker keeps the pages it serves consumers\n"
    "  --max-memory SIZE       the most the duplicate indexes may take together\n"
    "                          (default 1G; K, M, G suffixes); past it a partition is\n"
    "                          audited in two passes with a spill to disk, same report\n"
    "  --tmpdir DIR            where spills go (default $TMPDIR, else /tmp): a private\n"
    "                          directory, removed at exit; never inside an audited one\n"
    "  -q, --quiet             no progress line and no notices on stderr (progress is\n"
    "                          shown only when stderr is a terminal)\n"
    "\n"
    "Exit codes: 0 no finding at or above --fail-on, 1 such findings, 2 could not\n"
    "run (usage error, or an input that could not be read at all) or could not\n"
    "finish (a partition's duplicates not checked to the end: no disk for a spill).\n";

/* "1d", "36h", "90m", "30s", "500ms" or plain milliseconds. */
static int parse_duration(const char *s, int64_t *ms)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || v < 0) return -1;
    int64_t mult = strcmp(end, "") == 0 || strcmp(end, "ms") == 0 ? 1
                   : strcmp(end, "s") == 0                        ? 1000
                   : strcmp(end, "m") == 0                        ? 60000
                   : strcmp(end, "h") == 0                        ? 3600000
                   : strcmp(end, "d") == 0                        ? 86400000
                                                                  : -1;
    if (mult < 0 || v > INT64_MAX / mult) return -1;
    *ms = v * mult;
    return 0;
}

/* Epoch milliseconds, or ISO 8601 UTC: 2024-05-01, 2024-05-01T12:00, 2024-05-01T12:00:00Z. */
static int parse_time(const char *s, int64_t *ms)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end == '\0' && end != s) {
        *ms = v;
        return 0;
    }
    static const char *formats[] = { "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%MZ",
                                     "%Y-%m-%dT%H:%M", "%Y-%m-%d" };
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        const char *rest = strptime(s, formats[i], &tm);
        if (rest && *rest == '\0') {
            *ms = (int64_t)timegm(&tm) * 1000;
            return 0;
        }
    }
    return -1;
}

/* "512M", "4G", "1048576": a size in bytes (K, M, G, T: powers of 1024). */
static int parse_size(const char *s, int64_t *bytes)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || v < 0) return -1;
    int shift = 0;
    if (*end) {
        const char *u = "KMGT", *at = strchr(u, *end >= 'a' ? *end - 32 : *end);
        if (!at || !*at) return -1;
        shift = 10 * (int)(at - u + 1);
        end++;
        if (*end == 'i') end++;
        if (*end == 'B' || *end == 'b') end++;
        if (*end) return -1;
    }
    if (v > (INT64_MAX >> shift)) return -1;
    *bytes = (int64_t)v << shift;
    return 0;
}

/* Is `inner` the folder `outer` or somewhere below it (real paths)? */
static bool path_within(const char *inner, const char *outer)
{
    char *a = realpath(inner, NULL), *b = realpath(outer, NULL);
    bool in = false;
    if (a && b) {
        size_t n = strlen(b);
        in = strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/' || (n == 1 && b[0] == '/'));
    }
    free(a);
    free(b);
    return in;
}

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "kaudit audit: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    return -1;
}

static int parse_audit_args(int argc, char **argv, audit_opts *o, int *first)
{
    enum { O_FORMAT = 256, O_MAXEX, O_FAILON, O_TOPICS, O_EXCLUDE, O_OFFSETS, O_SINCE, O_UNTIL, O_EXPIRE,
           O_DUPHDR, O_DUPTOPICS, O_DUPWINDOW, O_MAXENTRY, O_NOCACHE, O_COLOR, O_JOBS, O_REDACT, O_REDACTKEY,
           O_MAXMEM, O_TMPDIR, O_TXNTIMEOUT, O_HELP };
    static const struct option opts[] = {
        { "format", required_argument, 0, O_FORMAT },          { "output", required_argument, 0, 'o' },
        { "color", required_argument, 0, O_COLOR },            { "jobs", required_argument, 0, O_JOBS },
        { "redact", required_argument, 0, O_REDACT },          { "redact-key-file", required_argument, 0, O_REDACTKEY },
        { "max-examples", required_argument, 0, O_MAXEX },     { "fail-on", required_argument, 0, O_FAILON },
        { "topics", required_argument, 0, O_TOPICS },          { "exclude-topics", required_argument, 0, O_EXCLUDE },
        { "offsets", required_argument, 0, O_OFFSETS },        { "since", required_argument, 0, O_SINCE },
        { "until", required_argument, 0, O_UNTIL },            { "producer-expiration", required_argument, 0, O_EXPIRE },
        { "dup-include-headers", no_argument, 0, O_DUPHDR },   { "dup-topics", required_argument, 0, O_DUPTOPICS },
        { "dup-window", required_argument, 0, O_DUPWINDOW },  { "txn-max-timeout", required_argument, 0, O_TXNTIMEOUT },
        { "max-entry-bytes", required_argument, 0, O_MAXENTRY }, { "no-cache", no_argument, 0, O_NOCACHE },
        { "max-memory", required_argument, 0, O_MAXMEM },      { "tmpdir", required_argument, 0, O_TMPDIR },
        { "quiet", no_argument, 0, 'q' },
        { "help", no_argument, 0, O_HELP },                    { 0, 0, 0, 0 }
    };
    ka_options_init(&o->ka);
    o->max_examples = 100;
    o->fail_on = RM_WARNING;
    o->color = -1;
    o->max_memory = (int64_t)1 << 30;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "hqo:", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case O_FORMAT:
            if (strcmp(optarg, "json") == 0) o->format = OUT_JSON;
            else if (strcmp(optarg, "html") == 0) o->format = OUT_HTML;
            else if (strcmp(optarg, "markdown") == 0 || strcmp(optarg, "md") == 0) o->format = OUT_MARKDOWN;
            else if (strcmp(optarg, "text") == 0) o->format = OUT_TEXT;
            else return usage_error("--format is text, json, html or markdown", optarg);
            break;
        case O_COLOR:
            if (strcmp(optarg, "auto") == 0) o->color = -1;
            else if (strcmp(optarg, "always") == 0) o->color = 1;
            else if (strcmp(optarg, "never") == 0) o->color = 0;
            else return usage_error("--color is auto, always or never", optarg);
            break;
        case 'o': o->out_path = optarg; break;
        case O_MAXEX:
            o->max_examples = strtoll(optarg, &end, 10);
            if (*end || !*optarg || o->max_examples < -1) return usage_error("--max-examples needs a number", optarg);
            break;
        case O_FAILON:
            if (strcmp(optarg, "error") == 0) o->fail_on = RM_ERROR;
            else if (strcmp(optarg, "warning") == 0) o->fail_on = RM_WARNING;
            else if (strcmp(optarg, "info") == 0) o->fail_on = RM_INFO;
            else if (strcmp(optarg, "none") == 0) o->fail_on = -1;
            else return usage_error("--fail-on is error, warning, info or none", optarg);
            break;
        case O_TOPICS:
        case O_EXCLUDE:
        case O_DUPTOPICS: {
            regex_t *re = c == O_TOPICS ? &o->topics : c == O_EXCLUDE ? &o->exclude : &o->dup_topics;
            bool *have = c == O_TOPICS ? &o->have_topics : c == O_EXCLUDE ? &o->have_exclude : &o->have_dup_topics;
            if (*have) regfree(re);
            if (regcomp(re, optarg, REG_EXTENDED | REG_NOSUB) != 0) return usage_error("not a valid regular expression", optarg);
            *have = true;
            break;
        }
        case O_OFFSETS:
            if (parse_range(optarg, &o->ka.off_lo, &o->ka.off_hi) < 0) return usage_error("--offsets takes A:B, A: or :B", optarg);
            break;
        case O_SINCE:
            if (parse_time(optarg, &o->ka.since) < 0) return usage_error("--since takes ISO 8601 UTC or epoch ms", optarg);
            break;
        case O_UNTIL:
            if (parse_time(optarg, &o->ka.until) < 0) return usage_error("--until takes ISO 8601 UTC or epoch ms", optarg);
            break;
        case O_EXPIRE:
            if (parse_duration(optarg, &o->ka.producer_expiration_ms) < 0 || o->ka.producer_expiration_ms == 0)
                return usage_error("--producer-expiration takes a duration like 1d, 36h or 604800000", optarg);
            break;
        case O_TXNTIMEOUT:
            if (parse_duration(optarg, &o->ka.txn_max_timeout_ms) < 0 || o->ka.txn_max_timeout_ms == 0)
                return usage_error("--txn-max-timeout takes a duration like 15m, 1h or 900000", optarg);
            break;
        case O_DUPHDR: o->ka.dup_include_headers = true; break;
        case O_DUPWINDOW:
            if (parse_duration(optarg, &o->ka.dup_window_ms) < 0)
                return usage_error("--dup-window takes a duration like 10m, 2h or 600000", optarg);
            break;
        case O_MAXENTRY:
            o->max_entry = strtoull(optarg, &end, 10);
            if (*end || o->max_entry < 64) return usage_error("--max-entry-bytes needs a number >= 64", optarg);
            break;
        case O_NOCACHE: o->no_cache = true; break;
        case O_REDACT:
            if (parse_redact(optarg, &o->ka.redact) < 0) return usage_error("--redact takes keys, values or keys,values", optarg);
            break;
        case O_REDACTKEY: o->redact_key_file = optarg; break;
        case O_JOBS:
            o->jobs = strtol(optarg, &end, 10);
            if (*end || o->jobs < 1 || o->jobs > 1024) return usage_error("--jobs needs a number from 1 to 1024", optarg);
            break;
        case O_MAXMEM:
            if (parse_size(optarg, &o->max_memory) < 0 || o->max_memory < ((int64_t)64 << 10))
                return usage_error("--max-memory takes a size of at least 64K, like 512M or 4G", optarg);
            break;
        case O_TMPDIR: o->tmpdir = optarg; break;
        case 'q': o->quiet = true; break;
        case 'h':
        case O_HELP: fputs(audit_usage, stdout); return 1;
        default: fputs(audit_usage, stderr); return -1;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "kaudit audit: no PATH given\n\n%s", audit_usage);
        return -1;
    }
    if (o->have_dup_topics) o->ka.dup_topics = &o->dup_topics;
    sp_setup(o->tmpdir);
    for (int i = optind; i < argc; i++)
        if (path_within(sp_base(), argv[i]))
            return usage_error("spills would go inside an audited directory; give --tmpdir elsewhere", sp_base());
    if (o->ka.redact && redact_key(o->redact_key_file, &o->ka.redact_key) < 0)
        return usage_error("cannot read the redaction key", o->redact_key_file ? o->redact_key_file : "(random)");
    *first = optind;
    return 0;
}

static void free_opts(audit_opts *o)
{
    if (o->have_topics) regfree(&o->topics);
    if (o->have_exclude) regfree(&o->exclude);
    if (o->have_dup_topics) regfree(&o->dup_topics);
}

int cmd_audit(int argc, char **argv)
{
    audit_opts o;
    memset(&o, 0, sizeof o);
    int first;
    int prc = parse_audit_args(argc, argv, &o, &first);
    if (prc != 0) {
        free_opts(&o);
        return prc > 0 ? EXIT_CLEAN : EXIT_USAGE;
    }
    rm_report *rep = rm_create(o.max_examples);
    kl_set *set = kl_create();
    kc_ctx *dc = kc_create(o.max_entry);
    if (!rep || !set || !dc) {
        fprintf(stderr, "kaudit: out of memory\n");
        return EXIT_USAGE;
    }
    ka_describe_types(rep);
    if (o.ka.redact) {
        char what[64];
        rm_add_meta(rep, "Redacted", redact_describe(o.ka.redact, what, sizeof what));
    }
    bool failed = false;
    for (int i = first; i < argc; i++) {
        rm_add_input(rep, argv[i]);
        if (kl_add(set, argv[i]) < 0) failed = true;
    }
    kl_finish(set);
    for (size_t i = 0; i < set->nlogdirs; i++) audit_logdir_meta(rep, &set->logdirs[i]);
    for (size_t i = 0; i < set->nproblems; i++) {
        rm_add_problem(rep, "%s: %s", set->problems[i].file, set->problems[i].msg);
        fprintf(stderr, "kaudit audit: %s: %s\n", set->problems[i].file, set->problems[i].msg);
    }
    audit_job *jobs = calloc(set->nloose + set->nparts + 1, sizeof *jobs);
    size_t njobs = 0;
    for (size_t i = 0; jobs && i < set->nloose; i++) {
        const kl_file *f = &set->loose[i];
        char topic[512];
        int32_t part;
        loose_partition(f->path, topic, sizeof topic, &part);
        if ((f->kind == KL_SEGMENT || f->kind == KL_OTHER) && topic_selected(&o, topic)) jobs[njobs++].file = f;
    }
    for (size_t i = 0; jobs && i < set->nparts; i++)
        if (topic_selected(&o, set->parts[i].topic)) jobs[njobs++].part = &set->parts[i];
    audit_pool pool = { .o = &o, .set = set, .jobs = jobs, .njobs = njobs, .lock = PTHREAD_MUTEX_INITIALIZER };
    long threads = o.jobs ? o.jobs : sysconf(_SC_NPROCESSORS_ONLN);
    bool oom = !jobs || run_jobs(&pool, rep, threads < 1 ? 1 : threads) < 0;
    free(jobs);
    rm_finish(rep);
    ka_describe_incidents(rep);
    FILE *out = stdout;
    if (o.out_path && !(out = fopen(o.out_path, "w"))) {
        fprintf(stderr, "kaudit audit: cannot write %s: %s\n", o.out_path, strerror(errno));
        failed = true;
        out = NULL;
    }
    if (out) {
        bool color = o.color == 1 || (o.color < 0 && out == stdout && isatty(fileno(stdout)) && !getenv("NO_COLOR"));
        int wrc = o.format == OUT_JSON       ? rr_json(rep, out, KAUDIT_VERSION)
                  : o.format == OUT_HTML     ? rr_html(rep, out, KAUDIT_VERSION)
                  : o.format == OUT_MARKDOWN ? rr_markdown(rep, out, KAUDIT_VERSION, 10)
                                             : rr_text(rep, out, KAUDIT_VERSION, 5, color);
        if (out != stdout && fclose(out) != 0) wrc = -1;
        if (wrc < 0) {
            fprintf(stderr, "kaudit audit: writing the report failed\n");
            failed = true;
        }
    }
    int worst = rm_worst(rep);
    int rc = failed || oom || set->nproblems > 0 || pool.incomplete > 0 ? EXIT_USAGE
             : o.fail_on >= 0 && worst >= o.fail_on                   ? EXIT_PROBLEMS
                                                                      : EXIT_CLEAN;
    if (oom) fprintf(stderr, "kaudit audit: out of memory\n");
    if (pool.incomplete)
        fprintf(stderr, "kaudit audit: %zu partition%s not fully checked for duplicates (see the report)\n",
                pool.incomplete, pool.incomplete == 1 ? "" : "s");
    rm_free(rep);
    kl_free(set);
    kc_free(dc);
    free_opts(&o);
    return rc;
}
