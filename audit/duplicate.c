/* duplicate.c - see duplicate.h. The Kafka behaviour each rule rests on is
 * in docs/report.md, "Duplicates: what the bytes can prove". */
#include "duplicate.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

const char kd_type_title[] = "Duplicates";
const char kd_type_summary[] =
    "Kafka's idempotent producer drops exactly one kind of duplicate: a batch retried by the same producer "
    "session (same producer id, epoch and sequence numbers). Everything outside that boundary lands twice: a "
    "client without idempotence retrying after a lost acknowledgement, a new producer session replaying what "
    "an earlier one wrote, an application sending the same record again. Where the bytes show one of those "
    "(the same batch resent with its timestamps, a block of records replayed when a new session began, or "
    "content repeated in a partition where content is otherwise unique) it is a delivery duplicate (warning). "
    "Content that recurs by itself (heartbeats, sensors, counters, status values), repeats further apart than "
    "any retry, and repeats in topics whose writers repeat values by design are counted as repeated content "
    "(informational), and each says why.";

bool kd_by_nature(const kd_profile *pf)
{
    if (pf->natural < KD_NATURE_MIN || pf->records <= 0) return false;
    const double z = 1.96; /* 95% */
    double n = (double)pf->records, p = (double)pf->natural / n;
    double low = (p + z * z / (2 * n) - z * sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n);
    return low >= KD_NATURE_RATIO;
}

bool kd_coincidence(const kd_profile *pf) { return pf->same_ms > 0 && pf->near >= pf->same_ms; }

static bool same_session(const kd_run *r)
{
    return r->o.producer_id == r->d.producer_id && r->o.epoch == r->d.epoch;
}

/* The same batch again, by the client's own bytes: every record identical,
 * client timestamps included, whole batches, none in its original's. */
static bool resent_batch(const kd_run *r) { return r->identical && r->ts_known && r->whole && !r->same_batch; }

const char *kd_class(const kd_run *r)
{
    if (r->o.producer_id < 0 && r->d.producer_id < 0)
        return r->identical && r->whole && !r->same_batch ? "retry_without_idempotence" : "application_resend";
    /* An idempotent producer that bumps its own epoch after an error
     * (KIP-360, clients 2.5+) resends its in-flight batches under the new
     * epoch with new sequences, record timestamps unchanged: a retry the
     * broker cannot recognise. A transactional producer's new epoch is a
     * new session (initTransactions after a restart). */
    if (r->o.producer_id == r->d.producer_id && r->d.producer_id >= 0 && r->d.epoch > r->o.epoch &&
        !r->d.transactional && r->session_start && resent_batch(r))
        return "idempotence_bypassed";
    if (!same_session(r)) return "producer_restart";
    if (r->o.sequence >= 0 && r->o.sequence == r->d.sequence && !r->same_batch) return "idempotence_bypassed";
    return "application_resend";
}

/* A client retry shown by the client's own timestamps. */
static bool timed_retry(const kd_run *r)
{
    return r->ts_known && strcmp(kd_class(r), "retry_without_idempotence") == 0;
}

static bool bypass(const kd_run *r) { return strcmp(kd_class(r), "idempotence_bypassed") == 0; }

static bool replay(const kd_run *r)
{
    return r->count >= 2 && r->session_start && strcmp(kd_class(r), "producer_restart") == 0;
}

bool kd_strong(const kd_run *r) { return bypass(r) || timed_retry(r) || replay(r); }

rm_group kd_group(const kd_run *r, const char *topic, int64_t window)
{
    rm_group g = { NULL, 0, -1, r->d.producer_id, r->o.producer_id, r->d.epoch, r->o.epoch };
    const char *cls = kd_class(r);
    if (timed_retry(r) || bypass(r)) {
        g.kind = "retry"; /* a storm of retries spans topics: one key, by time */
        g.gap = 300000;
        return g;
    }
    if (strcmp(cls, "producer_restart") == 0 && r->d.producer_id >= 0) {
        g.kind = "producer_restart";
        struct { int64_t d, o; int32_t de, oe; } k = { r->d.producer_id, r->o.producer_id, r->d.epoch, r->o.epoch };
        g.key = XXH3_64bits(&k, sizeof k);
        return g;
    }
    g.kind = strcmp(cls, "producer_restart") == 0 ? "producer_restart" : "application_resend";
    struct { int64_t d; int32_t de; } k = { r->d.producer_id, r->d.producer_id >= 0 ? r->d.epoch : -1 };
    g.key = XXH3_64bits_withSeed(topic, strlen(topic), XXH3_64bits(&k, sizeof k));
    g.gap = window;
    return g;
}

