/* duplicate.c - see duplicate.h. The Kafka behaviour each rule rests on is
 * in docs/report.md, "Duplicates: what the bytes can prove". */
#include "duplicate.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "report/types.h"

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

rm_finding *kd_emit(rm_report *rep, size_t part, const kd_run *r, int reason, const kd_context *c)
{
    const char *delivery = kd_class(r);
    const char *cls = reason == KD_DELIVERY ? delivery : "repeated_content";
    int severity = reason == KD_DELIVERY ? RM_WARNING : RM_INFO;
    rm_tally_duplicates(rep, part, cls, 1, r->count);
    rm_finding *f = rm_add_ranked(rep, RT_DUPLICATE, 0, severity, part, r->d.first, r->count);
    if (!f) return NULL;
    f->producer_id = r->d.producer_id;
    f->producer_epoch = r->d.producer_id >= 0 ? r->d.epoch : -1;
    char k[RM_PREVIEW_TEXT], v[RM_PREVIEW_TEXT];
    rm_preview_text(&r->key, k, sizeof k);
    rm_preview_text(&r->value, v, sizeof v);
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
    if (r->ts_known) rm_field_int(f, "time_distance_ms", r->d.ts - r->o.ts);
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
