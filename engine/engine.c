/*
 * engine.c - include/kaudit.h: the inputs, the pool of jobs, the memory
 * budget and the spills of an audit, and its one report.
 *
 * One job per partition directory (or segment given alone). Jobs run on a
 * pool of threads, the largest first; each is granted, before it starts,
 * the memory its estimate says it needs (below: "the memory budget"), and
 * starts only when that fits beside the jobs running; each has its own
 * report, and the reports are merged in job order, so the result does not
 * depend on the number of threads. A job whose duplicate index cannot fit
 * in the whole budget is audited in two passes with a spill
 * (engine/spill.h): the report is the one unlimited memory gives. Threads
 * beyond the jobs read the largest jobs' segments in parts
 * (engine/pipeline.h).
 */
#include "include/kaudit.h"

#include <errno.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/groups.h"
#include "engine/api_error.h"
#include "engine/batches.h"
#include "engine/digest.h"
#include "engine/identity.h"
#include "engine/memcap.h"
#include "engine/partition.h"
#include "engine/replicas.h"
#include "engine/runinfo.h"
#include "engine/spill.h"
#include "reader/layout.h"
#include "reader/walk.h"
#include "report/baseline.h"
#include "report/listing.h"
#include "report/render.h"
#include "report/types.h"

#ifndef KAUDIT_VERSION
#define KAUDIT_VERSION "0.0.0"
#endif

/* One unit of work: a partition directory, or a segment given alone. */
typedef struct ee_job {
    const kl_partition *part;   /* NULL for a loose segment */
    const kl_file *file;        /* the loose segment */
    const char *full_copy;      /* another broker's copy of the partition audited in full, or NULL */
    bool light;                 /* kaudit compare: integrity only, every copy */
    const char *copy;           /* whose copy its partition is (ri_label_copies), NULL unknown */
    int64_t bytes;              /* its segments' size: the cost estimate */
    size_t need;                /* estimated bytes of its index, batch table and state (job_estimate) */
    size_t index_part;          /* the index's part of its grant: in memory, or a spill's tables and state */
    bool spill_first;           /* its need passes what the budget can give: straight to a spill */
    rm_report *out;             /* this job's own report, merged in order later */
    int failed;
    bool done;                  /* audited; merged into the report once every job before it is */
    char incomplete[512];       /* why its duplicates were not checked to the end, or "" */
    char unchecked[320];        /* why something else was not checked (ka_incomplete), or "" */
    ei_sink *id_sink;           /* its pass's records with an identity (engine/identity.h), or NULL */
    uint32_t passes;            /* passes begun */
} ee_job;

struct kaudit_engine {
    kaudit_config c;
    char *topics_src, *exclude_src, *dup_topics_src, *tmpdir_src; /* the config's strings, owned */
    bool have_topics, have_exclude, have_dup_topics;
    regex_t topics, exclude, dup_topics;
    uint32_t hidden_types;      /* the types --types and --exclude-types leave out (rm_report's) */
    ka_options rules;
    kl_set *set;
    rm_report *rep;
    sp_dir *spills;
    bool ran;
    size_t incomplete;          /* jobs whose duplicates could not be checked to the end */
    bool failed;                /* out of memory, or cancelled */
    struct timespec created;    /* CLOCK_MONOTONIC at kaudit_create: the report's duration_ms */
    /* while running */
    const kaudit_callbacks *cb;
    ee_job *jobs;
    size_t njobs;
    size_t *order;              /* job indexes, largest first: the longest start first */
    size_t next;                /* next position in `order` to take, under `lock` */
    long spare;                 /* threads asked for beyond the jobs: for the pipeline, under `lock` */
    long spare_each;            /* the most of them one job takes */
    size_t pool;                /* max_memory less the findings' share: granted to the jobs (below) */
    size_t fixed;               /* every job's grant for decompression, held runs and read-ahead */
    size_t used;                /* granted to the jobs running, under `lock` */
    size_t ticket;              /* the position in `order` whose grant is given next, under `lock` */
    int growers;                /* jobs waiting for the whole pool, under `lock`: no other starts */
    pthread_cond_t freed;       /* signalled when `used`, `ticket` or `growers` change */
    long threads;               /* threads that run jobs */
    size_t merged;              /* jobs merged into the report, in job order, under `lock` */
    bool merge_failed;          /* out of memory merging, under `lock` */
    pthread_mutex_t lock;
    /* the scratch file of the findings listed past the report's share
     * (report/listing.h), made on first use in the private directory */
    rm_spill listing;
    int listing_fd;
    uint64_t listing_end;
    pthread_mutex_t listing_lock;
    /* kaudit compare's digests given as paths (engine/digest.h), owned */
    char **digests;
    size_t ndigests;
    ed_file **dfiles;           /* ... opened, and the data's own (compare_digests) */
    size_t ndfiles, dshare;     /* how many; the memory each may take */
    /* --identity (engine/identity.h) */
    kid_rules id_rules;
    ei_collector *idc;          /* NULL when no --identity */
    ei_part *idparts;           /* per job */
    char **idtopics;            /* per job: a loose segment's topic, owned */
    kl_partition *idloose;      /* per job: a loose segment as a partition of one file, to read again */
};

/*
 * One budget, --max-memory, for everything that grows with the data. A
 * quarter is the report's, for the findings it lists (FINDINGS_SHARE); with
 * --identity an eighth is the identity stage's (IDENTITY_SHARE); the rest,
 * the pool, is granted to the jobs: a job starts only when its grant
 * fits in what the jobs running leave of the pool (or when none runs), so
 * the cap holds whichever jobs run together. A grant is
 *   FIXED  the same for every job, a function of the pool alone (so that
 *          no report depends on --jobs): half for the decompression buffer
 *          (kc_set_budget: a batch whose records need more is not
 *          checked, and the report says so), a quarter for the duplicate
 *          runs held to the partition's end (ka_held_limit), a quarter for
 *          the parts read ahead (engine/pipeline.h); a sixteenth of the pool,
 *          at least 16 MiB and at most 128 MiB, and never more than half;
 *   part   the duplicate index with its batch table, the producers' state
 *          and the open transactions' records (audit.h, ka_index_limit):
 *          twice the job's estimated need (job_estimate: the table grows by
 *          doubling) and 1 MiB, at most what the pool leaves beside FIXED.
 *          A job that fills it anyway waits for the whole pool and tries
 *          again with all of it. A job whose need passes what the pool
 *          can give (too big, but for its duplicates, which the estimate
 *          counts: a spill then gives the same report, only slower), or
 *          that fills the whole pool too, spills:
 *          SPILL_PART, half for the spill's tables and half for the state.
 * Adding jobs never makes a partition spill: whether it spills depends on
 * the pool alone. What is left (a job's findings before they join the
 * report, the names of the files, a spill's 4 MiB of buffers) is small and
 * fixed per job.
 */
#define FIXED_SHARE(pool) ((pool) / 2 < ((size_t)16 << 20) ? (pool) / 2 \
                           : (pool) / 16 < ((size_t)16 << 20) ? ((size_t)16 << 20) \
                           : (pool) / 16 > ((size_t)128 << 20) ? ((size_t)128 << 20) : (pool) / 16)