bool kd_recurs(const kd_run *r)
{
    if (r->count == 1) return r->copies >= 3 || r->later > 0;
    return r->regular || r->recurring * 2 > r->count;
}

static bool beyond_window(const kd_run *r, int64_t window)
{
    if (!r->ts_known) return false; /* missing timestamps are no evidence either way */
    int64_t d = r->d.ts - r->o.ts;
    return d > window || d < -window;
}

bool kd_natural(const kd_run *r, int64_t window)
{
    return kd_recurs(r) || beyond_window(r, window) || (r->count == 1 && !kd_strong(r));
}

int kd_decide(const kd_run *r, const kd_context *c)
{
    /* Brokers write the internal topics (coordinators, the controller):
     * no client retries there, and their content repeats by design. */
    if (c->internal) return KD_RULE;
    /* A naming rule never hides a client's own retry. */
    bool retry = timed_retry(r), bypassed = bypass(r);
    if (c->rule && !retry && !bypassed) return KD_RULE;
    if (bypassed || (retry && r->count > KD_CHANCE_RUN)) return KD_DELIVERY;
    if (retry) {
        /* A few records with the same millisecond: a retry, unless same
         * milliseconds are to be expected here by chance. */
        if (!c->profile) return -1;
        if (!kd_coincidence(c->profile)) return KD_DELIVERY;
        return kd_recurs(r) || kd_by_nature(c->profile) ? KD_COINCIDENCE : KD_DELIVERY;
    }
    if (beyond_window(r, c->window)) return KD_WINDOW;
    /* Only more copies can come: once recurring, always. */
    if (kd_recurs(r)) return KD_RECURRING;
    if (!c->profile) return -1;
    if (replay(r)) return KD_DELIVERY;
    return kd_by_nature(c->profile) ? KD_PROFILE : KD_DELIVERY;
}

const char *kd_reason_name(int reason)
{
    static const char *names[] = { "delivery", "rule", "window", "recurring", "profile", "coincidence" };
    return reason >= 0 && reason <= KD_COINCIDENCE ? names[reason] : "delivery";
}

void kd_preview_text(const kd_preview *p, char *out, size_t cap)
{
    if (p->len < 0) {
        snprintf(out, cap, "null");
        return;
    }
    if (p->redacted) {
        snprintf(out, cap, "[redacted: %d bytes, token %016" PRIx64 "]", p->len, p->token);
        return;
    }
    size_t o = 0;
    for (uint8_t i = 0; i < p->n && o + 5 < cap; i++) {
        uint8_t ch = p->bytes[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '\\') out[o++] = (char)ch;
        else o += (size_t)snprintf(out + o, cap - o, "\\x%02x", ch);
    }
    out[o] = '\0';
    if (p->len > p->n && o + 24 < cap) snprintf(out + o, cap - o, "... (%d bytes)", p->len);
}

/* ---- words ------------------------------------------------------------------ */

