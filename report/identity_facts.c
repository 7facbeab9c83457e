/*
 * identity_facts.c - per topic, what its --identity covered (rm_identity of
 * its partitions summed), and the identities its partitions suggest
 * (rm_suggestion of its partitions joined): lines for the text, Markdown
 * and HTML reports, which escape them. The JSON carries each partition's
 * own.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

size_t rr_identity_lines(const rm_report *r, char (*lines)[600], size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < r->npartitions && n < max; i++) {
        const rm_partition *p = &r->partitions[i];
        if (!p->identity) continue;
        bool seen = false; /* an earlier partition of the topic said it */
        for (size_t j = 0; j < i && !seen; j++)
            seen = r->partitions[j].identity && strcmp(r->partitions[j].topic, p->topic) == 0;
        if (seen) continue;
        int64_t records = 0, missing = 0, by[RM_IDENTITY_REASONS] = { 0 };
        for (size_t j = i; j < r->npartitions; j++) {
            const rm_identity *x = r->partitions[j].identity;
            if (!x || strcmp(r->partitions[j].topic, p->topic) != 0) continue;
            records += x->records, missing += x->missing;
            for (int k = 0; k < RM_IDENTITY_REASONS; k++) by[k] += x->by_reason[k];
        }
        char why[300] = "";
        size_t at = 0;
        for (int k = 0; k < RM_IDENTITY_REASONS && p->identity->reason[k] && at < sizeof why; k++)
            if (by[k])
                at += (size_t)snprintf(why + at, sizeof why - at, "%s%" PRId64 " %s", at ? ", " : "", by[k],
                                       p->identity->reason[k]);
        int w = snprintf(lines[n], sizeof lines[n], "%s (%s): %" PRId64 " records checked by identity across its partitions",
                         p->topic, p->identity->spec, records);
        if (missing && w > 0 && (size_t)w < sizeof lines[n])
            snprintf(lines[n] + w, sizeof lines[n] - (size_t)w, "; %" PRId64 " without one (%s), checked by their bytes",
                     missing, why);
        n++;
    }
    return n;
}

/* One suggestion of one partition, for sorting them by topic and spec. */
typedef struct sugg_at {
    const rm_partition *p;
    const rm_suggestion *s;
    size_t part;               /* the partition's place in the report */
} sugg_at;

/* By topic, then spec: one line of the report per group. */
static int cmp_group_of(const sugg_at *x, const sugg_at *y)
{
    int c = strcmp(x->p->topic, y->p->topic);
    return c ? c : strcmp(x->s->spec, y->s->spec);
}

static int cmp_sugg(const void *a, const void *b)
{
    const sugg_at *x = a, *y = b;
    int c = cmp_group_of(x, y);
    return c ? c : (x->part > y->part) - (x->part < y->part);
}

/* A group of one topic and spec: where it starts in the sorted list, its
 * length, and its first partition (the order groups are said in). */
typedef struct sugg_group {
    size_t at, n, first;
} sugg_group;

static int cmp_group(const void *a, const void *b)
{
    const sugg_group *x = a, *y = b;
    return x->first < y->first ? -1 : x->first > y->first;
}

size_t rr_suggestion_lines(const rm_report *r, char (*lines)[600], size_t max, size_t *more)
{
    if (more) *more = 0;
    size_t total = 0;
    for (size_t i = 0; i < r->npartitions; i++) total += r->partitions[i].nsuggestions;
    if (!total) return 0;
    sugg_at *v = malloc(total * sizeof *v);
    sugg_group *g = malloc(total * sizeof *g);
    if (!v || !g) {
        free(v), free(g);
        return 0;
    }
    size_t n = 0;
    for (size_t i = 0; i < r->npartitions; i++)
        for (size_t k = 0; k < r->partitions[i].nsuggestions; k++)
            v[n++] = (sugg_at){ &r->partitions[i], &r->partitions[i].suggestions[k], i };
    qsort(v, n, sizeof *v, cmp_sugg);
    size_t ng = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && cmp_group_of(&v[i], &v[i - 1]) == 0) {
            g[ng - 1].n++;
            continue;
        }
        g[ng++] = (sugg_group){ i, 1, v[i].part };
    }
    qsort(g, ng, sizeof *g, cmp_group);
    size_t out = 0;
    for (size_t i = 0; i < ng && out < max; i++) {
        const sugg_at *first = &v[g[i].at];
        int64_t sampled = 0;
        for (size_t k = 0; k < g[i].n; k++) sampled += v[g[i].at + k].s->sampled;
        size_t partitions = 0; /* of the topic, in the report */
        for (size_t k = 0; k < r->npartitions; k++) partitions += strcmp(r->partitions[k].topic, first->p->topic) == 0;
        snprintf(lines[out++], sizeof lines[0],
                 "%s: %s was present and unique in every sampled record of %zu of its %zu partitions (%" PRId64
                 " records sampled); to find duplicates by it: %s",
                 first->p->topic, first->s->spec, g[i].n, partitions, sampled, first->s->option);
    }
    if (more) *more = ng - out;
    free(v), free(g);
    return out;
}