#define DECOMPRESS_SHARE(e) ((e)->fixed / 2)
#define HELD_SHARE(e) ((e)->fixed / 4)
#define RING_SHARE(e) ((e)->fixed / 4)
#define INDEX_MOST(e) ((e)->pool - (e)->fixed)
#define SPILL_PART(e) (INDEX_MOST(e) <= ((size_t)256 << 20) ? INDEX_MOST(e) \
                       : INDEX_MOST(e) / 2 > ((size_t)256 << 20) ? INDEX_MOST(e) / 2 : ((size_t)256 << 20))
#define FINDINGS_SHARE(c) ((size_t)((c)->max_memory / 4))
/* With --identity, an eighth (off the jobs' part) for the facts of the
 * records with an identity, sorted at the end (engine/identity.h): 80
 * bytes a record (the fact, sorted where it lies), 1.6 M records under the
 * default 1 GiB before they spill. */
#define IDENTITY_SHARE(c) ((size_t)((c)->max_memory / 8))

/* ---- the findings' scratch file (rm_spill) ---------------------------------------- */

static int listing_reserve(void *ctx, uint64_t n, uint64_t *pos)
{
    kaudit_engine *e = ctx;
    pthread_mutex_lock(&e->listing_lock);
    char why[512];
    if (e->listing_fd < 0 && (e->listing_fd = sp_scratch(e->spills, why, sizeof why)) < 0) {
        pthread_mutex_unlock(&e->listing_lock);
        return -1;
    }
    *pos = e->listing_end;
    e->listing_end += n;
    pthread_mutex_unlock(&e->listing_lock);
    return 0;
}

static int listing_write(void *ctx, uint64_t pos, const void *buf, size_t n)
{
    const kaudit_engine *e = ctx;
    for (const char *p = buf; n > 0;) {
        ssize_t w = pwrite(e->listing_fd, p, n, (off_t)pos);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w, n -= (size_t)w, pos += (uint64_t)w;
    }
    return 0;
}

static int listing_read(void *ctx, uint64_t pos, void *buf, size_t n)
{
    const kaudit_engine *e = ctx;
    for (char *p = buf; n > 0;) {
        ssize_t got = pread(e->listing_fd, p, n, (off_t)pos);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return -1;
        p += got, n -= (size_t)got, pos += (uint64_t)got;
    }
    return 0;
}


const char *kaudit_version(void) { return KAUDIT_VERSION; }

int64_t kaudit_default_max_memory(void) { return mc_default(); }

void kaudit_config_init(kaudit_config *c)
{
    memset(c, 0, sizeof *c);
    ka_options o;
    ka_options_init(&o);
    c->off_lo = o.off_lo, c->off_hi = o.off_hi, c->since = o.since, c->until = o.until;
    c->producer_expiration_ms = o.producer_expiration_ms;
    c->txn_max_timeout_ms = o.txn_max_timeout_ms;
    c->dup_window_ms = o.dup_window_ms;
    c->max_examples = 100;
    c->max_memory = kaudit_default_max_memory();
    c->max_entry = KS_DEFAULT_MAX_ENTRY;
    c->live_wait_ms = KW_LIVE_WAIT_MS;
    c->fail_on = RM_WARNING;
}

/* A copy of an optional string: 0, or -1 out of memory. */
static int dup_opt(const char *s, char **out)
{
    *out = s ? strdup(s) : NULL;
    return s && !*out ? -1 : 0;
}

static int compile(kaudit_engine *e, const char *src, regex_t *re, bool *have, const char *what, kaudit_error *err)
{
    if (!src) return 0;
    if (regcomp(re, src, REG_EXTENDED | REG_NOSUB) != 0)
        return ae_fail(err, KAUDIT_EUSAGE, src, "%s: not a POSIX extended regular expression", what);
    (void)e;
    *have = true;
    return 0;
}

/* The finding types of comma list `list` (NULL: none) as bits 1 << rt_id
 * into *mask: 0, or KAUDIT_EUSAGE with err naming the first item that is
 * no type (`what`: the option, for the message). */
static int type_mask(const char *list, const char *what, uint32_t *mask, kaudit_error *err)
{
    *mask = 0;
    for (const char *s = list; s;) {
        size_t n = strcspn(s, ",");
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)n, s);
        int tid = n < sizeof name ? rt_find(name) : -1;
        if (tid < 0) return ae_fail(err, KAUDIT_EUSAGE, name, "%s: no finding type is named so", what);
        *mask |= 1u << tid;
        s = s[n] ? s + n + 1 : NULL;
    }
    return 0;
}

kaudit_engine *kaudit_create(const kaudit_config *c, kaudit_error *err)
{
    ae_clear(err);
    kaudit_engine *e = calloc(1, sizeof *e);
    if (!e) {
        ae_fail(err, KAUDIT_ENOMEM, NULL, "out of memory");
        return NULL;
    }
    clock_gettime(CLOCK_MONOTONIC, &e->created);
    e->c = *c;
    if (dup_opt(c->topics, &e->topics_src) < 0 || dup_opt(c->exclude_topics, &e->exclude_src) < 0 ||
        dup_opt(c->dup_topics, &e->dup_topics_src) < 0 || dup_opt(c->tmpdir, &e->tmpdir_src) < 0 ||
        !(e->set = kl_create()) || !(e->rep = rm_create(c->max_examples)) || !(e->spills = sp_dir_create(c->tmpdir)) ||
        (c->generated_at_ms > 0 && rm_set_generated_at(e->rep, c->generated_at_ms) < 0)) {
        ae_fail(err, KAUDIT_ENOMEM, NULL, "out of memory");
        kaudit_free(e);
        return NULL;
    }
    e->c.topics = e->topics_src, e->c.exclude_topics = e->exclude_src;
    e->c.dup_topics = e->dup_topics_src, e->c.tmpdir = e->tmpdir_src;
    uint32_t only = 0, excluded = 0;
    if (compile(e, c->topics, &e->topics, &e->have_topics, "topics", err) < 0 ||
        compile(e, c->exclude_topics, &e->exclude, &e->have_exclude, "exclude-topics", err) < 0 ||
        compile(e, c->dup_topics, &e->dup_topics, &e->have_dup_topics, "dup-topics", err) < 0 ||
        type_mask(c->types, "--types", &only, err) < 0 ||
        type_mask(c->exclude_types, "--exclude-types", &excluded, err) < 0) {
        kaudit_free(e);
        return NULL;
    }
    /* Every report of the run (the jobs' too) leaves the same types out. */
    e->hidden_types = (c->types ? ~only : 0) | excluded;
    e->rep->hidden_types = e->hidden_types;
    e->c.types = e->c.exclude_types = NULL; /* the caller's strings: the report records them */
    /* The report says how it was made; a baseline is read now, so that one
     * that cannot be used stops the audit before it starts. */
    ri_options(e->rep, c);
    char why[1200];
    if (c->baseline && !(e->rep->baseline = rm_baseline_load(c->baseline, why, sizeof why))) {
        ae_fail(err, KAUDIT_EUSAGE, NULL, "--baseline: %s", why);
        kaudit_free(e);
        return NULL;
    }
    e->c.baseline = NULL; /* the caller's string: the report holds what it said */
    pthread_mutex_init(&e->listing_lock, NULL);
    e->listing_fd = -1;
    e->listing = (rm_spill){ e, listing_reserve, listing_write, listing_read };
    rm_set_spill(e->rep, &e->listing, FINDINGS_SHARE(c) / 2);
    ka_options_init(&e->rules);
    e->rules.producer_expiration_ms = c->producer_expiration_ms;
    e->rules.txn_max_timeout_ms = c->txn_max_timeout_ms;
    e->rules.dup_window_ms = c->dup_window_ms;
    e->rules.dup_include_headers = c->dup_include_headers;
    e->rules.dup_topics = e->have_dup_topics ? &e->dup_topics : NULL;
    e->rules.off_lo = c->off_lo, e->rules.off_hi = c->off_hi;
    e->rules.since = c->since, e->rules.until = c->until;
    e->rules.redact = c->redact;
    e->rules.redact_key = c->redact_key;
    for (size_t i = 0; i < c->nidentity; i++) {
        char bad[300];
        if (kid_rules_add(&e->id_rules, c->identity[i], bad, sizeof bad) < 0) {
            ae_fail(err, KAUDIT_EUSAGE, c->identity[i], "--identity: %s", bad);
            kaudit_free(e);
            return NULL;
        }
    }
    e->rules.identity = e->id_rules.n ? &e->id_rules : NULL;
    e->c.identity = NULL, e->c.nidentity = 0; /* the caller's strings: the rules hold what they said */
    pthread_mutex_init(&e->lock, NULL);
    pthread_cond_init(&e->freed, NULL);
    return e;
}

