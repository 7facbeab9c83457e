/* replicas.c - see replicas.h. */
#include "replicas.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include <xxhash.h>

#include "engine/batches.h"
#include "engine/digest.h"
#include "reader/checkpoint.h"
#include "reader/segment.h"
#include "reader/walk.h"
#include "report/types.h"

/* meta.properties is small. */
#define META_CAP ((size_t)1 << 20)

/* One copy of a topic-partition: in segments (kp) or in a digest (dp). */
typedef struct er_copy {
    const kl_partition *kp;
    const ed_part *dp;
    const char *topic, *path;
    int32_t partition;
    long home;                 /* its log directory (for a digest's, numbered across digests), -1 none */
    size_t idx;                /* in the report's partitions */
    er_facts f;
} er_copy;

/* A copy's batches in order, from its segments or its digest. */
typedef struct er_stream {
    eb_stream s;
    ed_cursor d;
    bool digest;
    kb_batch b;                /* the current batch */
    int ctrl;                  /* its marker's type (eb_control_type) */
    bool have, failed;
} er_stream;

static bool er_next(er_stream *s)
{
    if (s->digest) {
        s->have = ed_cursor_next(&s->d, &s->b, &s->ctrl);
        s->failed = s->d.failed;
        return s->have;
    }
    s->have = eb_next(&s->s);
    s->failed = s->s.failed;
    if (s->have) s->b = s->s.b, s->ctrl = eb_control_type(&s->b);
    return s->have;
}

/* Ready s at c's first batch. */
static void er_open(er_stream *s, const er_copy *c, size_t max_entry, bool no_cache)
{
    memset(s, 0, sizeof *s);
    if (c->dp) {
        s->digest = true;
        if (!ed_cursor_open(&s->d, c->dp)) s->failed = true;
    } else {
        eb_open(&s->s, c->kp, INT64_MIN, max_entry, no_cache);
    }
    if (!s->failed) er_next(s);
}

static void er_close(er_stream *s)
{
    if (s->digest) ed_cursor_close(&s->d);
    else eb_close(&s->s);
}

/* Do two batches agree, as a follower's copy of the leader's must? */
static bool same_batch(const kb_batch *a, const kb_batch *b)
{
    return a->base_offset == b->base_offset && a->last_offset == b->last_offset &&
           a->partition_leader_epoch == b->partition_leader_epoch && a->crc == b->crc;
}

/*
 * May a and b, different, still be one log's two copies? The log cleaner
 * runs on each broker on its own (compacted topics, __consumer_offsets):
 * it rewrites a batch without some of its records (keeping its base offset,
 * leader epoch and producer fields) or drops it whole, at different times
 * on different brokers. Within one leader epoch there was one leader, so
 * two copies cannot fork there; a fork shows as different leader epochs.
 * Returns 0 when they conflict, else which to step past: 3 both (the same
 * batch cleaned differently), 1 a (a batch the other cleaned away), 2 b.
 */
static int cleaned_apart(const kb_batch *a, const kb_batch *b)
{
    if (a->partition_leader_epoch != b->partition_leader_epoch) return 0;
    if (a->base_offset == b->base_offset)
        return a->producer_id == b->producer_id && a->producer_epoch == b->producer_epoch &&
                       a->base_sequence == b->base_sequence && a->is_control == b->is_control
                   ? 3
                   : 0;
    if (a->last_offset < b->base_offset) return 1;
    if (b->last_offset < a->base_offset) return 2;
    return 0;
}

#define ER_PRODUCERS 8 /* named per side of a fork; the rest summed */

/* Records of a copy's tail: by producer id (-1: no idempotence), and which
 * of them consumers could have read before the tail was cut. */
typedef struct er_tally {
    int64_t pid[ER_PRODUCERS], n[ER_PRODUCERS];
    int used;
    int64_t others, transactional;
    int64_t hw;                  /* the copy's high watermark, -1 unknown: records below it were readable */
    int64_t uncommitted_visible; /* data records below hw: read_uncommitted consumers could read them */
    int64_t committed_visible;   /* of those, not transactional, or of a transaction committed below hw */
    struct { int64_t pid, n; } *open; /* transactional records below hw awaiting their marker */
    size_t nopen, capopen;
    bool open_failed;            /* out of memory: committed_visible unknown */
} er_tally;

