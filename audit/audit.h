/*
 * audit.h - replay one partition the way a broker replica would, and report
 * every place where a delivery guarantee did not hold.
 *
 * Owns: ka_partition, the state of one pass over one partition: a state
 * machine per producer id (epoch, sequences, open transaction, coordinator
 * epoch; formats doc 7.2 to 7.10), the duplicate index of the partition's
 * records (same key and value, null and empty distinct), leader epochs, and
 * the integrity facts the reader reports. It turns them into findings of a
 * report/model report.
 *
 * The caller (the CLI) reads the files and feeds, in offset order: seed and
 * check snapshots, the leader-epoch checkpoint, then each batch (begin,
 * records, end) and each reader problem, then ends the partition. No file
 * I/O here, no formatting beyond the findings' one-line messages.
 */
#ifndef KAUDIT_AUDIT_AUDIT_H
#define KAUDIT_AUDIT_AUDIT_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/dupindex.h"
#include "audit/identity.h"
#include "reader/batch.h"
#include "reader/checkpoint.h"
#include "reader/error.h"
#include "reader/snapshot.h"
#include "report/model.h"

#define KA_DEFAULT_EXPIRATION_MS ((int64_t)86400000) /* producer.id.expiration.ms (3.4+) */
#define KA_DEFAULT_TXN_TIMEOUT_MS ((int64_t)900000)  /* transaction.max.timeout.ms */

/*
 * How far apart two copies may be and still be a delivery duplicate: the
 * longest of the recoveries by which Kafka clients resend on their own. A
 * consumer-driven producer (Streams, Connect, an app that consumes to
 * produce) that dies is replaced after a rebalance, at most
 * max.poll.interval.ms (5 min) later; the replacement resends what came
 * after the last committed input (Connect flushes offsets every
 * offset.flush.interval.ms, 1 min), and each send may retry for
 * delivery.timeout.ms (2 min). 5 + 1 + 2 = 8 minutes, rounded up to 10.
 */
#define KA_DEFAULT_DUP_WINDOW_MS ((int64_t)600000)

typedef struct ka_options {
    int64_t producer_expiration_ms; /* gap after which a producer id is forgotten */
    int64_t txn_max_timeout_ms;     /* an open transaction older than this is hanging */
    bool dup_include_headers;       /* headers are part of a record's identity */
    int64_t dup_window_ms;          /* repeats further apart are repeated content */
    const regex_t *dup_topics;      /* topics audited as ordinary despite their names, or NULL */
    int64_t off_lo, off_hi;         /* report findings only at offsets in [lo, hi] */
    int64_t since, until;           /* ... and of batches with timestamps in [since, until] */
    int redact;                     /* KA_REDACT_*: previews replaced by size and token */
    uint64_t redact_key;            /* keys the tokens (random per report unless given) */
    const kid_rules *identity;       /* --identity: topics whose duplicates are by identity, or NULL */
} ka_options;

/* What --redact hides. A redacted preview shows the content's size and a
 * token: a 64-bit XXH3 of the whole content keyed by redact_key, so equal
 * content gives equal tokens and duplicates still line up, while a reader
 * without the key cannot test guesses. (XXH3 is fast, not a cryptographic
 * MAC: tokens hide content from readers of the report, they are not proof
 * against someone who has the key or can query us with chosen content.) */
enum { KA_REDACT_KEYS = 1, KA_REDACT_VALUES = 2, KA_REDACT_HEADERS = 4 };

/* The token of `len` bytes at `p` under `key` (see above): what every report
 * and dump --redact shows in place of the content. */
uint64_t ka_redact_token(const uint8_t *p, size_t len, uint64_t key);

/* Defaults: expiration 1 day, transactions 15 minutes, window 10 minutes,
 * everything reported. */
void ka_options_init(ka_options *o);

typedef struct ka_partition ka_partition;

/*
 * Start auditing partition `index` of report `r` (see rm_add_partition),
 * whose topic decides which rules apply (coordinator topics skip sequence
 * checks; in topics where repetition is normal every repeat is repeated
 * content, see ka_topic_repetition_rule). Returns NULL when
 * out of memory. The options and report must outlive the partition.
 */
ka_partition *ka_partition_create(const ka_options *o, rm_report *r, size_t index, const char *topic);

