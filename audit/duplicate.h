/*
 * duplicate.h - the `duplicate` finding: from the evidence of a run of
 * repeated records to its class, its severity and its words.
 *
 * Owns: the evidence model of docs/report.md ("Duplicates: what the bytes
 * can prove"). A run is a block of consecutive records that repeat, in the
 * same order, consecutive records written earlier (each compared with the
 * nearest earlier copy of the same key and value). Kafka puts a second copy
 * of a record in a partition in a few ways only, and the bytes show them
 * with more or less strength:
 *
 *   a client retry          the same batch again: every record identical,
 *                           client timestamps included, whole batches, in
 *                           one producer session (none, or the same id,
 *                           epoch and sequence);
 *   a restarted producer    a block of distinct records of an older session
 *                           among the first records of a new one;
 *   the same send again     one session sends equal content with a new
 *                           timestamp: the bytes cannot tell a bug from a
 *                           value that is simply the same again.
 *
 * The first two are evidence of a delivery failure (warnings) unless the
 * content recurs by itself; the last is a warning only in a partition whose
 * content is otherwise unique (kd_profile), else repeated content (info).
 *
 * Pure functions over the evidence the auditor gathered: no state, no I/O.
 */
#ifndef KAUDIT_AUDIT_DUPLICATE_H
#define KAUDIT_AUDIT_DUPLICATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/model.h"
#include "report/preview.h"


/* One side of a run: the originals or the copies. */
typedef struct kd_side {
    int64_t first, last;   /* offsets of its first and last record */
    int64_t ts;            /* client timestamp of its first record, -1 unknown */
    int64_t producer_id;   /* -1 none */
    int16_t epoch;
    int32_t sequence;      /* of its first record, -1 none */
    bool transactional;
    uint32_t crc;          /* its first batch's stored CRC */
} kd_side;

/* What the auditor saw of a run. */
typedef struct kd_run {
    kd_side o, d;          /* originals and copies */
    int64_t count;         /* records in the run */
    bool identical;        /* every pair: equal client timestamps and headers too */
    bool ts_known;         /* both first records carry a client timestamp */
    bool identical_batch;  /* every copy batch has its original batch's CRC (and is another batch) */
    bool whole;            /* the copies are whole batches, every record of them in the run */
    bool same_batch;       /* some copy lies in its original's batch */
    bool session_start;    /* the copies begin their producer session, which is newer than the originals' */
    int copies;            /* copy number of the first copy: 2 for a second copy, up to 4 (4 or more) */
    int64_t recurring;     /* records that were the 4th or later copy of their content */
    int64_t later;         /* records copied again later in the partition */
    bool regular;          /* the block recurs at a regular interval (3 copies or more) */
    rm_preview key, value; /* of the first copy */
} kd_run;

/* Why a repeat is repeated content rather than a delivery duplicate. */
enum {
    KD_DELIVERY = 0,       /* a delivery duplicate: a warning */
    KD_RULE,               /* the topic's naming rule (internal, changelog, ...) */
    KD_WINDOW,             /* further apart than --dup-window */
    KD_RECURRING,          /* the content recurs by itself */
    KD_PROFILE,            /* the partition's content repeats by nature */
    KD_COINCIDENCE         /* equal millisecond timestamps are expected by chance here */
};

/* The partition's repetition, from what the log shows. */
typedef struct kd_profile {
    int64_t records;       /* visible data records checked for duplicates */
    int64_t repeated;      /* of them, records repeating earlier content (every run's count) */
    int64_t natural;       /* repeats that look like ordinary traffic: single records, recurring
                            * blocks, repeats beyond the window (not retries or replays) */
    int64_t near;          /* runs without producer ids whose copies came 1 to 10 ms from the
                            * originals, with new timestamps */
    int64_t same_ms;       /* short runs (KD_CHANCE_RUN records at most) without producer ids
                            * and equal client timestamps: a retry, or chance */
} kd_profile;

/* The longest run whose equal client timestamps can be chance where the
 * same content is sent many times a millisecond; a retried batch of more
 * records is never chance. */
#define KD_CHANCE_RUN 3

/* Does the partition's content repeat by nature (not otherwise unique)?
 * At least KD_NATURE_MIN natural repeats, and at least KD_NATURE_RATIO of
 * its records with 95% confidence (the Wilson score interval's lower
 * bound): a few repeats in a small partition prove nothing. */
#define KD_NATURE_MIN 3
#define KD_NATURE_RATIO 0.01
bool kd_by_nature(const kd_profile *pf);

/* Could equal millisecond timestamps of single records without producer ids
 * be chance here? Yes when new sends of the same content 1 to 10 ms apart
 * are at least as many as the equal-millisecond repeats: at that density
 * about near / 10 of them are expected by chance, a tenth or more of those
 * seen. */
bool kd_coincidence(const kd_profile *pf);

/* The class the evidence gives: retry_without_idempotence,
 * idempotence_bypassed, producer_restart or application_resend. */
const char *kd_class(const kd_run *r);

/* Is the run, by its own bytes, evidence of a delivery failure (a client
 * retry, an idempotence bypass, a replay at a new session's start)? */
bool kd_strong(const kd_run *r);

/* Is the run's content recurring by itself: a single record that is at
 * least the third copy (or copied again later), or a block that recurs at a
 * regular interval or whose records mostly are the fourth copy or later? */
bool kd_recurs(const kd_run *r);

/* Does the run look like ordinary traffic, counted into the profile's
 * `natural`: recurring content, a repeat beyond the window, or a single
 * record without evidence of a retry? */
bool kd_natural(const kd_run *r, int64_t window);

/* The incident a delivery duplicate belongs to: "retry" (retries close in
 * time, across the audit), "producer_restart" (one new producer session,
 * wherever it replayed), else its class per topic and session, close in
 * time (within `window`). */
rm_group kd_group(const kd_run *r, const char *topic, int64_t window);

/* The context of a decision. */
typedef struct kd_context {
    const char *rule;      /* the topic's repetition rule, or NULL */
    bool internal;         /* a topic only brokers write (rule "internal") */
    int64_t window;        /* --dup-window in ms */
    const kd_profile *profile; /* NULL: the partition is not read to its end yet */
} kd_context;

/*
 * Decide a run: KD_DELIVERY (a warning) or why it is repeated content.
 * Returns -1 when the answer needs the partition's profile and `c->profile`
 * is NULL (hold the run until the end).
 */
int kd_decide(const kd_run *r, const kd_context *c);

/* A short name for a reason: "delivery", "rule", "window", "recurring",
 * "profile", "coincidence". */
const char *kd_reason_name(int reason);

/*
 * Add the finding for run `r`, decided `reason`, to partition `part` of
 * `rep` (counted, and kept as an example while there is room; examples are
 * ranked by records involved): the run's facts as fields, its words
 * written by report/ (duplicate_words.c). Returns the finding, or NULL when
 * it was counted but not kept.
 */
rm_finding *kd_emit(rm_report *rep, size_t part, const kd_run *r, int reason, const kd_context *c);

#endif
