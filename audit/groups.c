/* groups.c - see groups.h. Record schemas: formats doc 9.1 (reader/decode.h
 * turns them into JSON); rules: apache/kafka GroupMetadataManager. */
#include "groups.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "reader/decode.h"
#include "report/types.h"
#include "state.h"

/* What the replay holds of a group. */
typedef struct kg_group {
    char *name;
    bool have_meta;        /* a GroupMetadata record of it was seen */
    bool empty;            /* ... and the latest had no members */
    bool deleted;          /* its GroupMetadata was tombstoned since */
    int32_t generation;
    int64_t commits, regressions;
    rm_generation gens[RM_MAX_GENERATIONS]; /* a ring of the latest */
    int64_t ngens;         /* seen; the latest min(ngens, RM_MAX_GENERATIONS) are in gens */
    rm_regression *backs;  /* its commits that went back (in scope), for kg_findings */
    size_t nbacks, capbacks;
    char **members;        /* the member ids of its latest GroupMetadata, sorted */
    size_t nmembers;
} kg_group;

/* A committed position: group, topic and partition. */
typedef struct kg_pos {
    uint32_t group;
    char *topic;
    int32_t partition;
    bool live;             /* committed and not forgotten (a tombstone, the group deleted) */
    int64_t offset, commit_ts, record_offset;
    int32_t generation;    /* the group's when it was committed, -1 unknown */
} kg_pos;

/* A transactional offset commit waiting for its producer's marker. */
typedef struct kg_pending {
    int64_t pid;
    uint32_t group;
    char *topic;
    int32_t partition;
    int64_t offset, commit_ts, record_offset;
    char *metadata;
} kg_pending;

struct kg_state {
    kg_group *groups;
    size_t ngroups, capgroups;
    kg_pos *pos;
    size_t npos, cappos;
    uint32_t *gmap, *pmap; /* open addressing: index + 1, 0 empty */
    size_t gmap_cap, pmap_cap;
    kg_pending *pend;
    size_t npend, cappend;
    int64_t undecoded;     /* records that could not be decoded */
    int64_t first_undecoded;
};

kg_state *kg_create(void) { return calloc(1, sizeof(kg_state)); }

void kg_free(kg_state *g)
{
    if (!g) return;
    for (size_t i = 0; i < g->ngroups; i++) {
        for (size_t k = 0; k < g->groups[i].nbacks; k++) free(g->groups[i].backs[k].topic), free(g->groups[i].backs[k].metadata);
        free(g->groups[i].backs);
        for (size_t k = 0; k < g->groups[i].nmembers; k++) free(g->groups[i].members[k]);
        free(g->groups[i].members);
        free(g->groups[i].name);
    }
    for (size_t i = 0; i < g->npos; i++) free(g->pos[i].topic);
    for (size_t i = 0; i < g->npend; i++) free(g->pend[i].topic), free(g->pend[i].metadata);
    free(g->groups);
    free(g->pos);
    free(g->gmap);
    free(g->pmap);
    free(g->pend);
    free(g);
}

/* ---- lookups ------------------------------------------------------------------ */

static uint64_t hash_str(const char *s) { return XXH3_64bits(s, strlen(s)); }

static uint64_t pos_hash(uint32_t group, const char *topic, int32_t partition)
{
    return XXH3_64bits_withSeed(topic, strlen(topic), ((uint64_t)group << 32) | (uint32_t)partition);
}

/* Rebuild an index of `n` items at double the size. 0, or -1 out of memory. */
static int rehash(uint32_t **map, size_t *cap, size_t n, uint64_t (*hash)(const kg_state *, size_t), const kg_state *g)
{
    size_t ncap = *cap ? *cap * 2 : 64;
    uint32_t *m = calloc(ncap, sizeof *m);
    if (!m) return -1;
    for (size_t i = 0; i < n; i++) {
        size_t at = (size_t)hash(g, i) & (ncap - 1);
        while (m[at]) at = (at + 1) & (ncap - 1);
        m[at] = (uint32_t)i + 1;
    }
    free(*map);
    *map = m;
    *cap = ncap;
    return 0;
}

static uint64_t group_hash_at(const kg_state *g, size_t i) { return hash_str(g->groups[i].name); }

static uint64_t pos_hash_at(const kg_state *g, size_t i)
{
    return pos_hash(g->pos[i].group, g->pos[i].topic, g->pos[i].partition);
}