/* The records of b at offsets below hw (all when hw is past it). */
static int64_t below(const kb_batch *b, int64_t hw)
{
    if (hw < 0 || b->base_offset >= hw) return 0;
    if (b->last_offset < hw) return b->count;
    return hw - b->base_offset < b->count ? hw - b->base_offset : b->count;
}

/* The transactional records of pid waiting for their marker in t. */
static int64_t *open_txn(er_tally *t, int64_t pid)
{
    for (size_t i = 0; i < t->nopen; i++)
        if (t->open[i].pid == pid) return &t->open[i].n;
    if (t->nopen == t->capopen) {
        size_t ncap = t->capopen ? t->capopen * 2 : 8;
        void *np = realloc(t->open, ncap * sizeof *t->open);
        if (!np) return t->open_failed = true, NULL;
        t->open = np, t->capopen = ncap;
    }
    t->open[t->nopen].pid = pid, t->open[t->nopen].n = 0;
    return &t->open[t->nopen++].n;
}

/* What batch b does to t's counts of what consumers could read: a read
 * committed consumer reads a transaction's records once its COMMIT marker
 * is below the high watermark (the last stable offset passes it), and
 * never an aborted one's. */
static void visibility(er_tally *t, const kb_batch *b, int ctrl)
{
    int64_t n = below(b, t->hw);
    if (b->is_control) {
        if (!b->is_transactional || !n) return;
        int64_t *open = open_txn(t, b->producer_id);
        if (!open) return;
        if (ctrl == KB_CTRL_COMMIT) t->committed_visible += *open;
        *open = 0;
        return;
    }
    t->uncommitted_visible += n;
    if (!b->is_transactional) {
        t->committed_visible += n;
    } else if (n) {
        int64_t *open = open_txn(t, b->producer_id);
        if (open) *open += n;
    }
}

/* Data records of s from its current batch on, at offsets >= from, counted
 * into t (NULL: not). */
static int64_t records_from(er_stream *s, int64_t from, er_tally *t)
{
    int64_t n = 0;
    for (bool more = s->have; more; more = er_next(s)) {
        if (s->b.base_offset < from) continue;
        if (t) visibility(t, &s->b, s->ctrl);
        if (s->b.is_control) continue;
        n += s->b.count;
        if (!t) continue;
        if (s->b.is_transactional) t->transactional += s->b.count;
        int k = 0;
        while (k < t->used && t->pid[k] != s->b.producer_id) k++;
        if (k == t->used && k < ER_PRODUCERS) t->pid[t->used++] = s->b.producer_id, t->n[k] = 0;
        if (k < t->used) t->n[k] += s->b.count;
        else t->others += s->b.count;
    }
    return n;
}

/* "producer 1000: 39, producer 1001: 12, others: 3" into out. */
static void tally_words(const er_tally *t, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (int k = 0; k < t->used && o < cap; k++) {
        if (t->pid[k] >= 0)
            o += (size_t)snprintf(out + o, cap - o, "%sproducer %" PRId64 ": %" PRId64, k ? ", " : "", t->pid[k], t->n[k]);
        else
            o += (size_t)snprintf(out + o, cap - o, "%swithout producer id: %" PRId64, k ? ", " : "", t->n[k]);
    }
    if (t->others && o < cap) snprintf(out + o, cap - o, ", other producers: %" PRId64, t->others);
}

/* What a log directory says of itself, read once per comparison: its
 * broker and cluster (meta.properties) and its high watermarks
 * (replication-offset-checkpoint: what each partition's leader had
 * committed when this broker last wrote it). */
typedef struct er_dir {
    bool read;
    int32_t broker;            /* broker.id, else node.id; -1 unknown */
    char cluster[KK_STR_MAX];  /* cluster.id, "" unknown */
    kk_checkpoint *hw;         /* NULL when none or unreadable */
} er_dir;