void kaudit_free(kaudit_engine *e)
{
    if (!e) return;
    if (e->have_topics) regfree(&e->topics);
    if (e->have_exclude) regfree(&e->exclude);
    if (e->have_dup_topics) regfree(&e->dup_topics);
    free(e->topics_src), free(e->exclude_src), free(e->dup_topics_src), free(e->tmpdir_src);
    for (size_t i = 0; i < e->ndigests; i++) free(e->digests[i]);
    free(e->digests);
    for (size_t i = 0; i < e->ndfiles; i++) ed_close(e->dfiles[i]);
    free(e->dfiles);
    kl_free(e->set);
    rm_free(e->rep);
    if (e->listing.ctx) {
        if (e->listing_fd >= 0) close(e->listing_fd);
        pthread_mutex_destroy(&e->listing_lock);
    }
    ei_free(e->idc);
    kid_rules_free(&e->id_rules);
    sp_dir_free(e->spills);
    pthread_mutex_destroy(&e->lock);
    pthread_cond_destroy(&e->freed);
    free(e);
}

/* Is `inner` at or below `outer` (both as they resolve on disk)? */
static bool path_within(const char *inner, const char *outer)
{
    char a[4096], b[4096];
    if (!realpath(inner, a) || !realpath(outer, b)) return false;
    size_t n = strlen(b);
    return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/' || (n == 1 && b[0] == '/'));
}

int kaudit_check_output(const kaudit_engine *e, const char *path, kaudit_error *err)
{
    ae_clear(err);
    if (!path || strcmp(path, "-") == 0) return 0;
    /* The file may not exist yet: its folder decides. */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == dir) dir[1] = '\0';
    else *slash = '\0';
    for (size_t i = 0; i < e->rep->ninputs; i++)
        if (path_within(path, e->rep->inputs[i]) || path_within(dir, e->rep->inputs[i]))
            return ae_fail(err, KAUDIT_EUSAGE, path,
                           "would be written inside %s, which is read: kaudit writes nothing where it reads",
                           e->rep->inputs[i]);
    return 0;
}

int kaudit_add_path(kaudit_engine *e, const char *path, kaudit_error *err)
{
    ae_clear(err);
    if (path_within(sp_dir_base(e->spills), path))
        return ae_fail(err, KAUDIT_EUSAGE, sp_dir_base(e->spills),
                    "spills would go inside an audited directory; give --tmpdir elsewhere");
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && ed_is_digest(path)) {
        /* A digest (engine/digest.h): compared, not audited. */
        if (!e->c.compare_only)
            return ae_fail(err, KAUDIT_EUSAGE, path, "a kaudit digest: kaudit compare reads digests, not %s",
                           e->c.integrity_only ? "kaudit digest" : "kaudit audit");
        char **nd = realloc(e->digests, (e->ndigests + 1) * sizeof *nd);
        if (!nd) return ae_fail(err, KAUDIT_ENOMEM, path, "out of memory");
        e->digests = nd;
        if (!(e->digests[e->ndigests] = strdup(path)) || rm_add_input(e->rep, path) < 0)
            return ae_fail(err, KAUDIT_ENOMEM, path, "out of memory");
        e->ndigests++;
        return 0;
    }
    if (rm_add_input(e->rep, path) < 0 || kl_add(e->set, path) == KE_NOMEM)
        return ae_fail(err, KAUDIT_ENOMEM, path, "out of memory");
    return 0;
}

const rm_report *kaudit_report(const kaudit_engine *e) { return e->rep; }

const char *kaudit_temp_base(const kaudit_engine *e) { return sp_dir_base(e->spills); }

void kaudit_remove_temp_now(kaudit_engine *e)
{
    if (e) sp_dir_remove_now(e->spills);
}

/* ---- callbacks ------------------------------------------------------------------ */

