/*
 * duplicate_words.c - the words of a `duplicate` finding (types.h), from its
 * fields: which class the evidence gave, why a repeat is only context, and
 * the evidence itself (the words of each explanation are written once per
 * report, the evidence is each finding's own: types.h, rt_explain). The rules behind the classes are the audit's
 * (audit/duplicate.h, docs/report.md "Duplicates: what the bytes can
 * prove"); here they are only read back from the finding.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "types.h"

int rt_duplicate_words(const rm_finding *f, char **message);
int rt_duplicate_explain(const rm_finding *f, int *k, char **detail);

/* The facts the words need, read from the finding's fields. */
typedef struct dup_facts {
    const char *cls;       /* the class reported: a delivery class or repeated_content */
    const char *delivery;  /* the class the evidence gave */
    const char *reason;    /* why it is only context, or NULL */
    int64_t count, first, last, original_first, original_last, distance;
    int64_t original_producer_id;
    bool ts_known, identical, identical_batch, session_start;
} dup_facts;

static const rm_field *field(const rm_finding *f, const char *key)
{
    for (int i = 0; i < f->nfields; i++)
        if (strcmp(f->fields[i].key, key) == 0) return &f->fields[i];
    return NULL;
}

static const char *str_of(const rm_finding *f, const char *key)
{
    const rm_field *x = field(f, key);
    return x && x->kind == RM_STR && x->s ? x->s : NULL;
}

static int64_t int_of(const rm_finding *f, const char *key)
{
    const rm_field *x = field(f, key);
    return x && (x->kind == RM_INT || x->kind == RM_BOOL) ? x->i : -1;
}

static dup_facts facts_of(const rm_finding *f)
{
    dup_facts d;
    d.cls = str_of(f, "class") ? str_of(f, "class") : "repeated_content";
    d.reason = str_of(f, "reason");
    d.delivery = d.reason && str_of(f, "delivery_class") ? str_of(f, "delivery_class") : d.cls;
    d.count = int_of(f, "count");
    d.first = f->offset;
    d.last = int_of(f, "last_offset");
    d.original_first = int_of(f, "original_offset");
    d.original_last = int_of(f, "original_last_offset");
    const rm_field *t = field(f, "time_distance_ms");
    d.ts_known = t && t->kind == RM_INT;
    d.distance = d.ts_known ? t->i : 0;
    d.original_producer_id = int_of(f, "original_producer_id");
    d.identical = int_of(f, "identical_records") == 1;
    d.identical_batch = int_of(f, "identical_batch") == 1;
    d.session_start = int_of(f, "session_start") == 1;
    return d;
}

static bool is(const char *a, const char *b) { return strcmp(a, b) == 0; }

/* Why the class (which guarantee stopped where, and what to check next),
 * or why it is only context: every duplicate reads one of these, then its
 * evidence (its own words). */
const rt_explanation rt_duplicate_explanations[RTX_DUPLICATE_COUNT] = {
    [RTX_DUP_RETRY] = {
        "duplicate.retry_without_idempotence",
        "Neither copy carries a producer id, and the copies are the same batch: every record identical, including "
        "the timestamps the client stamped once when the application called send(). That is a client retry: the "
        "producer ran without idempotence (enable.idempotence=false, or a client without it), an acknowledgement "
        "was lost, and the broker could not recognise the batch it already had. Check the producer's idempotence "
        "setting and its retry logs around this time." },
    [RTX_DUP_SAME_BATCH_UNTIMED] = {
        "duplicate.same_batch_untimed",
        "Neither copy carries a producer id and the copies are byte for byte the same batch. The message format "
        "has no timestamps, so the bytes cannot tell a client retry (a lost acknowledgement, no idempotence) from "
        "an application that sent the same bytes again." },
    [RTX_DUP_BYPASSED] = {
        "duplicate.idempotence_bypassed",
        "Same producer id, epoch and sequence numbers at two offsets: exactly the retry the broker is meant to "
        "drop. It was accepted twice because the broker did not know the first copy when the second arrived: "
        "producer state lost in a leader change or unclean election, the producer id expired, or a broker bug. "
        "Check the partition's leader changes and the broker logs around both offsets." },
    [RTX_DUP_RESTART_EPOCH] = {
        "duplicate.producer_restart_new_epoch",
        "Same producer id, new epoch: the producer's session was re-initialised (a transactional producer calling "
        "initTransactions again after a restart, or an idempotent producer bumping its epoch after an error) and "
        "the new session wrote the records again. Idempotence does not carry across epochs. Check the producer's "
        "restarts and what it replays after them." },
    [RTX_DUP_RESTART] = {
        "duplicate.producer_restart",
        "The copies carry different producer ids: a new producer session (a restart, redeploy or new instance) "
        "wrote again what an earlier session had already written. Idempotence only protects retries within one "
        "producer session, so the broker accepted both. Check for a producer restart around this time and whether "
        "it replays input it had already sent (an uncommitted consumer offset, a source re-read from a "
        "checkpoint)." },
    [RTX_DUP_RESEND] = {
        "duplicate.application_resend",
        "Neither copy carries a producer id, and the later copy is a new send of the same key and value (new "
        "timestamps, or not the whole batch again): the application sent it again. Nothing in Kafka stops that. "
        "The bytes cannot tell an application bug from a deliberate resend. Check the producing application's "
        "send path and error handling." },
    [RTX_DUP_RESEND_SESSION] = {
        "duplicate.application_resend_idempotent",
        "Same producer session, new sequence numbers: the application (not the network) sent the same records "
        "again as new messages, so idempotence, which only drops resent batches, let them through. The bytes "
        "cannot tell an application bug from a deliberate resend. Check the application's send path and error "
        "handling." },
    [RTX_DUP_RULE] = {
        "duplicate.repeated_content_rule",
        "Repetition is normal in this topic (see the rule): its writers re-emit unchanged values by design (Streams "
        "changelogs and repartition topics forwarding aggregates that did not change, Schema Registry and Connect "
        "re-writing their state, the brokers' own topics). Counted as context, not as a delivery problem; a "
        "client's retry of a whole batch would still be a warning here. Use --dup-topics to audit such a topic as "
        "an ordinary one." },
    [RTX_DUP_WINDOW] = {
        "duplicate.repeated_content_window",
        "The copies are further apart than --dup-window, longer than any of Kafka's own retry or restart paths "
        "takes to resend: the same content was produced again, not redelivered. Counted as context. Raise "
        "--dup-window if this application can replay that late." },
    [RTX_DUP_RECURRING] = {
        "duplicate.repeated_content_recurring",
        "This content recurs by itself in the partition: the record is at least the third copy of its key and "
        "value (or is copied again later), or the block of records recurs at a regular interval or was seen three "
        "times before. A new send of a value that is simply the same again, like a heartbeat or an unchanged "
        "reading; counted as context." },
    [RTX_DUP_PROFILE] = {
        "duplicate.repeated_content_profile",
        "Content repeats by nature in this partition: at least 1% of its records (with 95% confidence) repeat an "
        "earlier key and value as single records or recurring blocks (see the partition's repeat profile). Here a "
        "new send of the same content is ordinary traffic, and the bytes cannot tell this repeat from one; counted "
        "as context. A retry of a whole batch (same timestamps) or a replay by a new producer session would still "
        "be a warning." },
    [RTX_DUP_COINCIDENCE] = {
        "duplicate.repeated_content_coincidence",
        "The copies have the same millisecond timestamp, which a retry would also show, but the same content is "
        "sent again within a few milliseconds so often here that equal milliseconds are expected by chance, and "
        "the content recurs anyway: the bytes cannot tell a retry from a new send. Counted as context." },
    [RTX_DUP_CONTEXT] = {
        "duplicate.repeated_content",
        "The same content again, counted as context, not as a delivery problem (see its reason)." },
};