static void dir_read(const kl_logdir *ld, er_dir *d)
{
    d->read = true;
    d->broker = -1;
    for (size_t i = 0; i < ld->nfiles; i++) {
        const char *name = strrchr(ld->files[i].path, '/');
        bool meta = ld->files[i].kind == KL_META_PROPERTIES;
        if (!meta && (!name || strcmp(name + 1, "replication-offset-checkpoint") != 0)) continue;
        uint8_t *buf;
        size_t len;
        ke_error e;
        if (ks_read_file(ld->files[i].path, META_CAP, &buf, &len, &e) < 0) continue;
        kk_meta_properties m;
        if (meta && kk_meta_properties_parse(&m, buf, len, &e) == 0) {
            d->broker = m.has_broker_id ? m.broker_id : m.has_node_id ? m.node_id : -1;
            if (m.has_cluster_id) snprintf(d->cluster, sizeof d->cluster, "%s", m.cluster_id);
        } else if (!meta && !d->hw && kk_checkpoint_parse(&d->hw, KK_OFFSETS, buf, len, &e) < 0) {
            d->hw = NULL;
        }
        free(buf);
    }
}

struct er_dirs {
    const kl_set *set;
    er_dir *d;
};

er_dirs *er_dirs_create(const kl_set *set)
{
    er_dirs *d = calloc(1, sizeof *d);
    if (!d || !(d->d = calloc(set->nlogdirs + 1, sizeof *d->d))) return free(d), NULL;
    d->set = set;
    return d;
}

void er_dirs_free(er_dirs *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->set->nlogdirs; i++) kk_checkpoint_free(d->d[i].hw);
    free(d->d);
    free(d);
}

/* The base offset and size of a copy's last segment (-1, 0 when none). */
static void last_segment(const kl_partition *kp, int64_t *base, int64_t *size)
{
    *base = -1, *size = 0;
    for (size_t i = 0; i < kp->nfiles; i++)
        if (kp->files[i].kind == KL_SEGMENT && kp->files[i].base_offset >= *base) {
            struct stat st;
            *base = kp->files[i].base_offset;
            *size = stat(kp->files[i].path, &st) == 0 ? st.st_size : 0;
        }
}

void er_facts_of(er_dirs *dirs, const kl_partition *kp, er_facts *out)
{
    *out = (er_facts){ .broker = -1, .hw = -1 };
    for (size_t i = 0; i < kp->nfiles; i++)
        out->truncating |= kp->files[i].kind == KL_TRANSIENT && kp->files[i].base_kind == KL_SEGMENT;
    last_segment(kp, &out->last_base, &out->last_size);
    if (kp->home < 0) return;
    er_dir *d = &dirs->d[kp->home];
    if (!d->read) dir_read(&dirs->set->logdirs[kp->home], d);
    out->broker = d->broker;
    snprintf(out->cluster, sizeof out->cluster, "%s", d->cluster);
    for (size_t j = 0; d->hw && j < d->hw->n; j++)
        if (strcmp(d->hw->entries[j].topic, kp->topic) == 0 && d->hw->entries[j].partition == kp->partition)
            out->hw = d->hw->entries[j].offset;
}

static void field_offset(rm_finding *f, const char *key, int64_t v)
{
    if (v >= 0) rm_field_int(f, key, v);
    else rm_field_null(f, key);
}

static void field_broker(rm_finding *f, const char *key, int32_t id)
{
    if (id >= 0) rm_field_int(f, key, id);
    else rm_field_null(f, key);
}

/* A copy's log end offset as the broker has it: past its last batch, or for
 * a copy holding none its first segment's base offset (0 without one). */
static int64_t log_end(const rm_partition *p)
{
    return p->log_end_offset >= 0 ? p->log_end_offset : p->kafka_log_start >= 0 ? p->kafka_log_start : 0;
}

/* Copies c and ref part at the batches a and b hold: a fork. Says where,
 * with what each side alone holds, whose tail Kafka's truncation removes
 * (the side of the older leader epoch: KIP-101/KIP-279, formats doc), and
 * who could have read the records lost with it. */
