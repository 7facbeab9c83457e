/*
 * incident_words.c - one sentence per incident of a finished report
 * (rm_finish calls rm_describe_incidents). The audit chose how findings
 * group (rm_group): the kinds "retry", "producer_restart" and
 * "application_resend" for duplicates (audit/duplicate.c), "consumer_reset"
 * for a consumer group going back across its partitions (audit/groups.c),
 * a finding type's name for one incident per type and partition of the
 * rest.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "reader/text.h"
#include "types.h"

#define PARTS_NAMED 4 /* partitions named in a sentence; the rest are counted */

/* "2016-11-18 08:12:33Z", or "an unknown time". */
static const char *when(int64_t ms, char *buf, size_t cap)
{
    if (ms < 0 || tx_time_utc(ms, TX_TIME_SPACE, buf, cap) == 0) return "an unknown time";
    return buf;
}

/* "between A and B", "at A" or "at an unknown time". */
static void span(const rm_incident *x, char *out, size_t cap)
{
    char a[40], b[40];
    const char *from = when(x->first_ts, a, sizeof a), *to = when(x->last_ts, b, sizeof b);
    if (strcmp(from, to) == 0) snprintf(out, cap, "at %s", from); /* within one second */
    else snprintf(out, cap, "between %s and %s", from, to);
}

static const char *plural(int64_t n, const char *one, const char *many) { return n == 1 ? one : many; }

/* An incident's summary (printf-style); out of memory marks the report. */
static void summary(rm_report *r, rm_incident *x, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void summary(rm_report *r, rm_incident *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(x->summary);
    if (vasprintf(&x->summary, fmt, ap) < 0) x->summary = NULL;
    va_end(ap);
    r->oom |= !x->summary;
}

/* "7 records on orders-3 and 12 on orders-5", or with `findings`
 * "orders-0 (3) and payments-1 (2)". */
static void where(const rm_report *r, const rm_incident *x, bool records, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < x->nparts && i < PARTS_NAMED && o < cap; i++) {
        const rm_incident_part *q = &x->parts[i];
        const rm_partition *p = &r->partitions[q->partition];
        const char *sep = i == 0 ? "" : i + 1 == x->nparts ? " and " : ", ";
        if (records)
            o += (size_t)snprintf(out + o, cap - o, "%s%" PRId64 "%s on %s-%d", sep, q->records,
                                  i == 0 ? plural(q->records, " record", " records") : "", p->topic, p->partition);
        else
            o += (size_t)snprintf(out + o, cap - o, "%s%s-%d (%" PRId64 ")", sep, p->topic, p->partition, q->findings);
    }
    if (x->nparts > PARTS_NAMED && o < cap)
        snprintf(out + o, cap - o, " and %zu more partitions", x->nparts - PARTS_NAMED);
}

static void describe(rm_report *r, rm_incident *x)
{
    const rm_group *g = &x->group;
    char t[120], at[40], parts[600];
    span(x, t, sizeof t);
    if (strcmp(g->kind, "retry") == 0) {
        where(r, x, false, parts, sizeof parts);
        summary(r, x, "%" PRId64 " %s landed twice %s (%" PRId64 " %s): %s", x->findings,
                       plural(x->findings, "retried batch", "retried batches"), t, x->records,
                       plural(x->records, "record", "records"), parts);
    } else if (strcmp(g->kind, "producer_restart") == 0 && g->producer_id >= 0) {
        where(r, x, true, parts, sizeof parts);
        const char *w = when(x->first_ts, at, sizeof at);
        if (g->original_producer_id == g->producer_id)
            summary(r, x, "producer %" PRId64 " restarted (epoch %d to %d) at %s and replayed %s", g->producer_id,
                           g->original_epoch, g->epoch, w, parts);
        else if (g->original_producer_id >= 0)
            summary(r, x, "producer %" PRId64 " restarted as %" PRId64 " at %s and replayed %s",
                           g->original_producer_id, g->producer_id, w, parts);
        else
            summary(r, x, "producer %" PRId64 " (a new session at %s) wrote again %s first written without a "
                              "producer id",
                           g->producer_id, w, parts);
    } else if (strcmp(g->kind, "producer_restart") == 0 || strcmp(g->kind, "application_resend") == 0) {
        where(r, x, true, parts, sizeof parts);
        char who[80], whose[80] = "";
        if (g->producer_id >= 0) snprintf(who, sizeof who, "producer %" PRId64 " (epoch %d)", g->producer_id, g->epoch);
        else snprintf(who, sizeof who, "a producer without idempotence");
        if (strcmp(g->kind, "producer_restart") == 0 && g->original_producer_id >= 0)
            snprintf(whose, sizeof whose, " of producer %" PRId64, g->original_producer_id);
        summary(r, x, "%s sent records%s again %s: %s (%" PRId64 " %s)", who, whose, t, parts, x->findings,
                       plural(x->findings, "run", "runs"));
    } else if (strcmp(g->kind, "consumer_reset") == 0) {
        /* The group's name is its findings' (a kept one linked to it). */
        const char *name = NULL;
        for (size_t i = 0; i < r->nfindings && !name; i++)
            if (strcmp(r->findings[i].incident, x->id) == 0) {
                const rm_field *n = rm_find_field(&r->findings[i], "group");
                name = n && n->kind == RM_STR ? n->s : NULL;
            }
        char who[300];
        if (name) snprintf(who, sizeof who, "consumer group %s", name);
        else snprintf(who, sizeof who, "a consumer group");
        where(r, x, false, parts, sizeof parts);
        summary(r, x, "%s went back %s on %" PRId64 " %s: %" PRId64 " %s delivered to it again (commits in %s)", who, t,
                x->findings, plural(x->findings, "partition", "partitions"), x->records,
                plural(x->records, "record", "records"), parts);
    } else {
        where(r, x, false, parts, sizeof parts);
        int type = rt_find(g->kind);
        summary(r, x, "%s in %s", type >= 0 ? rt_type_of(type)->title : g->kind, parts);
    }
}

void rm_describe_incidents(rm_report *r)
{
    for (size_t i = 0; i < r->nincidents; i++) describe(r, &r->incidents[i]);
}