/* Free. Accepts NULL. */
void ka_partition_free(ka_partition *p);

/*
 * Seed producer state from a snapshot taken at `offset` (formats doc 7.9),
 * before the first batch. Only a snapshot at or below the first offset
 * replayed helps.
 */
void ka_seed_snapshot(ka_partition *p, int64_t offset, const kp_snapshot *s);

/*
 * A snapshot taken at `offset` to compare with the state rebuilt from the
 * log when the replay reaches that offset (snapshot_mismatch). The entries
 * are copied. Give them in increasing offset order.
 */
void ka_check_snapshot(ka_partition *p, int64_t offset, const char *file, const kp_snapshot *s);

/* The partition's leader-epoch-checkpoint, compared at the end. Copied. */
void ka_leader_epochs(ka_partition *p, const char *file, const kk_checkpoint *c);

/* A batch begins (its CRC matched). Records follow, then ka_batch_end. */
void ka_batch_begin(ka_partition *p, const kb_batch *b, const char *file);

/* One record of the current batch. Its key and value views must stay valid
 * until ka_batch_end (the auditor queues a batch's records for its
 * duplicate index; the reader's buffers live as long as the batch). */
void ka_record(ka_partition *p, const kb_record *r);

/* A record's identity for the duplicate index: what ka_record computes
 * of each record, which may be computed beforehand, on any thread. */
typedef struct ka_ident {
    uint64_t lo, hi; /* key and value (and headers with --dup-include-headers), 128 bits */
    uint32_t aux;    /* what a client retry also keeps equal */
} ka_ident;

/* Record r's identity under options o (those of the partition it will be
 * given to). Pure: touches nothing but *id. */
void ka_identify(const ka_options *o, const kb_record *r, ka_ident *id);

/* ka_record of a record whose identity `id` was computed beforehand with
 * ka_identify (NULL: computed here): the same audit. */
void ka_record_known(ka_partition *p, const kb_record *r, const ka_ident *id);

/* The current batch ends; `iter_error` is the error that stopped its
 * records (NULL when every record was read). */
void ka_batch_end(ka_partition *p, const ke_error *iter_error);

/* The control type (KB_CTRL_*) of the last batch's first record when it was
 * a control batch, else KB_CTRL_UNKNOWN: for the index checker. */
int ka_control_type(const ka_partition *p);

/*
 * The reader could not read an entry: a CRC mismatch, a broken or partial
 * entry, a zero-filled tail. `entry_offset` is the entry's offset field
 * when known (else -1). Becomes corrupt_batch or truncated_batch.
 */
void ka_reader_problem(ka_partition *p, const ke_error *e, int64_t entry_offset);

/* An index disagrees with the log at `offset` (from audit/indexcheck). */
void ka_index_problem(ka_partition *p, const ke_error *e, int64_t offset);

/* The partition's files besides its segments, for ka_file_problem. */
enum {
    KA_FILE_SNAPSHOT,           /* a .snapshot */
    KA_FILE_LEADER_EPOCH,       /* leader-epoch-checkpoint: unreadable, malformed, or negative values */
    KA_FILE_LEADER_EPOCH_ORDER, /* leader-epoch-checkpoint: entries not strictly increasing */
    KA_FILE_LOG_START,          /* the log directory's log-start-offset-checkpoint */
    KA_FILE_INDEX               /* a .index, .timeindex or .txnindex */
};

/*
 * A file the audit uses (a KA_FILE_* kind) is present but cannot be read,
 * fails its checksum or breaks its format: `corrupt_file`, an error where the broker
 * itself fails on it (the checkpoints), a warning where it rebuilds or
 * ignores it (a snapshot, an index). What the file would have been
 * checked against is not checked; the finding says so.
 */
void ka_file_problem(ka_partition *p, const ke_error *e, int kind);

/*
 * The partition's log start offset from log-start-offset-checkpoint: data
 * below it was deleted (DeleteRecords, retention) though its segment may
 * still hold it, and the broker moved the first leader epoch's start to it.
 */
void ka_log_start(ka_partition *p, int64_t offset);

/* The partition's segments hold about `bytes` bytes: size the duplicate
 * index once instead of growing it (an optimisation only). */
void ka_expect_bytes(ka_partition *p, int64_t bytes);