static void diverged(rm_report *r, const er_copy *c, const er_copy *ref, er_stream *a, er_stream *b)
{
    if (!rm_shows(r, RT_REPLICA_DIVERGENCE)) return; /* --types: neither counted nor an incident */
    const rm_partition *mine = &r->partitions[c->idx], *theirs = &r->partitions[ref->idx];
    int64_t at = a->b.base_offset < b->b.base_offset ? a->b.base_offset : b->b.base_offset;
    int32_t epoch = a->b.partition_leader_epoch, other_epoch = b->b.partition_leader_epoch;
    er_tally th = { .used = 0, .hw = c->f.hw }, to = { .used = 0, .hw = ref->f.hw };
    int64_t here = records_from(a, at, &th), there = records_from(b, at, &to);
    rm_finding *f = rm_add_finding(r, RT_REPLICA_DIVERGENCE, 0, RM_ERROR, c->idx, at);
    if (f) {
        rm_field_str(f, "other_path", theirs->path);
        field_broker(f, "broker_id", c->f.broker);
        field_broker(f, "other_broker_id", ref->f.broker);
        rm_field_int(f, "diverge_offset", at);
        rm_field_int(f, "leader_epoch", epoch);
        rm_field_int(f, "other_leader_epoch", other_epoch);
        /* In one leader epoch the bytes cannot tell whose tail goes. */
        rm_field_str(f, "truncated_side", epoch < other_epoch ? "here" : epoch > other_epoch ? "other" : "unknown");
        rm_field_int(f, "records_only_here", here);
        rm_field_int(f, "records_only_other", there);
        char words[400];
        tally_words(&th, words, sizeof words);
        if (here) rm_field_str(f, "producers_only_here", words);
        tally_words(&to, words, sizeof words);
        if (there) rm_field_str(f, "producers_only_other", words);
        rm_field_int(f, "transactional_only_here", th.transactional);
        rm_field_int(f, "transactional_only_other", to.transactional);
        field_offset(f, "high_watermark", c->f.hw);
        field_offset(f, "other_high_watermark", ref->f.hw);
        /* Offsets past the divergence that a copy's broker had seen
         * committed (acknowledged to acks=all producers): lost with that
         * copy's tail. */
        rm_field_int(f, "committed_offsets_only_here", c->f.hw > at ? c->f.hw - at : 0);
        rm_field_int(f, "committed_offsets_only_other", ref->f.hw > at ? ref->f.hw - at : 0);
        /* Of each tail, the records consumers could have read (below the
         * high watermark its broker checkpointed: a lower bound), by
         * isolation level; unknown without a checkpoint. */
        field_offset(f, "read_uncommitted_only_here", th.hw >= 0 ? th.uncommitted_visible : -1);
        field_offset(f, "read_uncommitted_only_other", to.hw >= 0 ? to.uncommitted_visible : -1);
        field_offset(f, "read_committed_only_here", th.hw >= 0 && !th.open_failed ? th.committed_visible : -1);
        field_offset(f, "read_committed_only_other", to.hw >= 0 && !to.open_failed ? to.committed_visible : -1);
        rm_field_int(f, "log_end_offset", log_end(mine));
        rm_field_int(f, "other_log_end_offset", log_end(theirs));
    }
    free(th.open);
    free(to.open);
    rm_group g = { "replica_divergence", XXH3_64bits(theirs->path, strlen(theirs->path)), -1, -1, -1, -1, -1 };
    rm_group_finding(r, &g, c->idx, RM_ERROR, -1, at, at, here, f);
}

/* Compare copy c with the reference copy ref. When their log directories
 * do not name one cluster (a 2.x broker's meta.properties may hold no
 * cluster.id), they are taken for copies of one log only if they agree on
 * the first batch both hold: partitions of the same name on two clusters'
 * brokers are two logs, not a fork. 0, or 1 when they share no batch and
 * nothing tells they are one log's. */