/* Which of them: why the class, or why it is only context. */
static int explanation_of(const dup_facts *d, int64_t producer_id)
{
    if (d->reason) {
        static const char *const reasons[] = { "rule", "window", "recurring", "profile", "coincidence" };
        for (int i = 0; i < 5; i++)
            if (is(d->reason, reasons[i])) return RTX_DUP_RULE + i;
        return RTX_DUP_CONTEXT;
    }
    if (is(d->delivery, "retry_without_idempotence")) return d->ts_known ? RTX_DUP_RETRY : RTX_DUP_SAME_BATCH_UNTIMED;
    if (is(d->delivery, "idempotence_bypassed")) return RTX_DUP_BYPASSED;
    if (is(d->delivery, "producer_restart"))
        return d->original_producer_id == producer_id ? RTX_DUP_RESTART_EPOCH : RTX_DUP_RESTART;
    return d->original_producer_id < 0 && producer_id < 0 ? RTX_DUP_RESEND : RTX_DUP_RESEND_SESSION;
}

/* The evidence, in one sentence. */
static void evidence_words(const dup_facts *d, char *out, size_t cap)
{
    if (is(d->delivery, "idempotence_bypassed"))
        snprintf(out, cap, "Evidence: the same producer id, epoch and sequence at two offsets.");
    else if (d->ts_known && is(d->delivery, "retry_without_idempotence"))
        snprintf(out, cap, "Evidence: %s whole batch%s repeated with the same client timestamps%s.",
                 d->count == 1 ? "a" : "the", d->count == 1 ? "" : "es", d->identical_batch ? " and checksum" : "");
    else if (d->count >= 2 && d->session_start && is(d->delivery, "producer_restart"))
        snprintf(out, cap,
                 "Evidence: a block of %" PRId64 " distinct records of an older session, in the same order, "
                 "among the first records of a new producer session.",
                 d->count);
    else if (d->count > 1)
        snprintf(out, cap, "Evidence: a block of %" PRId64 " distinct records repeated in the same order%s.", d->count,
                 d->identical ? ", timestamps included" : "");
    else
        snprintf(out, cap, "Evidence: one record's key and value again%s.",
                 !d->ts_known ? " (no timestamps to compare)"
                 : d->identical ? " with the same timestamp"
                                : " with a new timestamp");
}

int rt_duplicate_words(const rm_finding *f, char **message)
{
    dup_facts d = facts_of(f);
    char dist[48];
    if (d.ts_known) snprintf(dist, sizeof dist, "%" PRId64 " ms later", d.distance);
    else snprintf(dist, sizeof dist, "time apart unknown");
    const char *sep = d.reason ? ": " : "", *why = d.reason ? d.reason : "";
    int rc;
    if (d.count == 1)
        rc = asprintf(message, "record at offset %" PRId64 " repeats the key and value of offset %" PRId64 ", %s (%s%s%s)",
                      d.first, d.original_first, dist, d.cls, sep, why);
    else
        rc = asprintf(message, "%" PRId64 " records at offsets %" PRId64 "..%" PRId64 " repeat offsets %" PRId64
                               "..%" PRId64 ", %s (%s%s%s)",
                      d.count, d.first, d.last, d.original_first, d.original_last, dist, d.cls, sep, why);
    if (rc < 0) *message = NULL;
    return *message ? 0 : -1;
}

int rt_duplicate_explain(const rm_finding *f, int *k, char **detail)
{
    dup_facts d = facts_of(f);
    *k = explanation_of(&d, f->producer_id);
    if (!detail) return 0;
    char ev[200];
    evidence_words(&d, ev, sizeof ev);
    *detail = strdup(ev);
    return *detail ? 0 : -1;
}