/* Why the class: which guarantee stopped where, and what to check next. */
static const char *class_words(const char *cls, const kd_run *r)
{
    if (strcmp(cls, "retry_without_idempotence") == 0)
        return r->ts_known
                   ? "Neither copy carries a producer id, and the copies are the same batch: every record "
                     "identical, including the timestamps the client stamped once when the application called "
                     "send(). That is a client retry: the producer ran without idempotence "
                     "(enable.idempotence=false, or a client without it), an acknowledgement was lost, and the "
                     "broker could not recognise the batch it already had. Check the producer's idempotence "
                     "setting and its retry logs around this time."
                   : "Neither copy carries a producer id and the copies are byte for byte the same batch. The "
                     "message format has no timestamps, so the bytes cannot tell a client retry (a lost "
                     "acknowledgement, no idempotence) from an application that sent the same bytes again.";
    if (strcmp(cls, "idempotence_bypassed") == 0)
        return "Same producer id, epoch and sequence numbers at two offsets: exactly the retry the broker is meant "
               "to drop. It was accepted twice because the broker did not know the first copy when the second "
               "arrived: producer state lost in a leader change or unclean election, the producer id expired, or a "
               "broker bug. Check the partition's leader changes and the broker logs around both offsets.";
    if (strcmp(cls, "producer_restart") == 0)
        return r->o.producer_id == r->d.producer_id
                   ? "Same producer id, new epoch: the producer's session was re-initialised (a transactional "
                     "producer calling initTransactions again after a restart, or an idempotent producer bumping "
                     "its epoch after an error) and the new session wrote the records again. Idempotence does not "
                     "carry across epochs. Check the producer's restarts and what it replays after them."
                   : "The copies carry different producer ids: a new producer session (a restart, redeploy or new "
                     "instance) wrote again what an earlier session had already written. Idempotence only protects "
                     "retries within one producer session, so the broker accepted both. Check for a producer "
                     "restart around this time and whether it replays input it had already sent (an uncommitted "
                     "consumer offset, a source re-read from a checkpoint).";
    return r->o.producer_id < 0 && r->d.producer_id < 0
               ? "Neither copy carries a producer id, and the later copy is a new send of the same key and value "
                 "(new timestamps, or not the whole batch again): the application sent it again. Nothing in Kafka "
                 "stops that. The bytes cannot tell an application bug from a deliberate resend. Check the "
                 "producing application's send path and error handling."
               : "Same producer session, new sequence numbers: the application (not the network) sent the same "
                 "records again as new messages, so idempotence, which only drops resent batches, let them "
                 "through. The bytes cannot tell an application bug from a deliberate resend. Check the "
                 "application's send path and error handling.";
}

/* Why it is repeated content instead. */
static const char *reason_words(int reason)
{
    switch (reason) {
    case KD_RULE:
        return "Repetition is normal in this topic (see the rule): its writers re-emit unchanged values by design "
               "(Streams changelogs and repartition topics forwarding aggregates that did not change, Schema "
               "Registry and Connect re-writing their state, the brokers' own topics). Counted as context, not as "
               "a delivery problem; a client's retry of a whole batch would still be a warning here. Use "
               "--dup-topics to audit such a topic as an ordinary one.";
    case KD_WINDOW:
        return "The copies are further apart than --dup-window, longer than any of Kafka's own retry or restart "
               "paths takes to resend: the same content was produced again, not redelivered. Counted as context. "
               "Raise --dup-window if this application can replay that late.";
    case KD_RECURRING:
        return "This content recurs by itself in the partition: the record is at least the third copy of its "
               "key and value (or is copied again later), or the block of records recurs at a regular interval "
               "or was seen three times before. A new send of a value that is simply the same again, like a "
               "heartbeat or an unchanged reading; counted as context.";
    case KD_PROFILE:
        return "Content repeats by nature in this partition: at least 1% of its records (with 95% confidence) repeat an earlier key "
               "and value as single records or recurring blocks (see the partition's repeat profile). Here a new "
               "send of the same content is ordinary traffic, and the bytes cannot tell this repeat from one; "
               "counted as context. A retry of a whole batch (same timestamps) or a replay by a new producer "
               "session would still be a warning.";
    case KD_COINCIDENCE:
        return "The copies have the same millisecond timestamp, which a retry would also show, but the same "
               "content is sent again within a few milliseconds so often here that equal milliseconds are "
               "expected by chance, and the content recurs anyway: the bytes cannot tell a retry from a new "
               "send. Counted as context.";
    default:
        return "";
    }
}

/* The evidence, in one sentence. */
static void evidence_words(const kd_run *r, char *out, size_t cap)
{
    if (bypass(r))
        snprintf(out, cap, "Evidence: the same producer id, epoch and sequence at two offsets.");
    else if (timed_retry(r))
        snprintf(out, cap, "Evidence: %s whole batch%s repeated with the same client timestamps%s.",
                 r->count == 1 ? "a" : "the", r->count == 1 ? "" : "es", r->identical_batch ? " and checksum" : "");
    else if (replay(r))
        snprintf(out, cap, "Evidence: a block of %" PRId64 " distinct records of an older session, in the same order, "
                           "among the first records of a new producer session.", r->count);
    else if (r->count > 1)
        snprintf(out, cap, "Evidence: a block of %" PRId64 " distinct records repeated in the same order%s.", r->count,
                 r->identical ? ", timestamps included" : "");
    else
        snprintf(out, cap, "Evidence: one record's key and value again%s.",
                 !r->ts_known ? " (no timestamps to compare)" : r->identical ? " with the same timestamp" : " with a new timestamp");
}