static int compare(rm_report *r, const er_copy *c, const er_copy *ref, size_t max_entry, bool no_cache, bool related)
{
    bool same_cluster = related || (c->f.cluster[0] && strcmp(c->f.cluster, ref->f.cluster) == 0);
    const rm_partition *mine = &r->partitions[c->idx], *theirs = &r->partitions[ref->idx];
    er_stream a, b;
    er_open(&a, c, max_entry, no_cache);
    er_open(&b, ref, max_entry, no_cache);
    /* From the offsets both hold: retention may have removed more of one. */
    while (a.have && b.have && a.b.last_offset < b.b.base_offset) er_next(&a);
    while (a.have && b.have && b.b.last_offset < a.b.base_offset) er_next(&b);
    /* Of no named cluster, they must share a batch to be one log's copies
     * (or their directories another partition's: er_compare asks again):
     * an empty copy, or one ending before the other starts, says nothing. */
    if (!same_cluster && !(a.have && b.have && same_batch(&a.b, &b.b))) {
        er_close(&a);
        er_close(&b);
        return 1;
    }
    int64_t cleaned = 0; /* batches told apart by the cleaners alone */
    while (a.have && b.have) {
        int step = same_batch(&a.b, &b.b) ? 3 : cleaned_apart(&a.b, &b.b);
        if (!step) break;
        cleaned += step != 3 || !same_batch(&a.b, &b.b);
        if (step & 1) er_next(&a);
        if (step & 2) er_next(&b);
    }
    if (a.failed || b.failed) {
        rm_partition_note(r, c->idx, "not compared with the copy in %s: %s could not be read", theirs->path,
                          a.digest || b.digest ? "its digest" : "a segment");
    } else if (a.have && b.have) {
        diverged(r, c, ref, &a, &b);
    } else if (b.have) {
        /* This copy ends where the reference goes on: a follower behind. */
        int64_t end = log_end(mine);
        int64_t behind = records_from(&b, end, NULL);
        rm_finding *f = rm_add_finding(r, RT_REPLICA_BEHIND, 0, RM_INFO, c->idx, end);
        if (f) {
            rm_field_str(f, "other_path", theirs->path);
            field_broker(f, "broker_id", c->f.broker);
            field_broker(f, "other_broker_id", ref->f.broker);
            rm_field_int(f, "log_end_offset", end);
            rm_field_int(f, "other_log_end_offset", log_end(theirs));
            rm_field_int(f, "records_behind", behind);
            field_offset(f, "high_watermark", c->f.hw);
            field_offset(f, "other_high_watermark", ref->f.hw);
            /* Truncating (.deleted segments, the rename before deletion) or
             * below the committed point another broker saw: not a mere lag. */
            rm_field_bool(f, "truncating", c->f.truncating);
        }
    } else if (cleaned) {
        rm_partition_note(r, c->idx,
                          "agrees with the copy in %s but for %" PRId64 " batches the two brokers' log cleaners "
                          "left differently (same leader epochs)",
                          theirs->path, cleaned);
    } else {
        rm_partition_note(r, c->idx, "agrees batch for batch with the copy in %s", theirs->path);
    }
    er_close(&a);
    er_close(&b);
    return 0;
}

/* The copies in order: topic, partition, path. */
static int cmp_copy(const void *x, const void *y)
{
    const er_copy *a = x, *b = y;
    int c = strcmp(a->topic, b->topic);
    if (c) return c;
    if (a->partition != b->partition) return a->partition < b->partition ? -1 : 1;
    return strcmp(a->path, b->path);
}

/* The end of the run of copies of all[i]'s topic-partition. */
static size_t same_partition(const er_copy *all, size_t n, size_t i)
{
    size_t j = i + 1;
    while (j < n && strcmp(all[j].topic, all[i].topic) == 0 && all[j].partition == all[i].partition) j++;
    return j;
}

/* The partitions of set (not -delete, -future or -stray copies: not
 * replicas) sorted by topic, partition and path, their idx the index in
 * set->parts and facts not yet read, into *out (the caller frees it);
 * how many, or (size_t)-1 out of memory. */
static size_t copies_of(const kl_set *set, er_copy **out)
{
    *out = calloc(set->nparts + 1, sizeof **out);
    if (!*out) return (size_t)-1;
    size_t n = 0;
    for (size_t i = 0; i < set->nparts; i++) {
        const kl_partition *kp = &set->parts[i];
        if (!kp->state[0])
            (*out)[n++] = (er_copy){ .kp = kp, .topic = kp->topic, .path = kp->path, .partition = kp->partition,
                                     .home = kp->home, .idx = i };
    }
    qsort(*out, n, sizeof **out, cmp_copy);
    return n;
}

int er_plan(const kl_set *set, long *full, bool *twice)
{
    for (size_t i = 0; i < set->nparts; i++) full[i] = -1, twice[i] = false;
    if (set->nparts < 2) return 0;
    er_copy *all;
    er_dirs *dirs = er_dirs_create(set);
    size_t n = dirs ? copies_of(set, &all) : (size_t)-1;
    if (n == (size_t)-1) return er_dirs_free(dirs), -1;
    for (size_t i = 0; i < n;) {
        size_t j = same_partition(all, n, i);
        for (size_t k = i; j - i > 1 && k < j; k++) twice[all[k].idx] = true, er_facts_of(dirs, all[k].kp, &all[k].f);
        /* Per cluster named: one copy in full. Copies of unnamed clusters
         * may be two logs: each is audited in full. */
        for (size_t k = i; j - i > 1 && k < j; k++) {
            if (!all[k].f.cluster[0]) continue;
            size_t best = k;
            bool first = true;
            for (size_t m = i; m < j; m++) {
                if (m == k || strcmp(all[m].f.cluster, all[k].f.cluster) != 0) continue;
                if (m < k) first = false;
                const er_facts *x = &all[m].f, *y = &all[best].f;
                if (x->last_base > y->last_base || (x->last_base == y->last_base && x->last_size > y->last_size))
                    best = m;
            }
            if (!first) continue;
            for (size_t m = i; m < j; m++)
                if (m != best && strcmp(all[m].f.cluster, all[k].f.cluster) == 0) full[all[m].idx] = (long)all[best].idx;
        }
        i = j;
    }
    free(all);
    er_dirs_free(dirs);
    return 0;
}