/*
 * The duplicate index, with the table of batches and the producers' state
 * and open transactions' records, may take at most `max_bytes` (0 = no
 * limit). Past it
 * the index stops answering (ka_index_full) and the partition is incomplete:
 * the driver audits it again with a spill (ka_index_spill). Before the
 * first batch.
 */
void ka_index_limit(ka_partition *p, size_t max_bytes);

/*
 * The producers' state and their open transactions' records may take at
 * most `max_bytes` (0 = no limit) on their own, for a partition audited
 * with a spill (the limit of ka_index_limit covers them otherwise). Past
 * it they are not kept and the partition is incomplete (ka_incomplete).
 */
void ka_state_limit(ka_partition *p, size_t max_bytes);

/*
 * The runs of duplicates held for the end of the partition (those whose
 * class needs its repeat profile, see audit/duplicate.h) may take about
 * `max_bytes` (0 = no limit); past it the oldest are decided with the
 * profile as it stands, and a note says how many. Give every pass of a
 * partition the same limit, so that a spilled audit decides as the first.
 */
void ka_held_limit(ka_partition *p, size_t max_bytes);

/*
 * Audit with a spilled duplicate index (audit/dupindex.h): KQ_RECORD for the
 * first pass (its report is to be thrown away), KQ_REPLAY for the second,
 * on the same input in the same order. `spill` must outlive the partition.
 * Before the first batch. 0, or -1 when the spill cannot be read.
 */
int ka_index_spill(ka_partition *p, int mode, const kq_spill *spill);

/* The index reached its limit: this partition's report is incomplete. */
bool ka_index_full(const ka_partition *p);

/*
 * After ka_partition_end: why this partition was not fully checked (an
 * allocation that failed anywhere in its audit or its report, a duplicate
 * index that stopped answering), written into buf; NULL when it was. A
 * front end must not call an incomplete audit clean.
 */
const char *ka_incomplete(const ka_partition *p, char *buf, size_t cap);

/* Was the partition incomplete only because its state outgrew its share
 * of the memory (ka_state_limit), with no allocation failed and the index
 * answering? Then another pass with the same limits gives the same. */
bool ka_over_budget_only(const ka_partition *p);

/*
 * Will the index pass its limit before the end, if it keeps growing as it
 * did over the `fraction` (0 to 1) of the partition read so far? A guess
 * (the rest may repeat what was read), for giving up early on a partition
 * that a spill will have to audit anyway.
 */
bool ka_index_outgrows(const ka_partition *p, double fraction);

/* The duplicate index's distinct records (0 when spilled: the table is not
 * used) and the most bytes it held at once, a growth's two tables
 * included: for measuring its bytes per distinct record (bench/run.sh). */
void ka_index_stats(const ka_partition *p, size_t *distinct, size_t *peak_bytes);

/*
 * Audit this partition for the integrity of its own bytes only (checksums,
 * structure, offsets, leader epochs, timestamps, indexes, files): another
 * broker's copy of it is audited in full, so its producers, duplicates,
 * transactions, snapshots and consumer groups, which would only repeat
 * that copy's, are not. Before the first batch.
 */
void ka_light(ka_partition *p);

/* Where the facts of records with an identity go (topics with an
 * --identity, audit/identity.h): put() gets each visible one, in offset
 * order (a committed transaction's at its marker). */
typedef struct kid_sink {
    void *ctx;
    void (*put)(void *ctx, const kid_entry *e);
} kid_sink;

/* Give the partition's identity facts to `sink` (which must outlive it;
 * NULL: only counted). Before the first batch. */
void ka_identity_sink(ka_partition *p, const kid_sink *sink);

/* A segment starts (for counts). */
void ka_segment(ka_partition *p, int64_t bytes);

/* End of the partition: open transactions, leader epochs, snapshots taken
 * at the log end, producer summaries into the report. */
void ka_partition_end(ka_partition *p);

/* Is `topic` written by a coordinator without sequences? */
bool ka_topic_coordinator(const char *topic);

/*
 * The rule that makes repetition normal in `topic`, or NULL for an ordinary
 * topic: "internal" (__*, the KRaft metadata log), "schema-registry"
 * (_schemas), "confluent" (_confluent*), "connect" (Connect's config, offset
 * and status topics), "streams-changelog", "streams-repartition".
 */
const char *ka_topic_repetition_rule(const char *topic);

#endif