/* The group named `name`, made when new; NULL when out of memory. */
static kg_group *group_of(ka_partition *p, kg_state *g, const char *name, uint32_t *index)
{
    uint64_t h = hash_str(name);
    for (size_t at = g->gmap_cap ? (size_t)h & (g->gmap_cap - 1) : 0; g->gmap_cap && g->gmap[at];
         at = (at + 1) & (g->gmap_cap - 1))
        if (strcmp(g->groups[g->gmap[at] - 1].name, name) == 0) return &g->groups[*index = g->gmap[at] - 1];
    if ((g->ngroups + 1) * 2 > g->gmap_cap && rehash(&g->gmap, &g->gmap_cap, g->ngroups, group_hash_at, g) < 0)
        return ka_oom(p, "the state of a consumer group"), NULL;
    if (GROW(g->groups, g->ngroups, g->capgroups) < 0) return ka_oom(p, "the state of a consumer group"), NULL;
    kg_group *x = &g->groups[g->ngroups];
    memset(x, 0, sizeof *x);
    x->generation = -1;
    if (!(x->name = strdup(name))) return ka_oom(p, "the state of a consumer group"), NULL;
    size_t at = (size_t)h & (g->gmap_cap - 1);
    while (g->gmap[at]) at = (at + 1) & (g->gmap_cap - 1);
    g->gmap[at] = (uint32_t)++g->ngroups;
    *index = (uint32_t)(g->ngroups - 1);
    return x;
}

/* The position of (group, topic, partition), made when new; NULL when out
 * of memory. */
static kg_pos *pos_of(ka_partition *p, kg_state *g, uint32_t group, const char *topic, int32_t partition)
{
    uint64_t h = pos_hash(group, topic, partition);
    for (size_t at = g->pmap_cap ? (size_t)h & (g->pmap_cap - 1) : 0; g->pmap_cap && g->pmap[at];
         at = (at + 1) & (g->pmap_cap - 1)) {
        kg_pos *x = &g->pos[g->pmap[at] - 1];
        if (x->group == group && x->partition == partition && strcmp(x->topic, topic) == 0) return x;
    }
    if ((g->npos + 1) * 2 > g->pmap_cap && rehash(&g->pmap, &g->pmap_cap, g->npos, pos_hash_at, g) < 0)
        return ka_oom(p, "a consumer group's committed offsets"), NULL;
    if (GROW(g->pos, g->npos, g->cappos) < 0) return ka_oom(p, "a consumer group's committed offsets"), NULL;
    kg_pos *x = &g->pos[g->npos];
    memset(x, 0, sizeof *x);
    x->group = group;
    x->partition = partition;
    x->generation = -1;
    if (!(x->topic = strdup(topic))) return ka_oom(p, "a consumer group's committed offsets"), NULL;
    size_t at = (size_t)h & (g->pmap_cap - 1);
    while (g->pmap[at]) at = (at + 1) & (g->pmap_cap - 1);
    g->pmap[at] = (uint32_t)++g->npos;
    return x;
}

/* ---- the decoded JSON ------------------------------------------------------------ */