/* A growing set of pairs (of log directories, or of copies). */
typedef struct er_pairs {
    struct { long a, b; } *p;
    size_t n, cap;
    bool failed;           /* out of memory: a pair was not kept */
} er_pairs;

static void pair_add(er_pairs *s, long a, long b)
{
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 16;
        void *np = realloc(s->p, ncap * sizeof *s->p);
        if (!np) {
            s->failed = true;
            return;
        }
        s->p = np;
        s->cap = ncap;
    }
    s->p[s->n].a = a, s->p[s->n++].b = b;
}

static bool pair_has(const er_pairs *s, long a, long b)
{
    for (size_t i = 0; i < s->n; i++)
        if ((s->p[i].a == a && s->p[i].b == b) || (s->p[i].a == b && s->p[i].b == a)) return true;
    return false;
}

/* Are copies x and y of clusters that may be one (the same cluster.id, or
 * one of them unnamed)? */
static bool may_share(const er_copy *x, const er_copy *y)
{
    return !x->f.cluster[0] || !y->f.cluster[0] || strcmp(x->f.cluster, y->f.cluster) == 0;
}

/* Compare the copies all[i..j) of one topic-partition (each in the report,
 * its facts read). Copies of one cluster are those whose log directories
 * name the same cluster.id, or none (then compare() asks for a shared
 * batch); a partition of the same name on another cluster's broker is
 * another log. Within each, the reference is the copy reaching furthest,
 * the first on a tie. Pairs that shared nothing go to *deferred. */
static void compare_run(rm_report *r, er_copy *all, size_t i, size_t j, er_pairs *related, er_pairs *deferred,
                        size_t max_entry, bool no_cache)
{
    for (size_t k = i; k < j; k++) {
        bool first = true;
        size_t ref = k;
        for (size_t m = i; m < j; m++) {
            if (!may_share(&all[m], &all[k])) continue;
            if (m < k) first = false;
            if (log_end(&r->partitions[all[m].idx]) > log_end(&r->partitions[all[ref].idx])) ref = m;
        }
        if (!first) continue; /* compared from the first copy of its cluster */
        for (size_t m = i; m < j; m++) {
            if (m == ref || !may_share(&all[m], &all[k])) continue;
            bool named = all[m].f.cluster[0] && strcmp(all[m].f.cluster, all[ref].f.cluster) == 0;
            if (compare(r, &all[m], &all[ref], max_entry, no_cache, false) == 0) {
                /* A batch shared: their directories are one cluster's. */
                if (!named && !pair_has(related, all[m].home, all[ref].home)) pair_add(related, all[m].home, all[ref].home);
            } else {
                pair_add(deferred, (long)m, (long)ref);
            }
        }
    }
}

/* Copies that shared no batch (an empty one, one ending before the other
 * starts) are one log's when their directories shared another partition's
 * batches: compared then; else the bytes cannot tell. */
static void compare_deferred(rm_report *r, const er_copy *all, const er_pairs *related, const er_pairs *deferred,
                             size_t max_entry, bool no_cache)
{
    for (size_t k = 0; k < deferred->n; k++) {
        const er_copy *c = &all[deferred->p[k].a], *ref = &all[deferred->p[k].b];
        if (c->home >= 0 && pair_has(related, c->home, ref->home)) compare(r, c, ref, max_entry, no_cache, true);
        else
            rm_partition_note(r, c->idx,
                              "not compared with %s: their log directories name no common cluster.id and share no "
                              "batch, so the bytes cannot tell whether they are copies of one log",
                              r->partitions[ref->idx].path);
    }
}

