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
#include "reader/checkpoint.h"
#include "reader/segment.h"
#include "reader/walk.h"
#include "report/types.h"

/* meta.properties is small. */
#define META_CAP ((size_t)1 << 20)

/* One copy of a topic-partition. */
typedef struct er_copy {
    const kl_partition *kp;
    size_t idx;                /* in the report's partitions */
    int32_t broker;            /* broker.id (else node.id) of its log directory, -1 unknown */
    char cluster[KK_STR_MAX];  /* cluster.id of its log directory, "" unknown */
    int64_t hw;                /* its high watermark (replication-offset-checkpoint), -1 unknown */
    bool truncating;           /* it holds .deleted segments: the broker is truncating or deleting it */
} er_copy;

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

/* Records of a copy's tail by producer id (-1: no idempotence). */
typedef struct er_tally {
    int64_t pid[ER_PRODUCERS], n[ER_PRODUCERS];
    int used;
    int64_t others, transactional;
} er_tally;

/* Data records of s from its current batch on, at offsets >= from, counted
 * into t (NULL: not). */
static int64_t records_from(eb_stream *s, int64_t from, er_tally *t)
{
    int64_t n = 0;
    for (bool more = s->have; more; more = eb_next(s)) {
        if (s->b.is_control || s->b.base_offset < from) continue;
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

static void dirs_free(er_dir *dirs, size_t n)
{
    for (size_t i = 0; dirs && i < n; i++) kk_checkpoint_free(dirs[i].hw);
    free(dirs);
}

/* The broker and cluster of copy c's log directory, its high watermark,
 * and whether it holds segments being deleted. */
static void identify(const kl_set *set, er_dir *dirs, er_copy *c)
{
    c->broker = -1;
    c->cluster[0] = '\0';
    c->hw = -1;
    c->truncating = false;
    for (size_t i = 0; i < c->kp->nfiles; i++)
        c->truncating |= c->kp->files[i].kind == KL_TRANSIENT && c->kp->files[i].base_kind == KL_SEGMENT;
    if (c->kp->home < 0) return;
    er_dir *d = &dirs[c->kp->home];
    if (!d->read) dir_read(&set->logdirs[c->kp->home], d);
    c->broker = d->broker;
    snprintf(c->cluster, sizeof c->cluster, "%s", d->cluster);
    for (size_t j = 0; d->hw && j < d->hw->n; j++)
        if (strcmp(d->hw->entries[j].topic, c->kp->topic) == 0 && d->hw->entries[j].partition == c->kp->partition)
            c->hw = d->hw->entries[j].offset;
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

/* Compare copy c with the reference copy ref. When their log directories
 * do not name one cluster (a 2.x broker's meta.properties may hold no
 * cluster.id), they are taken for copies of one log only if they agree on
 * the first batch both hold: partitions of the same name on two clusters'
 * brokers are two logs, not a fork. */
static int compare(rm_report *r, const er_copy *c, const er_copy *ref, size_t max_entry, bool no_cache, bool related)
{
    bool same_cluster = related || (c->cluster[0] && strcmp(c->cluster, ref->cluster) == 0);
    const rm_partition *mine = &r->partitions[c->idx], *theirs = &r->partitions[ref->idx];
    eb_stream a, b;
    eb_open(&a, c->kp, INT64_MIN, max_entry, no_cache);
    eb_open(&b, ref->kp, INT64_MIN, max_entry, no_cache);
    eb_next(&a);
    eb_next(&b);
    /* From the offsets both hold: retention may have removed more of one. */
    while (a.have && b.have && a.b.last_offset < b.b.base_offset) eb_next(&a);
    while (a.have && b.have && b.b.last_offset < a.b.base_offset) eb_next(&b);
    /* Of no named cluster, they must share a batch to be one log's copies
     * (or their directories another partition's: er_compare asks again):
     * an empty copy, or one ending before the other starts, says nothing. */
    if (!same_cluster && !(a.have && b.have && same_batch(&a.b, &b.b))) {
        eb_close(&a);
        eb_close(&b);
        return 1;
    }
    int64_t cleaned = 0; /* batches told apart by the cleaners alone */
    while (a.have && b.have) {
        int step = same_batch(&a.b, &b.b) ? 3 : cleaned_apart(&a.b, &b.b);
        if (!step) break;
        cleaned += step != 3 || !same_batch(&a.b, &b.b);
        if (step & 1) eb_next(&a);
        if (step & 2) eb_next(&b);
    }
    if (a.failed || b.failed) {
        rm_partition_note(r, c->idx, "not compared with the copy in %s: a segment could not be read", theirs->path);
    } else if (a.have && b.have) {
        /* A fork: different batches where the copies should agree. */
        int64_t at = a.b.base_offset < b.b.base_offset ? a.b.base_offset : b.b.base_offset;
        int32_t epoch = a.b.partition_leader_epoch, other_epoch = b.b.partition_leader_epoch;
        er_tally th = { .used = 0 }, to = { .used = 0 };
        int64_t here = records_from(&a, at, &th), there = records_from(&b, at, &to);
        rm_finding *f = rm_add_finding(r, RT_REPLICA_DIVERGENCE, 0, RM_ERROR, c->idx, at);
        if (f) {
            rm_field_str(f, "other_path", theirs->path);
            field_broker(f, "broker_id", c->broker);
            field_broker(f, "other_broker_id", ref->broker);
            rm_field_int(f, "diverge_offset", at);
            rm_field_int(f, "leader_epoch", epoch);
            rm_field_int(f, "other_leader_epoch", other_epoch);
            rm_field_int(f, "records_only_here", here);
            rm_field_int(f, "records_only_other", there);
            char words[400];
            tally_words(&th, words, sizeof words);
            if (here) rm_field_str(f, "producers_only_here", words);
            tally_words(&to, words, sizeof words);
            if (there) rm_field_str(f, "producers_only_other", words);
            rm_field_int(f, "transactional_only_here", th.transactional);
            rm_field_int(f, "transactional_only_other", to.transactional);
            field_offset(f, "high_watermark", c->hw);
            field_offset(f, "other_high_watermark", ref->hw);
            /* Offsets past the divergence that a copy's broker had seen
             * committed (acknowledged to acks=all producers): lost with
             * that copy's tail. */
            rm_field_int(f, "committed_offsets_only_here", c->hw > at ? c->hw - at : 0);
            rm_field_int(f, "committed_offsets_only_other", ref->hw > at ? ref->hw - at : 0);
            rm_field_int(f, "log_end_offset", log_end(mine));
            rm_field_int(f, "other_log_end_offset", log_end(theirs));
        }
        rm_group g = { "replica_divergence", XXH3_64bits(theirs->path, strlen(theirs->path)), -1, -1, -1, -1, -1 };
        rm_group_finding(r, &g, c->idx, RM_ERROR, -1, at, at, here, f);
    } else if (b.have) {
        /* This copy ends where the reference goes on: a follower behind. */
        int64_t end = log_end(mine);
        int64_t behind = records_from(&b, end, NULL);
        rm_finding *f = rm_add_finding(r, RT_REPLICA_BEHIND, 0, RM_INFO, c->idx, end);
        if (f) {
            rm_field_str(f, "other_path", theirs->path);
            field_broker(f, "broker_id", c->broker);
            field_broker(f, "other_broker_id", ref->broker);
            rm_field_int(f, "log_end_offset", end);
            rm_field_int(f, "other_log_end_offset", log_end(theirs));
            rm_field_int(f, "records_behind", behind);
            field_offset(f, "high_watermark", c->hw);
            field_offset(f, "other_high_watermark", ref->hw);
            /* Truncating (.deleted segments, the rename before deletion) or
             * below the committed point another broker saw: not a mere lag. */
            rm_field_bool(f, "truncating", c->truncating);
        }
    } else if (cleaned) {
        rm_partition_note(r, c->idx,
                          "agrees with the copy in %s but for %" PRId64 " batches the two brokers' log cleaners "
                          "left differently (same leader epochs)",
                          theirs->path, cleaned);
    } else {
        rm_partition_note(r, c->idx, "agrees batch for batch with the copy in %s", theirs->path);
    }
    eb_close(&a);
    eb_close(&b);
    return 0;
}

static int cmp_copy(const void *x, const void *y);

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

/* The partitions of set (not -delete, -future or -stray copies: not
 * replicas) sorted by topic, partition and path, their idx the index in
 * set->parts, into *out (the caller frees it, and the directories' cache
 * *dirs with dirs_free); how many, or (size_t)-1 out of memory. */
static size_t copies_of(const kl_set *set, er_copy **out, er_dir **dirs)
{
    *out = calloc(set->nparts + 1, sizeof **out);
    *dirs = calloc(set->nlogdirs + 1, sizeof **dirs);
    if (!*out || !*dirs) return free(*out), free(*dirs), (size_t)-1;
    size_t n = 0;
    for (size_t i = 0; i < set->nparts; i++)
        if (!set->parts[i].state[0]) (*out)[n++] = (er_copy){ &set->parts[i], i, -1, "", -1, false };
    qsort(*out, n, sizeof **out, cmp_copy);
    return n;
}

/* The end of the run of copies of all[i]'s topic-partition. */
static size_t same_partition(const er_copy *all, size_t n, size_t i)
{
    size_t j = i + 1;
    while (j < n && strcmp(all[j].kp->topic, all[i].kp->topic) == 0 && all[j].kp->partition == all[i].kp->partition)
        j++;
    return j;
}

int er_plan(const kl_set *set, long *full, bool *twice)
{
    for (size_t i = 0; i < set->nparts; i++) full[i] = -1, twice[i] = false;
    if (set->nparts < 2) return 0;
    er_copy *all;
    er_dir *dirs;
    size_t n = copies_of(set, &all, &dirs);
    if (n == (size_t)-1) return -1;
    for (size_t i = 0; i < n;) {
        size_t j = same_partition(all, n, i);
        for (size_t k = i; j - i > 1 && k < j; k++) twice[all[k].idx] = true, identify(set, dirs, &all[k]);
        /* Per cluster named: one copy in full. Copies of unnamed clusters
         * may be two logs: each is audited in full. */
        for (size_t k = i; j - i > 1 && k < j; k++) {
            if (!all[k].cluster[0]) continue;
            size_t best = k;
            int64_t bb, bs;
            last_segment(all[k].kp, &bb, &bs);
            bool first = true;
            for (size_t m = i; m < j; m++) {
                if (m == k || strcmp(all[m].cluster, all[k].cluster) != 0) continue;
                if (m < k) first = false;
                int64_t mb, ms;
                last_segment(all[m].kp, &mb, &ms);
                if (mb > bb || (mb == bb && ms > bs)) best = m, bb = mb, bs = ms;
            }
            if (!first) continue;
            for (size_t m = i; m < j; m++)
                if (m != best && strcmp(all[m].cluster, all[k].cluster) == 0) full[all[m].idx] = (long)all[best].idx;
        }
        i = j;
    }
    free(all);
    dirs_free(dirs, set->nlogdirs);
    return 0;
}

static int cmp_copy(const void *x, const void *y)
{
    const er_copy *a = x, *b = y;
    int c = strcmp(a->kp->topic, b->kp->topic);
    if (c) return c;
    if (a->kp->partition != b->kp->partition) return a->kp->partition < b->kp->partition ? -1 : 1;
    return strcmp(a->kp->path, b->kp->path);
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

int er_compare(const kl_set *set, rm_report *r, size_t max_entry, bool no_cache)
{
    er_pairs related = { 0 }, deferred = { 0 };
    if (set->nparts < 2) return 0;
    er_copy *all;
    er_dir *dirs;
    size_t n = copies_of(set, &all, &dirs);
    if (n == (size_t)-1) return r->oom = true, -1;
    for (size_t i = 0; i < n;) {
        size_t end = same_partition(all, n, i), j = end;
        /* Copies held more than once and audited (in the report): their
         * idx becomes their index there. */
        size_t kept = i;
        for (size_t k = i; j - i > 1 && k < j; k++)
            for (size_t x = 0; x < r->npartitions; x++)
                if (strcmp(r->partitions[x].path, all[k].kp->path) == 0) {
                    all[kept] = all[k];
                    all[kept++].idx = x;
                    break;
                }
        if (kept - i > 1) {
            j = kept; /* (the rest of the run was not audited: --topics) */
            /* Copies of one cluster: those whose log directories name the
             * same cluster.id, or none (then compare() asks for a shared
             * batch); a partition of the same name on another cluster's
             * broker is another log. Within each, the reference is the copy
             * reaching furthest, the first on a tie. */
            for (size_t k = i; k < j; k++) identify(set, dirs, &all[k]);
            for (size_t k = i; k < j; k++) {
                bool first = true;
                size_t ref = k;
                for (size_t m = i; m < j; m++) {
                    if (strcmp(all[m].cluster, all[k].cluster) != 0 && all[m].cluster[0] && all[k].cluster[0]) continue;
                    if (m < k) first = false;
                    if (log_end(&r->partitions[all[m].idx]) > log_end(&r->partitions[all[ref].idx])) ref = m;
                }
                if (!first) continue; /* compared from the first copy of its cluster */
                for (size_t m = i; m < j; m++) {
                    if (m == ref || (strcmp(all[m].cluster, all[k].cluster) != 0 && all[m].cluster[0] &&
                                     all[k].cluster[0]))
                        continue;
                    bool named = all[m].cluster[0] && strcmp(all[m].cluster, all[ref].cluster) == 0;
                    if (compare(r, &all[m], &all[ref], max_entry, no_cache, false) == 0) {
                        /* A batch shared: their directories are one cluster's. */
                        if (!named && !pair_has(&related, all[m].kp->home, all[ref].kp->home))
                            pair_add(&related, all[m].kp->home, all[ref].kp->home);
                    } else {
                        pair_add(&deferred, (long)m, (long)ref);
                    }
                }
            }
        }
        i = end;
    }
    /* Copies that shared no batch (an empty one, one ending before the
     * other starts) are one log's when their directories shared another
     * partition's batches: compared then; else the bytes cannot tell. */
    for (size_t k = 0; k < deferred.n; k++) {
        const er_copy *c = &all[deferred.p[k].a], *ref = &all[deferred.p[k].b];
        if (pair_has(&related, c->kp->home, ref->kp->home)) compare(r, c, ref, max_entry, no_cache, true);
        else
            rm_partition_note(r, c->idx,
                              "not compared with %s: their log directories name no common cluster.id and share no "
                              "batch, so the bytes cannot tell whether they are copies of one log",
                              r->partitions[ref->idx].path);
    }
    r->oom |= related.failed || deferred.failed;
    free(related.p);
    free(deferred.p);
    free(all);
    dirs_free(dirs, set->nlogdirs);
    return 0;
}