static const cJSON *item(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static const char *str_of(const cJSON *o, const char *k)
{
    const cJSON *x = item(o, k);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

/* An integer field (a number, or the exact digits of a large int64). */
static bool int_of(const cJSON *o, const char *k, int64_t *v)
{
    const cJSON *x = item(o, k);
    if (cJSON_IsNumber(x)) return *v = (int64_t)x->valuedouble, true;
    if (cJSON_IsRaw(x) && x->valuestring) return *v = strtoll(x->valuestring, NULL, 10), true;
    return false;
}

/* ---- replay ------------------------------------------------------------------------ */

/* A commit of `offset` for (group, topic, partition) takes effect at the
 * record at `record_offset` (a transactional one at its COMMIT marker). */
static void apply_commit(ka_partition *p, kg_state *g, uint32_t gi, const char *topic, int32_t partition,
                         int64_t offset, int64_t commit_ts, int64_t record_offset, const char *metadata,
                         bool transactional)
{
    kg_pos *x = pos_of(p, g, gi, topic, partition);
    if (!x) return;
    kg_group *grp = &g->groups[gi];
    grp->commits++;
    if (x->live && offset < x->offset) {
        grp->regressions++;
        bool rebalanced = grp->have_meta && x->generation >= 0 && grp->generation != x->generation;
        int variant = grp->have_meta && grp->empty ? RTV_CONSUMER_EMPTY
                      : rebalanced                ? RTV_CONSUMER_REBALANCE
                                                  : RTV_CONSUMER_SEEK;
        /* Kept to be a finding once the partition it reads is audited too
         * (kg_findings): it then says what the group got again. */
        int64_t ts = commit_ts >= 0 ? commit_ts : p->cur.max_timestamp;
        if (!ka_in_scope(p, record_offset, ts)) goto moved;
        if (GROW(grp->backs, grp->nbacks, grp->capbacks) < 0) {
            ka_oom(p, "a consumer group's commits that went back");
            goto moved;
        }
        rm_regression *b = &grp->backs[grp->nbacks];
        *b = (rm_regression){ strdup(topic), partition, x->offset, offset, commit_ts, ts, record_offset, variant,
                              grp->have_meta ? grp->generation : -1,
                              x->generation >= 0 && x->generation != grp->generation ? x->generation : -1,
                              metadata && *metadata ? strdup(metadata) : NULL, transactional };
        if (!b->topic || (metadata && *metadata && !b->metadata)) {
            free(b->topic), free(b->metadata);
            ka_oom(p, "a consumer group's commits that went back");
            goto moved;
        }
        grp->nbacks++;
    }
moved:
    x->live = true;
    x->offset = offset;
    x->commit_ts = commit_ts;
    x->record_offset = record_offset;
    x->generation = grp->have_meta ? grp->generation : -1;
}

static void offset_commit(ka_partition *p, kg_state *g, const cJSON *kd, const kb_record *r)
{
    const char *group = str_of(kd, "group"), *topic = str_of(kd, "topic");
    int64_t partition;
    if (!group || !topic || !int_of(kd, "partition", &partition)) return;
    uint32_t gi;
    if (!group_of(p, g, group, &gi)) return;
    ke_error e;
    cJSON *v = kd_offsets_value(r->key, r->key_len, r->value, r->value_len, &e);
    if (!v) {
        if (!g->undecoded++) g->first_undecoded = r->offset;
        return;
    }
    if (cJSON_IsTrue(item(v, "tombstone"))) {
        /* Expired or deleted (GroupMetadataManager: offsets retention,
         * DeleteGroups, OffsetDelete): the position is gone. */
        kg_pos *x = pos_of(p, g, gi, topic, (int32_t)partition);
        if (x) x->live = false;
        cJSON_Delete(v);
        return;
    }
    const cJSON *d = item(v, "data");
    int64_t offset, ts = -1;
    if (!int_of(d, "offset", &offset)) {
        cJSON_Delete(v);
        return;
    }
    int_of(d, "commitTimestamp", &ts);
    const char *metadata = str_of(d, "metadata");
    if (p->cur.is_transactional && p->cur.producer_id >= 0) {
        /* A transactional offset commit counts at its COMMIT (formats doc
         * 9.1; GroupMetadataManager.handleTxnCompletion). */
        if (GROW(g->pend, g->npend, g->cappend) == 0) {
            kg_pending *x = &g->pend[g->npend];
            *x = (kg_pending){ p->cur.producer_id, gi, strdup(topic), (int32_t)partition, offset, ts, r->offset,
                               metadata ? strdup(metadata) : NULL };
            if (x->topic) g->npend++;
            else ka_oom(p, "a transactional offset commit");
        } else {
            ka_oom(p, "a transactional offset commit");
        }
    } else {
        apply_commit(p, g, gi, topic, (int32_t)partition, offset, ts, r->offset, metadata, false);
    }
    cJSON_Delete(v);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The member ids of a GroupMetadata value's members, sorted, in *out (the
 * caller frees them); how many, or -1 when out of memory. */
static long member_ids(const cJSON *members, char ***out)
{
    int n = cJSON_GetArraySize(members);
    char **ids = n > 0 ? calloc((size_t)n, sizeof *ids) : NULL;
    if (n > 0 && !ids) return -1;
    long k = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, members) {
        const char *id = str_of(m, "memberId");
        if (!id) continue;
        if (!(ids[k] = strdup(id))) {
            while (k > 0) free(ids[--k]);
            free(ids);
            return -1;
        }
        k++;
    }
    if (k > 1) qsort(ids, (size_t)k, sizeof *ids, cmp_str);
    *out = ids;
    return k;
}

/* Members in sorted a and not in sorted b. */
static int32_t not_in(char *const *a, size_t na, char *const *b, size_t nb)
{
    int32_t n = 0;
    for (size_t i = 0, j = 0; i < na; i++) {
        while (j < nb && strcmp(b[j], a[i]) < 0) j++;
        n += j == nb || strcmp(b[j], a[i]) != 0;
    }
    return n;
}

static void group_metadata(ka_partition *p, kg_state *g, const cJSON *kd, const kb_record *r)
{
    const char *group = str_of(kd, "group");
    if (!group) return;
    uint32_t gi;
    kg_group *grp = group_of(p, g, group, &gi);
    if (!grp) return;
    ke_error e;
    cJSON *v = kd_offsets_value(r->key, r->key_len, r->value, r->value_len, &e);
    if (!v) {
        if (!g->undecoded++) g->first_undecoded = r->offset;
        return;
    }
    if (cJSON_IsTrue(item(v, "tombstone"))) {
        /* The group was deleted (or expired when empty with no offsets
         * left): its positions go with it. */
        grp->deleted = true;
        grp->have_meta = false;
        for (size_t i = 0; i < g->npos; i++)
            if (g->pos[i].group == gi) g->pos[i].live = false;
        cJSON_Delete(v);
        return;
    }
    const cJSON *d = item(v, "data");
    int64_t gen = -1, ts = -1;
    int_of(d, "generation", &gen);
    if (!int_of(d, "currentStateTimestamp", &ts) || ts < 0) ts = r->timestamp;
    int members = cJSON_GetArraySize(item(d, "members"));
    /* Who joined and who left since its previous GroupMetadata. */
    char **ids = NULL;
    long nids = member_ids(item(d, "members"), &ids);
    int32_t joined = 0, left = 0;
    if (nids < 0) {
        ka_oom(p, "a consumer group's members");
    } else {
        joined = not_in(ids, (size_t)nids, grp->members, grp->nmembers);
        left = not_in(grp->members, grp->nmembers, ids, (size_t)nids);
        for (size_t k = 0; k < grp->nmembers; k++) free(grp->members[k]);
        free(grp->members);
        grp->members = ids, grp->nmembers = (size_t)nids;
    }
    grp->deleted = false;
    grp->have_meta = true;
    grp->empty = members == 0;
    grp->generation = (int32_t)gen;
    rm_generation *slot = &grp->gens[grp->ngens % RM_MAX_GENERATIONS];
    *slot = (rm_generation){ (int32_t)gen, ts, members, joined, left, r->offset };
    grp->ngens++;
    cJSON_Delete(v);
}

void kg_record(ka_partition *p, kg_state *g, const kb_record *r)
{
    if (!g || r->key_len < 0) return;
    ke_error e;
    cJSON *k = kd_offsets_key(r->key, r->key_len, &e);
    if (!k) {
        if (!g->undecoded++) g->first_undecoded = r->offset;
        return;
    }
    const char *type = str_of(k, "type");
    const cJSON *kd = item(k, "data");
    /* Types 0 and 1: offset commits (key versions 0 and 1); 2: a classic
     * group's metadata. The KIP-848 and share groups' records (3 and up)
     * say nothing this replay uses. */
    if (type && (strcmp(type, "0") == 0 || strcmp(type, "1") == 0)) offset_commit(p, g, kd, r);
    else if (type && strcmp(type, "2") == 0) group_metadata(p, g, kd, r);
    cJSON_Delete(k);
}

void kg_marker(ka_partition *p, kg_state *g, int64_t pid, bool commit)
{
    if (!g) return;
    size_t out = 0;
    for (size_t i = 0; i < g->npend; i++) {
        kg_pending *x = &g->pend[i];
        if (x->pid != pid) {
            g->pend[out++] = *x;
            continue;
        }
        if (commit)
            apply_commit(p, g, x->group, x->topic, x->partition, x->offset, x->commit_ts, x->record_offset,
                         x->metadata, true);
        free(x->topic);
        free(x->metadata);
    }
    g->npend = out;
}

void kg_end(ka_partition *p, kg_state *g)
{
    if (!g) return;
    if (g->undecoded)
        rm_partition_note(p->r, p->index,
                          "%" PRId64 " records of __consumer_offsets could not be decoded (the first at offset %" PRId64
                          "): their commits and group changes were not replayed (kaudit dump shows why)",
                          g->undecoded, g->first_undecoded);
    if (g->npend)
        rm_partition_note(p->r, p->index,
                          "%zu transactional offset commits wait for their transaction's end: not applied", g->npend);
    for (size_t i = 0; i < g->ngroups; i++) {
        const kg_group *x = &g->groups[i];
        rm_cgroup *c = rm_add_group(p->r, x->name, p->index);
        if (!c) return;
        c->deleted = x->deleted;
        c->backs = g->groups[i].backs, c->nbacks = g->groups[i].nbacks; /* moved */
        g->groups[i].backs = NULL, g->groups[i].nbacks = 0;
        c->commits = x->commits;
        c->regressions = x->regressions;
        c->gens_total = x->ngens;
        size_t kept = x->ngens < RM_MAX_GENERATIONS ? (size_t)x->ngens : RM_MAX_GENERATIONS;
        if (kept && (c->gens = malloc(kept * sizeof *c->gens))) {
            for (size_t k = 0; k < kept; k++)
                c->gens[k] = x->gens[(size_t)(x->ngens - (int64_t)kept + (int64_t)k) % RM_MAX_GENERATIONS];
            c->ngens = kept;
        } else if (kept) {
            p->r->oom = true;
        }
        size_t live = 0;
        for (size_t k = 0; k < g->npos; k++) live += g->pos[k].group == i && g->pos[k].live;
        if (live && !(c->pos = calloc(live, sizeof *c->pos))) {
            p->r->oom = true;
            continue;
        }
        for (size_t k = 0; k < g->npos; k++) {
            const kg_pos *y = &g->pos[k];
            if (y->group != i || !y->live) continue;
            rm_position *q = &c->pos[c->npos];
            if (!(q->topic = strdup(y->topic))) {
                p->r->oom = true;
                break;
            }
            q->partition = y->partition, q->offset = y->offset;
            q->commit_timestamp = y->commit_ts, q->record_offset = y->record_offset;
            c->npos++;
        }
    }
}

/* ---- against the partitions consumed ---------------------------------------------- */

/* The length of the folder part of a path ("a/b/c" -> 3), 0 when none. */
static size_t dir_len(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? (size_t)(s - path) : 0;
}

/* The partition of report r that group position q of a group in
 * partition `home` reads: the one in the same log directory, else the only
 * one audited; (size_t)-1 when none or several. */
static size_t consumed(const rm_report *r, size_t home, const rm_position *q)
{
    const char *hp = r->partitions[home].path;
    size_t hl = dir_len(hp), found = (size_t)-1, copies = 0;
    for (size_t i = 0; i < r->npartitions; i++) {
        const rm_partition *x = &r->partitions[i];
        if (x->partition != q->partition || strcmp(x->topic, q->topic) != 0) continue;
        if (dir_len(x->path) == hl && strncmp(x->path, hp, hl) == 0) return i;
        found = i, copies++;
    }
    return copies == 1 ? found : (size_t)-1;
}

/* The regression b of group c (coordinator partition c->partition) as a
 * finding, with what the consumed partition `at` holds in [to, from) when
 * it is audited and `range` could read it. */
static void regression_finding(rm_report *r, const rm_cgroup *c, const rm_regression *b, size_t at,
                               kg_range_fn range, void *ctx)
{
    static const char *const context[] = { "group_empty", "rebalance", "seek" };
    if (!rm_shows(r, RT_CONSUMER_OFFSET_REGRESSION)) return; /* --types: neither counted nor an incident */
    rm_finding *f = rm_add_finding(r, RT_CONSUMER_OFFSET_REGRESSION, b->variant, RM_WARNING, c->partition,
                                   b->record_offset);
    if (f) {
        rm_field_str(f, "group", c->name);
        rm_field_str(f, "consumed_topic", b->topic);
        rm_field_int(f, "consumed_partition", b->partition);
        rm_field_int(f, "from_offset", b->from);
        rm_field_int(f, "to_offset", b->to);
        rm_field_int(f, "records", wsub(b->from, b->to));
        if (b->commit_timestamp >= 0) rm_field_int(f, "commit_timestamp", b->commit_timestamp);
        else rm_field_null(f, "commit_timestamp");
        rm_field_str(f, "context", context[b->variant]);
        if (b->generation >= 0) rm_field_int(f, "generation", b->generation);
        else rm_field_null(f, "generation");
        if (b->previous_generation >= 0) rm_field_int(f, "previous_generation", b->previous_generation);
        if (b->metadata) rm_field_str(f, "metadata", b->metadata);
        if (b->transactional) rm_field_bool(f, "transactional", true);
        kg_range got;
        if (at != (size_t)-1 && range && range(ctx, at, b->to, b->from, &got)) {
            rm_field_str(f, "consumed_path", r->partitions[at].path);
            rm_field_int(f, "redelivered_records", got.records);
            if (got.records > 0) {
                rm_field_int(f, "redelivered_first_timestamp", got.first_ts);
                rm_field_int(f, "redelivered_last_timestamp", got.last_ts);
            }
            /* The same events reaching the application twice by two paths:
             * delivery duplicates of the producer side among them. */
            int64_t dups = 0;
            for (size_t i = 0; i < r->nfindings; i++) {
                const rm_finding *d = &r->findings[i];
                const rm_field *last = rm_find_field(d, "last_offset");
                if (d->tid != RT_DUPLICATE || d->partition != at || d->severity < RM_WARNING || !last) continue;
                int64_t lo = d->offset > b->to ? d->offset : b->to, hi = last->i + 1 < b->from ? last->i + 1 : b->from;
                if (hi > lo) dups += hi - lo;
            }
            rm_field_int(f, "producer_duplicates", dups);
        }
    }
    /* One reset of a group across its partitions is one incident. */
    rm_group g = { "consumer_reset", hash_str(c->name), 60000, -1, -1, -1, -1 };
    rm_group_finding(r, &g, c->partition, RM_WARNING, b->ts, b->record_offset, b->record_offset, wsub(b->from, b->to),
                     f);
}

void kg_findings(rm_report *r, kg_range_fn range, void *ctx)
{
    for (size_t i = 0; i < r->ngroups; i++) {
        const rm_cgroup *c = &r->groups[i];
        for (size_t k = 0; k < c->nbacks; k++) {
            rm_position q = { c->backs[k].topic, c->backs[k].partition, 0, -1, -1 };
            regression_finding(r, c, &c->backs[k], consumed(r, c->partition, &q), range, ctx);
        }
        for (size_t k = 0; k < c->npos; k++) {
            const rm_position *q = &c->pos[k];
            size_t at = consumed(r, c->partition, q);
            if (at == (size_t)-1) continue;
            const rm_partition *x = &r->partitions[at];
            if (x->log_end_offset < 0) continue; /* no batch: nothing to compare with */
            /* The broker's log start, not the first batch: in a compacted
             * log a position in the cleaned gap before it is read on. */
            int64_t start = x->kafka_log_start >= 0 ? x->kafka_log_start : x->log_start_offset;
            bool below = q->offset < start, above = q->offset > x->log_end_offset;
            if (!below && !above) continue;
            rm_finding *f = rm_add_finding(r, RT_CONSUMER_OFFSET_OUT_OF_RANGE,
                                           below ? RTV_CONSUMER_BELOW : RTV_CONSUMER_ABOVE, below ? RM_ERROR : RM_WARNING,
                                           at, q->offset);
            if (!f) continue;
            rm_field_str(f, "group", c->name);
            rm_field_str(f, "consumed_topic", q->topic);
            rm_field_int(f, "consumed_partition", q->partition);
            rm_field_int(f, "committed_offset", q->offset);
            rm_field_int(f, "log_start_offset", start);
            rm_field_int(f, "log_end_offset", x->log_end_offset);
            rm_field_int(f, "records", below ? wsub(start, q->offset) : wsub(q->offset, x->log_end_offset));
            if (q->commit_timestamp >= 0) rm_field_int(f, "commit_timestamp", q->commit_timestamp);
            else rm_field_null(f, "commit_timestamp");
            rm_field_str(f, "direction", below ? "below_log_start" : "above_log_end");
            rm_field_str(f, "coordinator_path", r->partitions[c->partition].path);
        }
    }
}