int er_compare(const kl_set *set, rm_report *r, size_t max_entry, bool no_cache)
{
    er_pairs related = { 0 }, deferred = { 0 };
    if (set->nparts < 2) return 0;
    er_copy *all;
    er_dirs *dirs = er_dirs_create(set);
    size_t n = dirs ? copies_of(set, &all) : (size_t)-1;
    if (n == (size_t)-1) return er_dirs_free(dirs), r->oom = true, -1;
    for (size_t i = 0; i < n;) {
        size_t end = same_partition(all, n, i), j = end;
        /* Copies held more than once and audited (in the report): their
         * idx becomes their index there. */
        size_t kept = i;
        for (size_t k = i; j - i > 1 && k < j; k++)
            for (size_t x = 0; x < r->npartitions; x++)
                if (strcmp(r->partitions[x].path, all[k].path) == 0) {
                    all[kept] = all[k];
                    all[kept++].idx = x;
                    break;
                }
        if (kept - i > 1) {
            j = kept; /* (the rest of the run was not audited: --topics) */
            for (size_t k = i; k < j; k++) er_facts_of(dirs, all[k].kp, &all[k].f);
            compare_run(r, all, i, j, &related, &deferred, max_entry, no_cache);
        }
        i = end;
    }
    compare_deferred(r, all, &related, &deferred, max_entry, no_cache);
    r->oom |= related.failed || deferred.failed;
    free(related.p);
    free(deferred.p);
    free(all);
    er_dirs_free(dirs);
    return 0;
}

/* ---- from digests -------------------------------------------------------------- */

static int cmp_index_path(const void *x, const void *y, void *ctx)
{
    const rm_report *r = ctx;
    return strcmp(r->partitions[*(const size_t *)x].path, r->partitions[*(const size_t *)y].path);
}

/* The report's partitions before the digests' were added, by path: the
 * data given beside digests, already audited. */
typedef struct er_listed {
    size_t *by_path;
    size_t n;
} er_listed;

/* Add copy c (from a digest) to the report, as an audit of its data
 * would have listed it, unless the report lists its path already (the
 * data's own digest). */
static bool add_partition(rm_report *r, const er_listed *l, er_copy *c)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(r->partitions[l->by_path[mid]].path, c->path);
        if (cmp == 0) return c->idx = l->by_path[mid], true;
        if (cmp < 0) lo = mid + 1;
        else hi = mid;
    }
    const kdg_part *p = &c->dp->p;
    size_t idx = rm_add_partition(r, c->topic, c->partition, c->path);
    if (idx == (size_t)-1) return false;
    rm_partition *rp = &r->partitions[idx];
    rp->log_start_offset = p->log_start, rp->log_end_offset = p->log_end, rp->kafka_log_start = p->kafka_log_start;
    rp->segments = p->segments, rp->batches = p->batches, rp->records = p->records;
    rp->control_records = p->control_records, rp->bytes = p->bytes;
    rp->min_timestamp = p->min_timestamp, rp->max_timestamp = p->max_timestamp;
    c->idx = idx;
    if (c->dp->unread)
        rm_partition_note(r, idx, "its digest (%s) left out %" PRId64 " entries that could not be read",
                          c->dp->file->path, c->dp->unread);
    return true;
}