static void notice(const kaudit_engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void notice(const kaudit_engine *e, const char *fmt, ...)
{
    if (!e->cb || !e->cb->notice) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    e->cb->notice(e->cb->ctx, line);
}

static bool cancelled(const kaudit_engine *e) { return e->cb && e->cb->cancelled && e->cb->cancelled(e->cb->ctx); }

/* ---- one job -------------------------------------------------------------------------- */

/* The partition of a file given alone: its folder's, or its own path as the
 * topic (partition -1) when the folder is not a partition directory. */
static void loose_partition(const char *path, char *topic, size_t cap, int32_t *part)
{
    const char *slash = strrchr(path, '/');
    if (slash && slash != path) {
        const char *start = slash - 1;
        while (start > path && start[-1] != '/') start--;
        char dir[512];
        size_t n = (size_t)(slash - start);
        const char *state;
        if (n < sizeof dir) {
            memcpy(dir, start, n);
            dir[n] = '\0';
            if (kl_partition_name(dir, topic, cap, part, &state)) return;
        }
    }
    snprintf(topic, cap, "%s", path);
    *part = -1;
}

static bool topic_selected(const kaudit_engine *e, const char *topic)
{
    if (e->have_topics && regexec(&e->topics, topic, 0, NULL, 0) != 0) return false;
    if (e->have_exclude && regexec(&e->exclude, topic, 0, NULL, 0) == 0) return false;
    return true;
}

/* KAUDIT_PIPELINE, for tests: "off" reads every partition in order on its
 * job's thread; a number N reads with N workers in parts of
 * KAUDIT_PART_BYTES (default: pl_run's), whatever the spare threads.
 * The report is the same either way: the tests check that it is. */
static void pipeline_override(ep_plan *p)
{
    const char *v = getenv("KAUDIT_PIPELINE"), *b = getenv("KAUDIT_PART_BYTES");
    if (v && strcmp(v, "off") == 0) p->workers = 0;
    else if (v && atoi(v) > 0) p->workers = atoi(v);
    if (b && atoll(b) > 0) p->part_bytes = atoll(b);
}

/* One pass over job `j` into a new report *out. */
static int job_pass(kaudit_engine *e, ee_job *j, kc_ctx *dc, const ep_plan *plan, rm_report **out)
{
    rm_free(*out);
    if (!(*out = rm_create(e->c.max_examples))) return -1;
    (*out)->hidden_types = e->hidden_types;
    rm_set_spill(*out, &e->listing, FINDINGS_SHARE(&e->c) / 2 / (size_t)e->threads);
    ep_input in = { &e->rules, &e->c, e->cb, e->set, NULL, 0, NULL, NULL, 0, j->part, j->bytes, j->full_copy,
                    j->light, NULL };
    char topic[512];
    if (j->part) {
        in.topic = j->part->topic, in.partition = j->part->partition, in.path = j->part->path;
        in.files = j->part->files, in.nfiles = j->part->nfiles;
    } else {
        loose_partition(j->file->path, topic, sizeof topic, &in.partition);
        in.topic = topic, in.path = j->file->path, in.files = j->file, in.nfiles = 1;
    }
    if (e->idc && (j->id_sink || (j->id_sink = malloc(sizeof *j->id_sink)))) {
        ei_sink_init(j->id_sink, e->idc, (uint32_t)(j - e->jobs), ++j->passes);
        in.id_sink = &j->id_sink->sink;
    }
    ep_plan p = *plan;
    p.decompress = DECOMPRESS_SHARE(e);
    pipeline_override(&p);
    int rc = ep_audit(&in, &p, dc, *out, j->unchecked, sizeof j->unchecked);
    if (in.id_sink) ei_sink_flush(j->id_sink);
    /* Whose copy it is: part of its findings' fingerprints. */
    if (j->copy && (*out)->npartitions && !((*out)->partitions[0].copy = strdup(j->copy))) (*out)->oom = true;
    return rc;
}

/* The job's duplicate index cannot fit in the budget (its estimate says
 * so, or a pass in memory filled it): audit it in two passes, the first
 * recording every lookup to a spill, the second replaying the answers
 * resolved from it. The report is the one an unlimited index would give.
 * When the spill fails, the partition is audited in memory up to the
 * limit, and the report says so. `passes`: the passes made already. */
static int job_spilled(kaudit_engine *e, ee_job *j, kc_ctx *dc, int ra, int passes)
{
    const char *name = j->part ? j->part->path : j->file->path;
    bool mib = INDEX_MOST(e) >= ((size_t)1 << 20);
    notice(e, "kaudit: %s: the duplicate index and the producers' state need more than the %zu %s --max-memory can give them; "
              "auditing it in two passes with a spill in %s",
           name, INDEX_MOST(e) >> (mib ? 20 : 10), mib ? "MiB" : "KiB", sp_dir_base(e->spills));
    /* The first pass was announced with the job: a spill adds one pass to
     * it, or two to passes made already. */
    if (e->cb && e->cb->more_work) e->cb->more_work(e->cb->ctx, (passes ? 2 : 1) * j->bytes);
    sp_spill *sp = sp_create(e->spills, SPILL_PART(e) / 2);
    if (!sp) return -1;
    ep_plan record = { .mode = KQ_RECORD, .spill = sp_ops(sp), .workers = ra, .held = HELD_SHARE(e),
                       .state = SPILL_PART(e) / 2, .ring = RING_SHARE(e) };
    rm_report *scratch = NULL;
    int rc = job_pass(e, j, dc, &record, &scratch);
    rm_free(scratch);
    /* A recording pass that could not record everything (out of memory)
     * leaves answers the replay cannot trust: as if the spill failed. */
    if (rc == 0 && j->unchecked[0]) rc = -2;
    if (rc == 2) rc = 0; /* the state outgrew its share: the replay says so, the spill is sound */
    if (rc == 0 && sp_error(sp)[0] == '\0' && sp_resolve(sp) == 0) {
        ep_plan replay = { .mode = KQ_REPLAY, .spill = sp_ops(sp), .workers = ra, .held = HELD_SHARE(e),
                           .state = SPILL_PART(e) / 2, .ring = RING_SHARE(e) };
        rc = job_pass(e, j, dc, &replay, &j->out);
        if ((rc == 0 || rc == 2) && sp_error(sp)[0] == '\0') {
            sp_free(sp);
            return 0;
        }
    }
    if (cancelled(e)) {
        sp_free(sp);
        return 1;
    }
    /* The spill failed: in memory up to the limit, said in the report. */
    char why[512];
    snprintf(why, sizeof why, "%s", sp_error(sp)[0] ? sp_error(sp) : j->unchecked[0] ? j->unchecked : "out of memory");
    sp_free(sp);
    notice(e, "kaudit: %s: %s; duplicates are checked only up to the memory limit", name, why);
    snprintf(j->incomplete, sizeof j->incomplete, "%s", why);
    ep_plan mem = { .mode = KQ_MEMORY, .limit = SPILL_PART(e), .spill_failed = why, .workers = ra,
                    .held = HELD_SHARE(e), .ring = RING_SHARE(e) };
    return job_pass(e, j, dc, &mem, &j->out);
}

/* ---- grants -------------------------------------------------------------------------- */

/* Records and batches per byte, from the head of up to SAMPLE_SEGMENTS of
 * the job's segments spread over it (SAMPLE_BYTES of batches from each):
 * the batch headers' record counts, nothing decompressed. */
#define SAMPLE_SEGMENTS 4
#define SAMPLE_BYTES ((int64_t)1 << 20)

/*
 * What job j's duplicate index, batch table and state will take in memory,
 * estimated before it starts from its segment bytes and the rate of
 * records and batches per byte of a sample (a KQ_MIN_SLOTS table at
 * least; nothing for a job audited for integrity only, which keeps no
 * index). The estimate counts every record, so it is high by the
 * duplicates; a legacy compressed wrapper counts as one record, so a log
 * of them is underestimated, and fills its grant (run_job then gives it
 * the whole pool). A function of the files alone: the same for any --jobs.
 */
static size_t job_estimate(const kaudit_engine *e, const ee_job *j)
{
    if (j->light || j->full_copy || j->bytes <= 0) return 0;
    const kl_file *files = j->part ? j->part->files : j->file;
    size_t nfiles = j->part ? j->part->nfiles : 1, nseg = 0;
    for (size_t i = 0; i < nfiles; i++) nseg += !j->part || files[i].kind == KL_SEGMENT;
    int64_t records = 0, batches = 0, bytes = 0;
    size_t want = nseg < SAMPLE_SEGMENTS ? nseg : SAMPLE_SEGMENTS;
    for (size_t k = 0, seen = 0, i = 0; k < want && i < nfiles; i++) {
        if (j->part && files[i].kind != KL_SEGMENT) continue;
        if (seen++ != k * nseg / want) continue; /* the k-th of `want` spread evenly */
        k++;
        ke_error err;
        kw_walk *w = kw_open(files[i].path, e->c.max_entry, e->c.no_cache, 0, &err);
        if (!w) continue;
        kb_batch b;
        int64_t at;
        int64_t start = bytes;
        for (int got; bytes - start < SAMPLE_BYTES && (got = kw_next(w, &b, &err, &at)) != KW_END;) {
            if (got != KW_BATCH) continue;
            bytes += b.size;
            if (b.is_control) continue;
            batches++;
            records += b.count > 0 ? b.count : 1;
        }
        kw_close(w);
    }
    if (bytes <= 0 || records <= 0) return 0;
    double scale = (double)j->bytes / (double)bytes;
    double n = (double)records * scale, nb = (double)batches * scale;
    if (n >= (double)((size_t)1 << 40)) return SIZE_MAX / 4;
    return kq_slots_for((size_t)n) * sizeof(kq_slot) + (size_t)nb * KQ_INFO;
}

/* Wait for position `ticket` of the order to be next and for `bytes` to
 * fit in the pool beside the jobs running (or for none to run), then
 * grant them. Cancelled, it only waits for its turn and grants nothing:
 * 0 instead of `bytes`. */
static size_t grant_in_order(kaudit_engine *e, size_t ticket, size_t bytes)
{
    pthread_mutex_lock(&e->lock);
    for (;;) {
        bool turn = e->ticket == ticket && e->growers == 0;
        if (turn && cancelled(e)) {
            bytes = 0;
            break;
        }
        if (turn && (e->used == 0 || e->used + bytes <= e->pool)) break;
        pthread_cond_wait(&e->freed, &e->lock);
    }
    e->used += bytes;
    e->ticket++;
    pthread_cond_broadcast(&e->freed);
    pthread_mutex_unlock(&e->lock);
    return bytes;
}

/* Give back `had` and wait for the whole pool, before any job not yet
 * started: for a job whose estimate fell short. */
static void grant_whole_pool(kaudit_engine *e, size_t had)
{
    pthread_mutex_lock(&e->lock);
    e->used -= had;
    e->growers++;
    pthread_cond_broadcast(&e->freed);
    while (e->used != 0) pthread_cond_wait(&e->freed, &e->lock);
    e->used = e->pool;
    e->growers--;
    pthread_cond_broadcast(&e->freed);
    pthread_mutex_unlock(&e->lock);
}

static void grant_release(kaudit_engine *e, size_t had)
{
    pthread_mutex_lock(&e->lock);
    e->used -= had;
    pthread_cond_broadcast(&e->freed);
    pthread_mutex_unlock(&e->lock);
}

/* Threads more than there are jobs: this job's share of them (spare_each)
 * reads its segments beside it (engine/pipeline.h). Taken under the lock,
 * given back with give_spare. */
static int take_spare(kaudit_engine *e)
{
    pthread_mutex_lock(&e->lock);
    long got = e->spare < e->spare_each ? e->spare : e->spare_each;
    e->spare -= got;
    pthread_mutex_unlock(&e->lock);
    return (int)got;
}

static void give_spare(kaudit_engine *e, int n)
{
    pthread_mutex_lock(&e->lock);
    e->spare += n;
    pthread_mutex_unlock(&e->lock);
}

/* Plan job j from its estimate (job_estimate): in memory with twice its
 * need (at most what the pool can give), or straight to a spill when the
 * need itself cannot fit: a pass in memory would fill, and be read for
 * nothing. */
static void plan_job(const kaudit_engine *e, ee_job *j)
{
    j->need = job_estimate(e, j);
    size_t most = INDEX_MOST(e);
    j->spill_first = j->need > most;
    size_t want = j->need > most ? most : 2 * j->need + ((size_t)1 << 20);
    j->index_part = j->spill_first ? SPILL_PART(e) : want < most ? want : most;
}

/* Audit job j, holding `*grant` of the pool (updated when it grows). */
static void run_job(kaudit_engine *e, ee_job *j, kc_ctx *dc, size_t *grant)
{
    int ra = take_spare(e);
    int rc = 1, passes = 0;
    while (!j->spill_first && rc == 1 && !cancelled(e)) {
        ep_plan mem = { .mode = KQ_MEMORY, .limit = j->index_part, .stop_when_full = true, .workers = ra,
                        .held = HELD_SHARE(e), .ring = RING_SHARE(e) };
        rc = job_pass(e, j, dc, &mem, &j->out);
        passes++;
        if (rc != 1 || cancelled(e)) break;
        if (j->index_part >= INDEX_MOST(e)) {
            j->spill_first = true; /* even the whole pool is too little */
            break;
        }
        /* The estimate fell short: again with the whole pool. */
        if (e->cb && e->cb->more_work) e->cb->more_work(e->cb->ctx, j->bytes);
        grant_whole_pool(e, *grant);
        *grant = e->pool;
        j->index_part = INDEX_MOST(e);
    }
    if (j->spill_first && !cancelled(e)) rc = job_spilled(e, j, dc, ra, passes);
    give_spare(e, ra);
    free(j->id_sink);
    j->id_sink = NULL;
    j->failed = rc < 0;
}

/* Merge job j's report into the engine's and say what it could not check. */
static void merge_job(kaudit_engine *e, ee_job *j)
{
    if (e->idparts) e->idparts[j - e->jobs].rep_index = j->out && j->out->npartitions ? e->rep->npartitions : (size_t)-1;
    if (j->out && rm_merge(e->rep, j->out) < 0) e->merge_failed = true;
    rm_free(j->out);
    j->out = NULL;
    /* An audit that could not check everything is not a clean one. */
    const char *name = j->part ? j->part->path : j->file->path;
    if (j->incomplete[0]) {
        rm_add_problem(e->rep, "%s: duplicates not checked to the end: the index outgrew --max-memory and could not spill (%s)",
                       name, j->incomplete);
        e->incomplete++;
    } else if (j->unchecked[0]) {
        rm_add_problem(e->rep, "%s: not fully checked: %s", name, j->unchecked);
        e->incomplete++;
    }
}

/* Merge the jobs done, in job order, as far as every job before them is
 * done: the report is then the same whatever the threads, and a job's own
 * report is freed as soon as it can be. Under e->lock. */
static void merge_done(kaudit_engine *e)
{
    while (e->merged < e->njobs && e->jobs[e->merged].done) merge_job(e, &e->jobs[e->merged++]);
}

static void *worker(void *arg)
{
    kaudit_engine *e = arg;
    for (;;) {
        pthread_mutex_lock(&e->lock);
        size_t i = e->next < e->njobs && !cancelled(e) ? e->next++ : e->njobs;
        pthread_mutex_unlock(&e->lock);
        if (i == e->njobs) break;
        ee_job *j = &e->jobs[e->order ? e->order[i] : i];
        plan_job(e, j);
        size_t grant = grant_in_order(e, i, e->fixed + j->index_part);
        /* The decompression buffer is part of the grant: made for the job
         * and freed with it, so a thread waiting for memory holds none. */
        kc_ctx *dc = grant ? kc_create(e->c.max_entry) : NULL;
        if (dc) kc_set_budget(dc, DECOMPRESS_SHARE(e));
        if (!grant) {
            /* cancelled: never started */
        } else if (dc) {
            run_job(e, j, dc, &grant);
        } else {
            j->failed = 1;
        }
        kc_free(dc);
        grant_release(e, grant);
        /* A report that waits for the jobs before it keeps only its
         * examples in memory (when it lists every finding). */
        size_t at = (size_t)(j - e->jobs);
        pthread_mutex_lock(&e->lock);
        bool waits = at != e->merged;
        pthread_mutex_unlock(&e->lock);
        if (waits && j->out) rm_spill_now(j->out);
        pthread_mutex_lock(&e->lock);
        j->done = true;
        merge_done(e);
        pthread_mutex_unlock(&e->lock);
    }
    return NULL;
}

static int cmp_cost(const void *a, const void *b, void *jobs)
{
    const ee_job *j = jobs;
    int64_t x = j[*(const size_t *)a].bytes, y = j[*(const size_t *)b].bytes;
    if (x != y) return x > y ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int64_t job_bytes(const ee_job *j)
{
    struct stat st;
    if (j->file) return stat(j->file->path, &st) == 0 ? st.st_size : 0; /* read whatever its kind */
    return ep_segment_bytes(j->part->files, j->part->nfiles);
}

/* Audit every job on `threads` threads, the biggest first, then merge the
 * reports in job order. 0, or -1 when out of memory. */
static int run_jobs(kaudit_engine *e, long threads)
{
    int64_t total = 0;
    for (size_t i = 0; i < e->njobs; i++) total += e->jobs[i].bytes = job_bytes(&e->jobs[i]);
    e->order = malloc(e->njobs * sizeof *e->order + 1);
    if (e->order) {
        for (size_t i = 0; i < e->njobs; i++) e->order[i] = i;
        qsort_r(e->order, e->njobs, sizeof *e->order, cmp_cost, e->jobs);
    }
    /* Threads beyond the jobs read the jobs' segments in parts instead
     * (engine/pipeline.h), an equal share of them per job: one partition
     * alone gets them all. */
    if (threads > (long)e->njobs) {
        e->spare = threads - (long)e->njobs;
        threads = (long)e->njobs;
        e->spare_each = (e->spare + threads - 1) / (threads > 0 ? threads : 1);
    }
    /* The jobs' grants come from one pool, so the cap holds whichever jobs
     * run together; every limit that shapes a report is a function of the
     * pool and the job alone, so the report does not depend on --jobs. */
    e->threads = threads > 0 ? threads : 1;
    e->pool = (size_t)(e->c.max_memory - (int64_t)FINDINGS_SHARE(&e->c) -
                       (e->idc ? (int64_t)IDENTITY_SHARE(&e->c) : 0));
    e->fixed = FIXED_SHARE(e->pool);
    e->used = 0, e->ticket = 0, e->growers = 0;
    if (e->cb && e->cb->started) e->cb->started(e->cb->ctx, total);
    pthread_t *tid = threads > 1 ? malloc((size_t)(threads - 1) * sizeof *tid) : NULL;
    long started = 0;
    for (long t = 1; tid && t < threads; t++)
        if (pthread_create(&tid[started], NULL, worker, e) == 0) started++;
    worker(e); /* the calling thread works too */
    for (long t = 0; t < started; t++) pthread_join(tid[t], NULL);
    free(tid);
    /* Every job is done or was never started (cancelled): what is left. */
    for (size_t i = 0; i < e->njobs; i++) e->jobs[i].done = true;
    merge_done(e);
    int rc = e->merge_failed ? -1 : 0;
    for (size_t i = 0; i < e->njobs; i++) rc = e->jobs[i].failed ? -1 : rc;
    free(e->order);
    e->order = NULL;
    return rc;
}

/* ---- consumer groups: what a partition holds in a range ---------------------------- */

/* kg_range_fn: read report partition `part`'s segments for offsets [lo, hi)
 * (the records a consumer group got again): its data records and their
 * first and last timestamps. Only the segments that can hold the range are
 * read. False when the partition's files are not known here or a segment
 * cannot be read. */
static bool read_range(void *ctx, size_t part, int64_t lo, int64_t hi, kg_range *out)
{
    kaudit_engine *e = ctx;
    const char *path = e->rep->partitions[part].path;
    const kl_partition *kp = NULL;
    for (size_t i = 0; i < e->set->nparts && !kp; i++)
        if (strcmp(e->set->parts[i].path, path) == 0) kp = &e->set->parts[i];
    if (!kp || lo >= hi) return false;
    kc_ctx *dc = kc_create(e->c.max_entry);
    if (!dc) return false;
    kc_set_budget(dc, DECOMPRESS_SHARE(e));
    *out = (kg_range){ 0, -1, -1 };
    bool ok = true;
    eb_stream st;
    eb_open(&st, kp, lo, e->c.max_entry, e->c.no_cache);
    while (ok && eb_next(&st) && st.b.base_offset < hi) {
        if (st.b.is_control || st.b.last_offset < lo) continue;
        ke_error err;
        kb_iter it;
        kb_record rec;
        if (kw_records(st.w, &st.b, &it, dc, &err) != 0) {
            ok = false;
            break;
        }
        int rc;
        while ((rc = kb_iter_next(&it, &rec, &err)) == 1) {
            if (rec.offset < lo || rec.offset >= hi) continue;
            out->records++;
            if (rec.timestamp >= 0 && (out->first_ts < 0 || rec.timestamp < out->first_ts)) out->first_ts = rec.timestamp;
            if (rec.timestamp > out->last_ts) out->last_ts = rec.timestamp;
        }
        if (rc < 0) ok = false;
    }
    ok = ok && !st.failed;
    eb_close(&st);
    kc_free(dc);
    return ok;
}

/* A leftover spill directory that holds an audited path is kept: the
 * audit writes nothing where it reads. */
static bool holds_input(const char *dir, void *ctx)
{
    const rm_report *r = ctx;
    for (size_t i = 0; i < r->ninputs; i++)
        if (path_within(r->inputs[i], dir)) return true;
    return false;
}

/* An error of a digest, as a problem of the report. */
static void digest_problem(kaudit_engine *e, const char *path, const ke_error *ke)
{
    char line[1400];
    if (ke->pos >= 0) snprintf(line, sizeof line, "%s at byte %lld: %s", path, (long long)ke->pos, ke->msg);
    else snprintf(line, sizeof line, "%s: %s", path, ke->msg);
    rm_add_problem(e->rep, "%s", line);
    if (e->cb && e->cb->problem) e->cb->problem(e->cb->ctx, line);
}

/*
 * kaudit compare with digests: each is opened (read whole and checked)
 * before the data is read, so that of the data only the partitions held
 * twice, or held in a digest too, are read. Each digest's table of copies
 * may take an equal part of half of max_memory; one that would take more,
 * or that fails its checks, is a problem of the report, and the rest are
 * compared without it.
 */
static void open_digests(kaudit_engine *e)
{
    e->dfiles = calloc(e->ndigests + 2, sizeof *e->dfiles);
    if (!e->dfiles) {
        e->rep->oom = true;
        return;
    }
    size_t share = (size_t)(e->c.max_memory / 2) / (e->ndigests + 1);
    if (share < ((size_t)1 << 20)) share = (size_t)1 << 20;
    e->dshare = share;
    ke_error ke;
    for (size_t i = 0; i < e->ndigests; i++) {
        if ((e->dfiles[e->ndfiles] = ed_open(e->digests[i], share, &ke))) e->ndfiles++;
        else digest_problem(e, e->digests[i], &ke);
    }
}

/* Does a digest opened hold a copy of kp's topic-partition? */
static bool in_digests(const kaudit_engine *e, const kl_partition *kp)
{
    for (size_t i = 0; i < e->ndfiles; i++) {
        const ed_file *f = e->dfiles[i];
        size_t lo = 0, hi = f->nparts; /* a digest's copies are in topic, partition, path order */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int c = strcmp(f->parts[mid].topic, kp->topic);
            if (!c) c = f->parts[mid].p.partition < kp->partition ? -1 : f->parts[mid].p.partition > kp->partition;
            if (!c) return true;
            if (c < 0) lo = mid + 1;
            else hi = mid;
        }
    }
    return false;
}

/* After the data's jobs: the data audited is digested to a scratch file of
 * the private directory and compared with the digests. */
static void compare_digests(kaudit_engine *e)
{
    if (!e->dfiles) return;
    FILE *scratch = NULL;
    ke_error ke;
    if (e->rep->npartitions) {
        char why[256], path[64];
        int fd = sp_scratch(e->spills, why, sizeof why);
        if (fd < 0 || !(scratch = fdopen(fd, "w+b"))) {
            if (fd >= 0) close(fd);
            rm_add_problem(e->rep, "the data given was not compared with the digests: %s",
                           fd < 0 ? why : "cannot open a scratch file");
        } else if (ed_write(e->set, e->rep, scratch, e->c.max_entry, e->c.no_cache, &ke) < 0) {
            digest_problem(e, "the digest of the data given", &ke);
        } else {
            /* Read back through its name: cursors open it again. */
            snprintf(path, sizeof path, "/proc/self/fd/%d", fileno(scratch));
            if ((e->dfiles[e->ndfiles] = ed_open(path, e->dshare, &ke))) e->dfiles[e->ndfiles++]->local = true;
            else digest_problem(e, "the digest of the data given", &ke);
        }
    }
    er_compare_digests(e->dfiles, e->ndfiles, e->rep);
    if (scratch) fclose(scratch);
}

int kaudit_digest(const kaudit_engine *e, FILE *out, kaudit_error *err)
{
    ae_clear(err);
    if (!e->ran) return ae_fail(err, KAUDIT_EUSAGE, NULL, "kaudit_digest comes after kaudit_run");
    ke_error ke;
    int rc = ed_write(e->set, e->rep, out, e->c.max_entry, e->c.no_cache, &ke);
    if (rc == KE_NOMEM) return ae_fail(err, KAUDIT_ENOMEM, NULL, "%s", ke.msg);
    if (rc < 0) return ae_fail(err, KAUDIT_EWRITE, NULL, "%s", ke.msg);
    return 0;
}

/* An input that is not audited, in the report's problems and said. */
static void input_problem(kaudit_engine *e, const char *file, const char *msg)
{
    rm_add_problem(e->rep, "%s: %s", file, msg);
    if (!e->cb || !e->cb->problem) return;
    char line[1200];
    snprintf(line, sizeof line, "%s: %s", file, msg);
    e->cb->problem(e->cb->ctx, line);
}

/* Is a file given alone audited as a segment (a .log of any name)? */
static bool loose_segment(const kl_file *f)
{
    return (f->kind == KL_SEGMENT || f->kind == KL_OTHER) && !kl_not_kafka(f);
}

/* The identity stage's view of the jobs (engine/identity.h), before they
 * run. 0, or -1 when out of memory. */
static int identity_setup(kaudit_engine *e)
{
    e->idparts = calloc(e->njobs + 1, sizeof *e->idparts);
    e->idtopics = calloc(e->njobs + 1, sizeof *e->idtopics);
    e->idloose = calloc(e->njobs + 1, sizeof *e->idloose);
    if (!e->idparts || !e->idtopics || !e->idloose) return -1;
    for (size_t i = 0; i < e->njobs; i++) {
        const ee_job *j = &e->jobs[i];
        ei_part *x = &e->idparts[i];
        x->rep_index = (size_t)-1;
        if (j->part) {
            x->topic = j->part->topic, x->partition = j->part->partition, x->kp = j->part;
            continue;
        }
        char topic[512];
        loose_partition(j->file->path, topic, sizeof topic, &x->partition);
        if (!(e->idtopics[i] = strdup(topic))) return -1;
        x->topic = e->idtopics[i];
        /* Read only (eb_open), never freed through it. */
        e->idloose[i] = (kl_partition){ .path = j->file->path, .topic = e->idtopics[i], .partition = x->partition,
                                        .state = "", .files = (kl_file *)j->file, .nfiles = 1, .logdir = -1, .home = -1 };
        x->kp = &e->idloose[i];
    }
    e->idc = ei_create(e->spills, IDENTITY_SHARE(&e->c), e->idparts, e->njobs);
    return e->idc ? 0 : -1;
}

static void identity_free(kaudit_engine *e)
{
    ei_free(e->idc);
    e->idc = NULL;
    for (size_t i = 0; e->idtopics && i < e->njobs; i++) free(e->idtopics[i]);
    free(e->idtopics), free(e->idparts), free(e->idloose);
    e->idtopics = NULL, e->idparts = NULL, e->idloose = NULL;
}

/* Whose copy each job's partition is (ri_label_copies), from every copy
 * found, audited or not: labels[i] for set->parts[i], labels[nparts + k]
 * for set->loose[k] (free with free_labels). Out of memory: the jobs go
 * unlabelled, and only copies of one partition lose their distinction. */
static char **label_jobs(kaudit_engine *e)
{
    const kl_set *set = e->set;
    size_t n = set->nparts + set->nloose;
    ri_copy *c = calloc(n + 1, sizeof *c);
    size_t *at = calloc(n + 1, sizeof *at); /* c[k] labels labels[at[k]] */
    char (*topics)[512] = calloc(set->nloose + 1, sizeof *topics);
    char **labels = calloc(n + 1, sizeof *labels);
    if (!c || !at || !topics || !labels) {
        free(c), free(at), free(topics), free(labels);
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < set->nparts; i++, k++) {
        c[k] = (ri_copy){ set->parts[i].topic, set->parts[i].partition, set->parts[i].path, false, NULL };
        at[k] = i;
    }
    for (size_t i = 0; i < set->nloose; i++) {
        if (!loose_segment(&set->loose[i])) continue;
        c[k] = (ri_copy){ topics[i], -1, set->loose[i].path, true, NULL };
        loose_partition(c[k].path, topics[i], sizeof topics[i], &c[k].partition);
        if (c[k].partition < 0) { /* in no partition directory: its name, and its folder for a log directory */
            const char *slash = strrchr(c[k].path, '/');
            c[k].topic = slash ? slash + 1 : c[k].path;
            c[k].file = false;
        }
        at[k++] = set->nparts + i;
    }
    ri_label_copies(c, k);
    for (size_t i = 0; i < k; i++) labels[at[i]] = c[i].label;
    for (size_t j = 0; j < e->njobs; j++) {
        ee_job *x = &e->jobs[j];
        x->copy = x->part ? labels[x->part - set->parts]
                  : x->file ? labels[set->nparts + (size_t)(x->file - set->loose)]
                            : NULL;
    }
    free(c), free(at), free(topics);
    return labels;
}

static void free_labels(char **labels, size_t n)
{
    for (size_t i = 0; labels && i < n; i++) free(labels[i]);
    free(labels);
}

int kaudit_run(kaudit_engine *e, const kaudit_callbacks *cb, kaudit_error *err)
{
    ae_clear(err);
    if (e->ran) return ae_fail(err, KAUDIT_EUSAGE, NULL, "an engine runs once");
    e->ran = true;
    e->cb = cb;
    kl_set *set = e->set;
    kl_finish(set);
    size_t swept = sp_dir_sweep(e->spills, holds_input, e->rep);
    if (swept)
        notice(e, "kaudit: removed %zu empty spill director%s left in %s by audits that were killed", swept,
               swept == 1 ? "y" : "ies", sp_dir_base(e->spills));
    if (e->c.redact) {
        char what[64];
        snprintf(what, sizeof what, "%s%s%s%s%s", e->c.redact & KAUDIT_REDACT_KEYS ? "keys" : "",
                 (e->c.redact & KAUDIT_REDACT_KEYS) && (e->c.redact & ~KAUDIT_REDACT_KEYS) ? ", " : "",
                 e->c.redact & KAUDIT_REDACT_VALUES ? "values" : "",
                 (e->c.redact & KAUDIT_REDACT_VALUES) && (e->c.redact & KAUDIT_REDACT_HEADERS) ? ", " : "",
                 e->c.redact & KAUDIT_REDACT_HEADERS ? "header values" : "");
        rm_add_meta(e->rep, "Redacted", what);
    }
    for (size_t i = 0; i < set->nlogdirs; i++) ep_logdir_meta(e->rep, &set->logdirs[i]);
    for (size_t i = 0; i < set->nproblems; i++) {
        rm_add_problem(e->rep, "%s: %s", set->problems[i].file, set->problems[i].msg);
        if (cb && cb->problem) {
            char line[1200];
            snprintf(line, sizeof line, "%s: %s", set->problems[i].file, set->problems[i].msg);
            cb->problem(cb->ctx, line);
        }
    }
    e->jobs = calloc(set->nloose + set->nparts + 1, sizeof *e->jobs);
    e->njobs = 0;
    size_t found = set->nparts, matched = 0; /* for the filters that match nothing */
    for (size_t i = 0; i < set->nparts; i++) matched += topic_selected(e, set->parts[i].topic);
    for (size_t i = 0; e->jobs && i < set->nloose; i++) {
        const kl_file *f = &set->loose[i];
        char topic[512];
        int32_t part;
        loose_partition(f->path, topic, sizeof topic, &part);
        /* Named directly and not Kafka's (/etc/passwd, a .tgz): skipped and
         * said, as kaudit dump does (kl_not_kafka). */
        if (kl_not_kafka(f)) input_problem(e, f->path, kl_not_kafka(f));
        found += loose_segment(f);
        matched += loose_segment(f) && topic_selected(e, topic);
        if (!loose_segment(f) || !topic_selected(e, topic)) continue;
        if (e->c.compare_only || e->c.integrity_only)
            rm_add_problem(e->rep, "%s: a file given alone belongs to no partition directory: not %s", f->path,
                           e->c.compare_only ? "compared" : "in the digest");
        else
            e->jobs[e->njobs++].file = f;
    }
    /* Every partition read for its integrity only: kaudit digest, and
     * kaudit compare given digests (any copy may be held twice). */
    bool light_all = e->c.integrity_only;
    if (e->ndigests) open_digests(e);
    /* Copies of one partition on several brokers of one cluster: one in
     * full, the others for their integrity (engine/replicas.h). */
    int rc_plan = 0;
    long *full = calloc(set->nparts + 1, sizeof *full);
    bool *twice = calloc(set->nparts + 1, sizeof *twice);
    if (!full || !twice || er_plan(set, full, twice) < 0) {
        free(full), free(twice);
        full = NULL, twice = NULL;
        rc_plan = e->c.compare_only ? KAUDIT_ENOMEM : 0; /* compare cannot tell which to compare */
    }
    for (size_t i = 0; e->jobs && i < set->nparts; i++)
        if (topic_selected(e, set->parts[i].topic) &&
            (!e->c.compare_only || light_all || (twice && twice[i]) || (e->ndfiles && in_digests(e, &set->parts[i])))) {
            ee_job *j = &e->jobs[e->njobs++];
            j->light = e->c.compare_only || e->c.integrity_only;
            j->part = &set->parts[i];
            j->full_copy = full && full[i] >= 0 && topic_selected(e, set->parts[full[i]].topic) ? set->parts[full[i]].path
                                                                                                : NULL;
        }
    free(full);
    free(twice);
    char **labels = e->jobs ? label_jobs(e) : NULL;
    if (e->jobs && e->id_rules.n && identity_setup(e) < 0) rc_plan = KAUDIT_ENOMEM;
    long threads = e->c.jobs ? e->c.jobs : sysconf(_SC_NPROCESSORS_ONLN);
    int rc = !e->jobs || run_jobs(e, threads < 1 ? 1 : threads) < 0 ? KAUDIT_ENOMEM : rc_plan;
    free_labels(labels, set->nparts + set->nloose);
    free(e->jobs);
    e->jobs = NULL;
    /* Duplicates by identity, across each topic's partitions. */
    if (e->idc && ei_finish(e->idc, e->idparts, e->rep, &e->rules, e->c.max_entry, e->c.no_cache, e->c.max_examples) < 0)
        e->incomplete++;
    identity_free(e);
    kg_findings(e->rep, read_range, e); /* consumer groups against the partitions they read */
    /* Copies of a partition on several brokers. */
    if (e->ndigests) compare_digests(e);
    else if (!e->c.integrity_only) er_compare(e->set, e->rep, e->c.max_entry, e->c.no_cache);
    rm_finish(e->rep);
    rm_baseline_compare(e->rep, e->c.off_lo, e->c.off_hi, e->c.since != INT64_MIN || e->c.until != INT64_MAX);
    ri_scope_warnings(e->rep, &e->c, found + e->ndigests, matched + e->ndigests); /* a digest holds partitions */
    e->cb = NULL;
    /* The audit's time, from the engine's creation (walking the paths
     * added is part of it); not with a report time given: a reproducible
     * report (SOURCE_DATE_EPOCH) carries nothing that differs run to run. */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (e->c.generated_at_ms <= 0)
        e->rep->duration_ms =
            (int64_t)(now.tv_sec - e->created.tv_sec) * 1000 + (now.tv_nsec - e->created.tv_nsec) / 1000000;
    if (e->rep->oom && rc == 0) rc = KAUDIT_ENOMEM; /* something counted was not kept: not complete */
    if (rc < 0) {
        e->failed = true;
        return ae_fail(err, KAUDIT_ENOMEM, NULL, "out of memory");
    }
    if (cb && cb->cancelled && cb->cancelled(cb->ctx)) {
        e->failed = true;
        return ae_fail(err, KAUDIT_ECANCEL, NULL, "cancelled");
    }
    return 0;
}

kaudit_outcome kaudit_outcome_of(const kaudit_engine *e)
{
    kaudit_outcome o = { e->rep->nproblems, e->incomplete, rm_worst(e->rep), false, -1, e->rep->nwarnings };
    const rm_baseline *b = e->rep->baseline;
    for (int s = RM_ERROR; b && s >= RM_INFO && o.worst_new < 0; s--)
        if (b->new_by_severity[s] > 0) o.worst_new = s;
    o.complete = e->ran && !e->failed && o.problems == 0 && o.incomplete == 0;
    return o;
}

int kaudit_render(const kaudit_engine *e, int format, FILE *f, bool color, kaudit_error *err)
{
    ae_clear(err);
    const char *v = KAUDIT_VERSION;
    errno = 0;
    int rc = format == KAUDIT_FORMAT_JSON       ? rr_json(e->rep, f, v)
             : format == KAUDIT_FORMAT_HTML     ? rr_html(e->rep, f, v)
             : format == KAUDIT_FORMAT_MARKDOWN ? rr_markdown(e->rep, f, v, e->c.max_examples < 0 ? -1 : 10)
             : format == KAUDIT_FORMAT_PROMETHEUS ? rr_prometheus(e->rep, f, v)
                                                : rr_text(e->rep, f, v, 5, color);
    /* Flushed here: a full disk behind a buffered stream shows only then.
     * A write that failed while rendering (the JSON is one fwrite) left
     * its reason in errno, and a flush with nothing left to write keeps it. */
    int why = errno;
    errno = 0;
    if (fflush(f) != 0) rc = -1, why = errno;
    if (ferror(f)) rc = -1;
    return rc < 0 ? ae_fail(err, KAUDIT_EWRITE, NULL, "writing the report failed%s%s", why ? ": " : "",
                         why ? strerror(why) : "")
                  : 0;
}