rm_finding *kd_emit(rm_report *rep, size_t part, const kd_run *r, int reason, const kd_context *c)
{
    const char *delivery = kd_class(r);
    const char *cls = reason == KD_DELIVERY ? delivery : "repeated_content";
    int severity = reason == KD_DELIVERY ? RM_WARNING : RM_INFO;
    rm_tally_duplicates(rep, part, cls, 1, r->count);
    rm_finding *f = rm_add_ranked(rep, "duplicate", severity, part, r->d.first, r->count);
    if (!f) return NULL;
    f->producer_id = r->d.producer_id;
    f->producer_epoch = r->d.producer_id >= 0 ? r->d.epoch : -1;
    char k[KD_PREVIEW * 4 + 32], v[KD_PREVIEW * 4 + 32], dist[48], ev[200];
    kd_preview_text(&r->key, k, sizeof k);
    kd_preview_text(&r->value, v, sizeof v);
    int64_t distance = r->d.ts - r->o.ts;
    if (r->ts_known) snprintf(dist, sizeof dist, "%" PRId64 " ms later", distance);
    else snprintf(dist, sizeof dist, "time apart unknown");
    if (r->count == 1)
        rm_set_message(f, "record at offset %" PRId64 " repeats the key and value of offset %" PRId64 ", %s (%s%s%s)",
                       r->d.first, r->o.first, dist, cls, reason == KD_DELIVERY ? "" : ": ",
                       reason == KD_DELIVERY ? "" : kd_reason_name(reason));
    else
        rm_set_message(f, "%" PRId64 " records at offsets %" PRId64 "..%" PRId64 " repeat offsets %" PRId64 "..%" PRId64
                          ", %s (%s%s%s)",
                       r->count, r->d.first, r->d.last, r->o.first, r->o.last, dist, cls,
                       reason == KD_DELIVERY ? "" : ": ", reason == KD_DELIVERY ? "" : kd_reason_name(reason));
    evidence_words(r, ev, sizeof ev);
    if (reason == KD_DELIVERY) rm_set_explanation(f, "%s %s", class_words(delivery, r), ev);
    else rm_set_explanation(f, "%s %s", reason_words(reason), ev);
    rm_field_str(f, "class", cls);
    if (c->rule) rm_field_str(f, "rule", c->rule);
    if (reason != KD_DELIVERY) {
        rm_field_str(f, "delivery_class", delivery);
        rm_field_str(f, "reason", kd_reason_name(reason));
    }
    rm_field_str(f, "evidence", kd_strong(r) ? "strong" : "weak");
    rm_field_int(f, "count", r->count);
    rm_field_int(f, "last_offset", r->d.last);
    rm_field_int(f, "original_offset", r->o.first);
    rm_field_int(f, "original_last_offset", r->o.last);
    rm_field_int(f, "offset_distance", (int64_t)((uint64_t)r->d.first - (uint64_t)r->o.first));
    if (r->ts_known) rm_field_int(f, "time_distance_ms", distance);
    else rm_field_null(f, "time_distance_ms");
    rm_field_int(f, "window", c->window);
    rm_field_bool(f, "identical_records", r->identical);
    rm_field_bool(f, "identical_batch", r->identical_batch);
    rm_field_bool(f, "whole_batches", r->whole);
    rm_field_bool(f, "session_start", r->session_start);
    rm_field_int(f, "copies", r->copies);
    rm_field_int(f, "original_producer_id", r->o.producer_id);
    rm_field_int(f, "original_producer_epoch", r->o.epoch);
    rm_field_int(f, "sequence", r->d.sequence);
    rm_field_int(f, "original_sequence", r->o.sequence);
    rm_field_bool(f, "transactional", r->d.transactional);
    rm_field_bool(f, "original_transactional", r->o.transactional);
    rm_field_int(f, "timestamp", r->d.ts);
    rm_field_int(f, "original_timestamp", r->o.ts);
    rm_field_str(f, "key_preview", k);
    rm_field_int(f, "key_size", r->key.len);
    rm_field_str(f, "value_preview", v);
    rm_field_int(f, "value_size", r->value.len);
    return f;
}