static int cmp_str(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

/* The broker all of f's log directories name, -1 when none or several. */
static int32_t broker_of(const ed_file *f)
{
    int32_t b = -1;
    for (size_t i = 0; i < f->ndirs; i++) {
        if (f->dirs[i].broker < 0 || (b >= 0 && f->dirs[i].broker != b)) return -1;
        b = f->dirs[i].broker;
    }
    return b;
}

/*
 * Brokers usually keep their data at the same path (/var/lib/kafka/data):
 * their digests name their copies alike. A digest holding a path another
 * one holds too has its paths qualified, "broker-2:/var/lib/kafka/data/t-0"
 * (its broker's id when that alone tells it from the others, else its file
 * name: "kafka-2.kdg:..."), so that the report tells the copies apart. The
 * data's own digest keeps its paths (the report lists them already).
 * label[i] gets file i's prefix, "" when none; false out of memory.
 */
static bool qualify(struct ed_file *const *files, size_t nfiles, char (*label)[300])
{
    size_t n = 0;
    for (size_t i = 0; i < nfiles; i++) n += files[i]->nparts, label[i][0] = '\0';
    const char **paths = calloc(n + 1, sizeof *paths);
    if (!paths) return false;
    n = 0;
    for (size_t i = 0; i < nfiles; i++)
        for (size_t k = 0; k < files[i]->nparts; k++) paths[n++] = files[i]->parts[k].path;
    qsort(paths, n, sizeof *paths, cmp_str);
    bool shared = false;
    for (size_t i = 1; i < n && !shared; i++) shared = strcmp(paths[i - 1], paths[i]) == 0;
    free(paths);
    if (!shared) return true;
    for (size_t i = 0; i < nfiles; i++) {
        if (files[i]->local) continue;
        int32_t b = broker_of(files[i]);
        for (size_t j = 0; b >= 0 && j < nfiles; j++)
            if (j != i && broker_of(files[j]) == b) b = -1;
        const char *base = strrchr(files[i]->path, '/');
        if (b >= 0) snprintf(label[i], sizeof label[i], "broker-%d:", b);
        else snprintf(label[i], sizeof label[i], "%s:", base ? base + 1 : files[i]->path);
    }
    return true;
}

int er_compare_digests(struct ed_file *const *files, size_t nfiles, rm_report *r)
{
    size_t n = 0;
    long dirs = 0;
    for (size_t i = 0; i < nfiles; i++) n += files[i]->nparts;
    er_copy *all = calloc(n + 1, sizeof *all);
    char (*label)[300] = calloc(nfiles + 1, sizeof *label);
    char **names = calloc(n + 1, sizeof *names); /* qualified paths, owned */
    if (!all || !label || !names || !qualify(files, nfiles, label))
        return free(all), free(label), free(names), r->oom = true, -1;
    n = 0;
    for (size_t i = 0; i < nfiles; i++) {
        const ed_file *df = files[i];
        for (size_t k = 0; k < df->nparts; k++) {
            const ed_part *dp = &df->parts[k];
            const char *path = dp->path;
            if (label[i][0]) {
                size_t len = strlen(label[i]) + strlen(dp->path) + 1;
                if (!(names[n] = malloc(len))) {
                    for (size_t x = 0; x < n; x++) free(names[x]);
                    return free(all), free(label), free(names), r->oom = true, -1;
                }
                snprintf(names[n], len, "%s%s", label[i], dp->path);
                path = names[n];
            }
            er_copy *c = &all[n++];
            *c = (er_copy){ .dp = dp, .topic = dp->topic, .path = path, .partition = dp->p.partition,
                            .home = dp->p.dir >= 0 ? dirs + dp->p.dir : -1 };
            c->f = (er_facts){ .broker = -1, .hw = dp->p.high_watermark, .truncating = dp->p.truncating,
                               .last_base = dp->p.last_segment_base, .last_size = dp->p.last_segment_size };
            if (dp->p.dir >= 0) {
                const ed_dir *d = &df->dirs[dp->p.dir];
                c->f.broker = d->broker;
                snprintf(c->f.cluster, sizeof c->f.cluster, "%s", d->cluster);
            }
        }
        dirs += (long)df->ndirs;
    }
    qsort(all, n, sizeof *all, cmp_copy);
    er_listed listed = { calloc(r->npartitions + 1, sizeof(size_t)), r->npartitions };
    if (!listed.by_path) {
        for (size_t i = 0; i < n; i++) free(names[i]);
        return free(all), free(label), free(names), r->oom = true, -1;
    }
    for (size_t i = 0; i < listed.n; i++) listed.by_path[i] = i;
    qsort_r(listed.by_path, listed.n, sizeof(size_t), cmp_index_path, r);
    er_pairs related = { 0 }, deferred = { 0 };
    for (size_t i = 0; i < n;) {
        size_t j = same_partition(all, n, i);
        bool ok = true;
        for (size_t k = i; j - i > 1 && k < j && ok; k++) ok = add_partition(r, &listed, &all[k]);
        if (!ok) {
            r->oom = true;
            break;
        }
        if (j - i > 1) compare_run(r, all, i, j, &related, &deferred, 0, false);
        i = j;
    }
    compare_deferred(r, all, &related, &deferred, 0, false);
    r->oom |= related.failed || deferred.failed;
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    free(label);
    free(listed.by_path);
    free(related.p);
    free(deferred.p);
    free(all);
    return 0;
}
