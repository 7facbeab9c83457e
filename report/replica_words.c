/* replica_words.c - the story of a replica finding in plain words, for the
 * text, Markdown and HTML reports (render.h, rr_replica_story). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "report/escape.h"
#include "report/render.h"
#include "report/types.h"

static int64_t num(const rm_finding *f, const char *key, int64_t dflt)
{
    const rm_field *x = rm_find_field(f, key);
    return x && (x->kind == RM_INT || x->kind == RM_BOOL) ? x->i : dflt;
}

static const char *text(const rm_finding *f, const char *key)
{
    const rm_field *x = rm_find_field(f, key);
    return x && x->kind == RM_STR && x->s ? x->s : "";
}

/* "broker 2's copy" when the broker is known, else the copy's path. */
static void who(char *out, size_t cap, int64_t broker, const char *path)
{
    if (broker >= 0) snprintf(out, cap, "broker %" PRId64 "'s copy", broker);
    else snprintf(out, cap, "the copy in %s", path);
}

/* One side's tail: how many records, whose, and (verbose) who could have
 * read them. */
static size_t tail(char *out, size_t cap, const rm_finding *f, const char *side, int64_t hw, bool verbose)
{
    char key[64];
    snprintf(key, sizeof key, "records_only_%s", side);
    int64_t n = num(f, key, 0);
    snprintf(key, sizeof key, "producers_only_%s", side);
    const char *whose = text(f, key);
    snprintf(key, sizeof key, "read_uncommitted_only_%s", side);
    int64_t ru = num(f, key, -1);
    snprintf(key, sizeof key, "read_committed_only_%s", side);
    int64_t rc = num(f, key, -1);
    size_t o = (size_t)snprintf(out, cap, "%" PRId64 " record%s%s%s%s", n, n == 1 ? "" : "s", *whose ? " (" : "",
                                whose, *whose ? ")" : "");
    if (o >= cap || !n || !verbose) return o < cap ? o : cap;
    if (ru < 0)
        o += (size_t)snprintf(out + o, cap - o, "; without a high watermark checkpoint, who read them is not known");
    else
        o += (size_t)snprintf(out + o, cap - o,
                              "; %" PRId64 " of them below its broker's high watermark %" PRId64 ", so committed "
                              "(acknowledged even to acks=all producers) and readable by read_uncommitted consumers, "
                              "%" PRId64 " by read_committed consumers",
                              ru, hw, rc < 0 ? 0 : rc);
    return o < cap ? o : cap;
}

void rr_replica_story(const rm_report *r, const rm_finding *f, char *out, size_t cap)
{
    const rm_partition *p = &r->partitions[f->partition];
    char me[600], them[600];
    int64_t b = num(f, "broker_id", -1), ob = num(f, "other_broker_id", -1);
    if (b == ob) b = ob = -1; /* two copies of one broker (a backup, a copy taken earlier): by path */
    who(me, sizeof me, b, p->path);
    who(them, sizeof them, ob, text(f, "other_path"));
    if (f->tid == RT_REPLICA_BEHIND) {
        snprintf(out, cap,
                 "%s-%d: %s ends at offset %" PRId64 ", %" PRId64 " records behind %s, and agrees with it up to "
                 "there%s",
                 p->topic, p->partition, me, num(f, "log_end_offset", 0), num(f, "records_behind", 0), them,
                 num(f, "truncating", 0) ? "; it holds .deleted segments: its broker is truncating it" : "");
        return;
    }
    if (f->tid != RT_REPLICA_DIVERGENCE) {
        snprintf(out, cap, "%s", f->message ? f->message : "");
        return;
    }
    const char *side = text(f, "truncated_side");
    bool here = strcmp(side, "here") == 0, other = strcmp(side, "other") == 0;
    size_t o = (size_t)snprintf(out, cap, "%s-%d: %s and %s part at offset %" PRId64 " (leader epochs %" PRId64
                                          " and %" PRId64 "). ",
                                p->topic, p->partition, me, them, num(f, "diverge_offset", 0), num(f, "leader_epoch", -1),
                                num(f, "other_leader_epoch", -1));
    const char *lost_side = here ? "here" : "other", *kept_side = here ? "other" : "here";
    const char *lost = here ? me : them, *kept = here ? them : me;
    int64_t lost_hw = num(f, here ? "high_watermark" : "other_high_watermark", -1);
    int64_t kept_hw = num(f, here ? "other_high_watermark" : "high_watermark", -1);
    if (o < cap && (here || other))
        o += (size_t)snprintf(out + o, cap - o,
                              "When the brokers meet, %s (the older leader epoch) is truncated to the divergence "
                              "and loses ",
                              lost);
    else if (o < cap)
        o += (size_t)snprintf(out + o, cap - o,
                              "Both carry one leader epoch at that offset, so the bytes cannot tell which tail Kafka "
                              "truncates (a copy restored from a backup and written again?). Only %s holds ",
                              lost);
    if (o < cap) o += tail(out + o, cap - o, f, lost_side, lost_hw, true);
    char Kept[600];
    snprintf(Kept, sizeof Kept, "%s", kept);
    Kept[0] = Kept[0] == 'b' || Kept[0] == 't' ? (char)(Kept[0] - 32) : Kept[0]; /* "broker", "the": a sentence */
    if (o < cap) o += (size_t)snprintf(out + o, cap - o, ". %s alone holds ", Kept);
    if (o < cap) o += tail(out + o, cap - o, f, kept_side, kept_hw, !(here || other));
    if (o + 1 < cap) out[o] = '.', out[o + 1] = '\0';
}

void rr_replica_text(const rm_report *r, FILE *f, size_t limit)
{
    size_t shown = 0, total = 0;
    for (size_t i = 0; i < r->nfindings; i++) {
        const rm_finding *x = &r->findings[i];
        if (x->tid != RT_REPLICA_DIVERGENCE && x->tid != RT_REPLICA_BEHIND) continue;
        if (total++ == 0) fprintf(f, "\nReplicas:\n");
        if (shown == limit) continue;
        char line[4096];
        rr_replica_story(r, x, line, sizeof line);
        fputs("  ", f);
        es_fputs(line, f);
        fputc('\n', f);
        shown++;
    }
    if (total > shown) fprintf(f, "  ... and %zu more (see --format json or html)\n", total - shown);
}
