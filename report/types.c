/*
 * types.c - see types.h: the table of finding types, and the words it
 * gives a finding. Every explanation names the guarantee that failed, what
 * the broker does about it, and what to check next.
 */
#include "types.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define SEV(s) (1u << (s))

/* Where a batch-level finding is: the segment file and the batch's byte. */
#define AT_BATCH { "file", RM_STR, RT_ALWAYS }, { "position", RM_INT, RT_ALWAYS }
/* ... where the offset alone may not tell two findings apart (an index's
 * entries, bytes that are no batch): the file and position are its key. */
#define AT_BATCH_KEY { "file", RM_STR, RT_ALWAYS | RT_KEY }, { "position", RM_INT, RT_ALWAYS | RT_KEY }
#define END { NULL, 0, 0 }
/* A repeat's copy beside its original: sessions, sequences, transactions
 * and client timestamps (duplicates by bytes and by identity alike). */
#define COPY_EVIDENCE \
    { "original_producer_id", RM_INT, RT_ALWAYS }, { "original_producer_epoch", RM_INT, RT_ALWAYS }, \
    { "sequence", RM_INT, RT_ALWAYS }, { "original_sequence", RM_INT, RT_ALWAYS }, \
    { "transactional", RM_BOOL, RT_ALWAYS }, { "original_transactional", RM_BOOL, RT_ALWAYS }, \
    { "timestamp", RM_INT, RT_ALWAYS }, { "original_timestamp", RM_INT, RT_ALWAYS }

/* ---- duplicates ------------------------------------------------------------ */

static const rt_field duplicate_fields[] = {
    { "class", RM_STR, RT_ALWAYS },
    { "rule", RM_STR, 0 },
    { "delivery_class", RM_STR, 0 },
    { "reason", RM_STR, 0 },
    { "evidence", RM_STR, RT_ALWAYS },
    { "count", RM_INT, RT_ALWAYS },
    { "last_offset", RM_INT, RT_ALWAYS },
    { "original_offset", RM_INT, RT_ALWAYS | RT_KEY },
    { "original_last_offset", RM_INT, RT_ALWAYS },
    { "offset_distance", RM_INT, RT_ALWAYS },
    { "time_distance_ms", RM_INT, RT_ALWAYS }, /* null when either copy has no timestamp */
    { "window", RM_INT, RT_ALWAYS },
    { "identical_records", RM_BOOL, RT_ALWAYS },
    { "identical_batch", RM_BOOL, RT_ALWAYS },
    { "whole_batches", RM_BOOL, RT_ALWAYS },
    { "session_start", RM_BOOL, RT_ALWAYS },
    { "copies", RM_INT, RT_ALWAYS },
    COPY_EVIDENCE,
    { "key_preview", RM_STR, RT_ALWAYS },
    { "key_size", RM_INT, RT_ALWAYS },
    { "value_preview", RM_STR, RT_ALWAYS },
    { "value_size", RM_INT, RT_ALWAYS },
    END
};

/* ---- producers ---------------------------------------------------------------- */

static const rt_field sequence_gap_fields[] = {
    AT_BATCH,
    { "expected_sequence", RM_INT, RT_ALWAYS },
    { "actual_sequence", RM_INT, RT_ALWAYS },
    { "missing", RM_INT, RT_ALWAYS },
    { "last_sequence", RM_INT, RT_WORDS | RT_ALWAYS },
    END
};

static const rt_variant sequence_gap_words[] = {
    { "producer {producer_id} epoch {producer_epoch}: sequence jumps from {last_sequence} to {actual_sequence} "
      "({missing} missing)",
      "The producer's sequence numbers skip ahead: the batches in between never reached this log. A broker rejects "
      "such a write from a client (OutOfOrderSequenceException) unless it had lost this producer's state, so either "
      "data was lost in between (an unclean leader election or a truncation) or the broker forgot the producer. "
      "Check the partition's leader changes around this offset.", NULL },
};

static const rt_field sequence_regression_fields[] = {
    AT_BATCH,
    { "expected_sequence", RM_INT, RT_ALWAYS }, /* -1 for a reused range */
    { "actual_sequence", RM_INT, RT_ALWAYS },
    { "last_sequence", RM_INT, RT_WORDS },       /* the producer's, before this batch */
    { "batch_last_sequence", RM_INT, RT_WORDS }, /* this batch's */
    END
};

static const rt_variant sequence_regression_words[] = {
    [RTV_SEQUENCE_BACK] = {
        "producer {producer_id} epoch {producer_epoch}: sequence goes back from {last_sequence} to {actual_sequence}",
        "The producer's sequence numbers go backwards without repeating a batch it wrote before. A broker rejects "
        "this from a client (OutOfOrderSequenceException); in a log it means producer state was lost (a leader "
        "change, an expired producer id) or two writers share a producer id. The records may duplicate earlier "
        "ones.",
        "sequence_regression.back" },
    [RTV_SEQUENCE_REUSED] = {
        "producer {producer_id} epoch {producer_epoch} reused sequences {actual_sequence}..{batch_last_sequence} for "
        "different records",
        "The same producer id, epoch and sequence range appear twice with different records. A broker treats such a "
        "batch as a retry and drops it, so a client would have believed these records were written when they were "
        "not; here both landed. Two writers share a producer id, or state was lost.",
        "sequence_regression.reused" },
};

static const rt_field epoch_regression_fields[] = {
    AT_BATCH,
    { "previous_epoch", RM_INT, RT_ALWAYS },
    { "marker", RM_STR, RT_WORDS }, /* COMMIT or ABORT, for a marker */
    END
};

static const rt_variant epoch_regression_words[] = {
    [RTV_EPOCH_DATA] = {
        "producer {producer_id} wrote with epoch {producer_epoch} after epoch {previous_epoch}",
        "A producer id wrote with an epoch lower than one it already used. Bumping the epoch fences the old "
        "session; a write from the old epoch afterwards is a zombie (a paused or partitioned instance that kept "
        "writing), which the broker rejects as InvalidProducerEpoch/ProducerFenced when it comes from a client. Its "
        "records may duplicate or contradict the new session's. Check for two live instances with the same "
        "transactional.id.",
        "epoch_regression.data" },
    [RTV_EPOCH_MARKER] = {
        "producer {producer_id}: {marker} marker with epoch {producer_epoch} after epoch {previous_epoch}",
        "A transaction marker carries the producer's epoch; one lower than an epoch already used was written for a "
        "fenced (older) session. Check for a transaction coordinator failover around this offset.",
        "epoch_regression.marker" },
};

static const rt_field epoch_sequence_not_reset_fields[] = {
    AT_BATCH,
    { "previous_epoch", RM_INT, RT_ALWAYS },
    { "actual_sequence", RM_INT, RT_ALWAYS },
    END
};

static const rt_variant epoch_sequence_not_reset_words[] = {
    { "producer {producer_id} started epoch {producer_epoch} at sequence {actual_sequence}, not 0",
      "When a producer's epoch changes, its sequence numbers restart at 0; a broker rejects anything else from a "
      "client (OutOfOrderSequenceException). A new epoch continuing an old sequence means the broker's state for "
      "this producer was lost or the batch did not come from a well-behaved producer. Check the producer's version "
      "and the partition's leader changes.", NULL },
};

/* ---- transactions ------------------------------------------------------------- */

static const rt_field coordinator_epoch_regression_fields[] = {
    AT_BATCH,
    { "coordinator_epoch", RM_INT, RT_ALWAYS },
    { "previous_coordinator_epoch", RM_INT, RT_ALWAYS },
    { "marker", RM_STR, RT_WORDS | RT_ALWAYS },
    END
};

static const rt_variant coordinator_epoch_regression_words[] = {
    { "producer {producer_id}: {marker} marker from coordinator epoch {coordinator_epoch} after coordinator epoch "
      "{previous_coordinator_epoch}",
      "Each transaction marker names the epoch of the transaction coordinator that wrote it. A lower coordinator "
      "epoch after a higher one means a deposed coordinator still wrote markers (the broker rejects this as "
      "TransactionCoordinatorFencedException): the outcome recorded for this transaction may not be the one the "
      "current coordinator decided. Check the __transaction_state partition's leader changes.", NULL },
};

static const rt_field non_transactional_fields[] = {
    AT_BATCH,
    { "first_offset", RM_INT, RT_ALWAYS },
    END
};

static const rt_variant non_transactional_words[] = {
    { "producer {producer_id} wrote a non-transactional batch while its transaction from offset {first_offset} was "
      "open",
      "While a producer has a transaction open, every write of it must belong to the transaction; a broker rejects "
      "anything else from a client (InvalidTxnStateException). These records are visible to read_committed "
      "consumers even if the transaction aborts. Check the producer code for sends outside "
      "beginTransaction/commitTransaction.", NULL },
};

static const rt_field open_transaction_fields[] = {
    { "first_offset", RM_INT, RT_ALWAYS },
    { "age_ms", RM_INT, RT_ALWAYS },
    { "records", RM_INT, RT_ALWAYS },
    { "abort_command", RM_STR, RT_COMMAND }, /* a hanging one's: kafka-transactions.sh's abort (audit.c) */
    END
};

static const rt_variant open_transaction_words[] = {
    [RTV_TXN_HANGING] = {
        "producer {producer_id}: transaction open since offset {first_offset} with no COMMIT or ABORT",
        "Transactional data with no COMMIT or ABORT marker by the end of the log, begun longer before the "
        "partition's newest batch than the broker lets a transaction run (--txn-max-timeout, "
        "transaction.max.timeout.ms, 15 minutes by default): the coordinator should have aborted it, so it is "
        "hanging. While it stays open, the partition's last stable offset cannot pass it, so read_committed "
        "consumers stop at this offset and fall behind. Check that the cluster still holds it open "
        "(kafka-transactions.sh find-hanging), then abort it with the line in abort_command (kafka-transactions.sh "
        "abort --start-offset, brokers 3.0 and later; KIP-664), its <bootstrap> replaced by a broker's host:port.",
        "open_transaction.hanging" },
    [RTV_TXN_IN_PROGRESS] = {
        "producer {producer_id}: transaction in progress since offset {first_offset} ({age_ms} ms before the "
        "newest batch)",
        "Transactional data with no COMMIT or ABORT marker yet, begun less than --txn-max-timeout "
        "(transaction.max.timeout.ms, 15 minutes by default) before the partition's newest batch: a transaction in "
        "progress, as on any live broker running exactly-once applications. The coordinator aborts it if it "
        "outlives its timeout.",
        "open_transaction.in_progress" },
};

static const rt_field orphan_marker_fields[] = {
    AT_BATCH,
    { "marker", RM_STR, RT_WORDS | RT_ALWAYS },
    END
};

static const rt_variant orphan_marker_words[] = {
    { "producer {producer_id}: {marker} marker with no open transaction",
      "This producer's earlier writes are in this log, but no transaction of it was open when this marker arrived, "
      "so it completes nothing. Coordinators resend markers after failures, so this is usually harmless; many in a "
      "row point at a coordinator retrying.", NULL },
};

/* ---- indexes, snapshots, leader epochs ------------------------------------------- */

/* The reader's or the index checker's own words about the fault. */
static const rt_field mismatch_fields[] = {
    AT_BATCH_KEY,
    { "detail", RM_STR, RT_WORDS | RT_ALWAYS },
    END
};

static const rt_variant txn_index_mismatch_words[] = {
    { "{detail}",
      "read_committed consumers learn which records to skip from the .txnindex of each segment. An aborted "
      "transaction missing from it (or listed wrongly) makes those consumers deliver aborted records, or skip "
      "committed ones. The broker rebuilds this file only when it recovers the segment.", NULL },
};

static const rt_variant index_mismatch_words[] = {
    { "{detail}",
      "The offset and time indexes let the broker find a batch by offset or time without scanning the segment. An "
      "entry that disagrees with the log sends fetches and time lookups to the wrong place. Brokers do not "
      "re-check old segments' indexes at startup (since 2.3); deleting the index files makes the broker rebuild "
      "them.", NULL },
};

static const rt_field snapshot_mismatch_fields[] = {
    { "snapshot_offset", RM_INT, RT_ALWAYS | RT_KEY },
    { "file", RM_STR, RT_ALWAYS | RT_KEY },
    { "field", RM_STR, RT_ALWAYS | RT_KEY },
    { "snapshot_value", RM_INT, RT_ALWAYS },
    { "log_value", RM_INT, RT_ALWAYS },
    END
};

static const rt_variant snapshot_mismatch_words[] = {
    { "producer {producer_id}: the snapshot at offset {snapshot_offset} says {field} {snapshot_value}, the log says "
      "{log_value}",
      "The broker saves each producer's state (epoch, last sequence, open transaction) in a .snapshot file so it "
      "can keep rejecting retries after a restart. This snapshot disagrees with the state rebuilt from the log up "
      "to the same offset, so after a reload the broker would judge this producer's next writes against the wrong "
      "state (accepting a duplicate or rejecting a valid batch). Check whether the segment was modified, truncated "
      "or restored from elsewhere after the snapshot was written.", NULL },
};

static const rt_field leader_epoch_regression_fields[] = {
    AT_BATCH,
    { "leader_epoch", RM_INT, RT_ALWAYS },
    { "previous_leader_epoch", RM_INT, RT_ALWAYS },
    END
};

static const rt_variant leader_epoch_regression_words[] = {
    { "batch at offset {offset} has leader epoch {leader_epoch} after epoch {previous_leader_epoch}",
      "Each leader stamps its epoch on what it appends, and epochs only grow, so a batch with a lower epoch after a "
      "higher one was written by an old leader after a newer one had taken over: the log holds a fork of two "
      "leaders' histories (an unclean election, or a segment copied from another replica). Records around it may "
      "be lost or duplicated.", NULL },
};

static const rt_field checkpoint_mismatch_fields[] = {
    { "leader_epoch", RM_INT, RT_ALWAYS | RT_KEY },
    { "log_start_offset", RM_INT, RT_ALWAYS },
    { "checkpoint_start_offset", RM_INT, RT_ALWAYS }, /* -1: the checkpoint has no entry for the epoch */
    { "file", RM_STR, RT_ALWAYS | RT_KEY },
    END
};

#define CHECKPOINT_MISMATCH_WHY                                                                                      \
    "Followers use the leader-epoch checkpoint to find where their log diverges from a new leader's (KIP-101). If " \
    "it disagrees with the log, a future leader change can truncate too much or too little, losing or forking "     \
    "data. Check for a copied or restored partition directory, or a crash during a leader change."

static const rt_variant checkpoint_mismatch_words[] = {
    [RTV_CHECKPOINT_DIFFERS] = {
        "leader epoch {leader_epoch} starts at offset {log_start_offset} in the log, at {checkpoint_start_offset} in "
        "leader-epoch-checkpoint",
        CHECKPOINT_MISMATCH_WHY },
    [RTV_CHECKPOINT_MISSING] = {
        "leader epoch {leader_epoch} starts at offset {log_start_offset} in the log but leader-epoch-checkpoint has "
        "no entry for it",
        CHECKPOINT_MISMATCH_WHY },
};

/* ---- batches and files --------------------------------------------------------- */

static const rt_field offset_regression_fields[] = {
    AT_BATCH,
    { "previous_last_offset", RM_INT, RT_ALWAYS | RT_KEY },
    END
};

static const rt_variant offset_regression_words[] = {
    { "batch at offset {offset} does not follow the previous batch's last offset {previous_last_offset}",
      "Offsets in a partition only grow: a broker refuses an append whose offsets are not above the log end, and "
      "recovery truncates a segment where they go back. Two batches claiming the same offsets mean the log was "
      "spliced together from two histories (a copied or restored segment, a forked leader). Consumers will see one "
      "of them, or both.", NULL },
};

static const rt_field corrupt_batch_fields[] = {
    AT_BATCH_KEY,
    { "code", RM_STR, RT_ALWAYS },
    { "detail", RM_STR, RT_WORDS },       /* the reader's words */
    { "control_type", RM_STR, RT_WORDS }, /* a control record that is no marker */
    END
};

/* A batch whose checksum matched but whose records do not fit its header. */
#define RECORDS_DO_NOT_FIT_WHY                                                                                      \
    "The batch's checksum matched, yet its records do not fit its header: it was written this way (not damaged on " \
    "disk later). Consumers will fail on this batch or skip records of it. Records read before the problem were "  \
    "audited; the rest of the batch could not be."

#define NOT_A_MARKER_WHY                                                                                             \
    "A control batch that carries a producer id can only be a transaction marker written by the transaction "       \
    "coordinator, and clients cannot write control batches at all. This one is not a valid marker, so it was not "  \
    "written by Kafka: the bytes were damaged before their checksum was computed, or another program wrote the "    \
    "segment. Consumers skip control batches, so the transaction it was meant to end may stay open."

static const rt_variant corrupt_batch_words[] = {
    [RTV_CORRUPT_ENTRY] = {
        "{detail}",
        "The bytes of this entry are damaged (a checksum mismatch or a field that breaks the format): disk or memory "
        "corruption, or a file edited or copied badly. Consumers fail on it (CorruptRecordException) and a broker's "
        "recovery truncates the segment here, losing everything after it. Replicas on other brokers may hold a good "
        "copy.",
        "corrupt_batch.entry" },
    [RTV_CORRUPT_RECORDS] = { "{detail}", RECORDS_DO_NOT_FIT_WHY, "corrupt_batch.records" },
    [RTV_CORRUPT_CONTROL] = { "control batch at offset {offset} of producer {producer_id}: {detail}", NOT_A_MARKER_WHY,
                              "corrupt_batch.not_a_marker" },
    [RTV_CORRUPT_NOT_MARKER] = {
        "control batch at offset {offset} of producer {producer_id} holds a control record of type {control_type}, "
        "not a COMMIT or ABORT marker",
        NOT_A_MARKER_WHY, "corrupt_batch.not_a_marker" },
};

static const rt_field truncated_batch_fields[] = {
    AT_BATCH_KEY,
    { "code", RM_STR, RT_ALWAYS },
    { "detail", RM_STR, RT_WORDS | RT_ALWAYS },
    END
};

static const rt_variant truncated_batch_words[] = {
    [RTV_TRUNCATED_PARTIAL] = {
        "{detail}",
        "The segment ends in the middle of a batch: the broker crashed or the disk filled while it wrote, or the "
        "file was copied while being written. Recovery truncates the partial batch; a producer that got no "
        "acknowledgement for it will have retried, but with acks=1 the write may have been acknowledged and lost.",
        "truncated_batch.partial" },
    [RTV_TRUNCATED_ZEROS] = {
        "{detail}",
        "The segment ends in zeros: a preallocated segment (log.preallocate) or a crash while the broker was "
        "writing. Recovery truncates the file here; no batch was lost that a consumer could have read, unless the "
        "broker crashed before flushing acknowledged writes (acks=1, or unclean leader election).",
        "truncated_batch.zeros" },
};

static const rt_field record_count_fields[] = {
    AT_BATCH,
    { "count", RM_INT, 0 },        /* the header's count ... */
    { "offset_range", RM_INT, 0 }, /* ... against its offsets */
    { "code", RM_STR, RT_KEY },    /* or the reader's verdict on its records */
    { "detail", RM_STR, RT_WORDS },
    END
};

static const rt_variant record_count_words[] = {
    [RTV_COUNT_HEADER] = {
        "batch at offset {offset} declares {count} records in an offset range of {offset_range}",
        "A batch cannot hold more records than offsets: the header contradicts itself, so the batch was not written "
        "by a Kafka broker or was damaged before its checksum was computed. Consumers may fail on it or skip "
        "records.",
        "record_count_mismatch.header" },
    [RTV_COUNT_RECORDS] = { "{detail}", RECORDS_DO_NOT_FIT_WHY, "record_count_mismatch.records" },
};

static const rt_field corrupt_file_fields[] = {
    { "file", RM_STR, RT_ALWAYS | RT_KEY },
    { "position", RM_INT, RT_ALWAYS | RT_KEY },
    { "kind", RM_STR, RT_ALWAYS | RT_KEY },
    { "code", RM_STR, RT_ALWAYS },
    { "detail", RM_STR, RT_WORDS | RT_ALWAYS },
    END
};

static const rt_variant corrupt_file_words[] = {
    [RTV_FILE_SNAPSHOT] = {
        "{file}: {detail}",
        "A producer snapshot (.snapshot) that cannot be read: the broker drops such a snapshot and rebuilds the "
        "producers' state from the log, so after a restart it remembers less of each producer (its duplicate window "
        "may start empty). kaudit could not seed or compare producer state with it. Check the disk and whether the "
        "file was copied or edited.",
        "corrupt_file.snapshot" },
    [RTV_FILE_LEADER_EPOCH] = {
        "{file}: {detail}",
        "The leader-epoch-checkpoint cannot be read: a broker loading this partition fails on it "
        "(KafkaStorageException), which takes the whole log directory offline, and replicas could not truncate "
        "correctly after a leader change. kaudit could not compare the log's leader epochs with it. Check the disk, "
        "and whether the file was copied or edited.",
        "corrupt_file.leader_epoch" },
    [RTV_FILE_LEADER_EPOCH_ORDER] = {
        "{file}: {detail}",
        "The leader-epoch-checkpoint's entries do not rise strictly in both epoch and start offset. A broker loading "
        "it drops the entries that conflict with a later one (LeaderEpochFileCache logs \"caused truncation of "
        "conflicting entries\"), so it forgets where some leader epochs began and may answer OffsetsForLeaderEpoch "
        "wrongly: a follower could truncate too little or too much after a leader change. kaudit did not compare "
        "the checkpoint with the log. Check whether the file was edited or restored from elsewhere.",
        "corrupt_file.leader_epoch_order" },
    [RTV_FILE_LOG_START] = {
        "{file}: {detail}",
        "The log directory's log-start-offset-checkpoint cannot be read: a broker fails on it at startup "
        "(KafkaStorageException: the log directory goes offline). kaudit could not learn this partition's log start "
        "offset, so records below it, if any, were audited as visible. Check the disk, and whether the file was "
        "copied or edited.",
        "corrupt_file.log_start" },
    [RTV_FILE_INDEX] = {
        "{file}: {detail}",
        "An index file (.index, .timeindex or .txnindex) that cannot be read, fails Kafka's sanity check or breaks "
        "the order the broker appends in: fetches and time lookups through it go wrong, and read_committed "
        "consumers may deliver aborted records (a .txnindex). A broker rebuilds an index that fails its sanity check "
        "when it loads the segment, any other only when it recovers the segment after an unclean shutdown. kaudit "
        "did not compare it with the log. Deleting the file (broker stopped) makes the broker rebuild it.",
        "corrupt_file.index" },
};

static const rt_field timestamp_anomaly_fields[] = {
    AT_BATCH,
    { "max_record_timestamp", RM_INT, RT_ALWAYS },
    { "max_timestamp", RM_INT, RT_WORDS | RT_ALWAYS }, /* the batch's */
    END
};

static const rt_variant timestamp_anomaly_words[] = {
    { "batch at offset {offset}: a record has timestamp {max_record_timestamp}, above the batch's max "
      "{max_timestamp}",
      "A batch's maxTimestamp must be the largest of its records' timestamps; the time index and time-based "
      "retention and lookups rely on it. Consumers seeking by time may miss these records.", NULL },
};

/* ---- consumer groups (audit/groups.c) ------------------------------------------- */

/* Where a group's committed offset stands: the group, the partition it
 * reads, and the commit's time. */
#define CONSUMED { "group", RM_STR, RT_ALWAYS | RT_KEY }, { "consumed_topic", RM_STR, RT_ALWAYS | RT_KEY }, \
                 { "consumed_partition", RM_INT, RT_ALWAYS | RT_KEY }

static const rt_field consumer_regression_fields[] = {
    CONSUMED,
    { "from_offset", RM_INT, RT_ALWAYS },
    { "to_offset", RM_INT, RT_ALWAYS },
    { "records", RM_INT, RT_ALWAYS },
    { "commit_timestamp", RM_INT, RT_ALWAYS }, /* null when the value has none */
    { "context", RM_STR, RT_ALWAYS },
    { "generation", RM_INT, RT_ALWAYS },       /* null when no GroupMetadata of the group came before */
    { "previous_generation", RM_INT, 0 },      /* the generation at the previous commit, when it differs */
    { "metadata", RM_STR, 0 },
    { "transactional", RM_BOOL, 0 },           /* a transactional offset commit, applied at its COMMIT */
    /* when the partition read is audited: what it holds in [to_offset, from_offset) */
    { "consumed_path", RM_STR, 0 },
    { "redelivered_records", RM_INT, 0 },
    { "redelivered_first_timestamp", RM_INT, 0 },
    { "redelivered_last_timestamp", RM_INT, 0 },
    { "producer_duplicates", RM_INT, 0 },       /* records among them listed as delivery duplicates */
    END
};

#define SAFE_CONSUMER                                                                                           \
    " An application is safe from it only when processing a record twice does no harm: side effects keyed by "  \
    "something that survives restarts (the record's topic, partition and offset, or a business key), or a "    \
    "transaction that commits the offsets with the results (read_committed consumers downstream)."

static const rt_variant consumer_regression_words[] = {
    [RTV_CONSUMER_EMPTY] =
        { "group {group} went back on {consumed_topic}-{consumed_partition} from offset {from_offset} to "
          "{to_offset} while it had no members: {records} records delivered to it again",
          "The group's committed position moved backwards while the group was empty: an operator reset "
          "(kafka-consumer-groups --reset-offsets, or a client that assigned the partition and committed an "
          "earlier offset). Every record between the two positions is processed again by the group's next "
          "consumers." SAFE_CONSUMER,
          "consumer_offset_regression.empty" },
    [RTV_CONSUMER_REBALANCE] =
        { "group {group} went back on {consumed_topic}-{consumed_partition} from offset {from_offset} to "
          "{to_offset} after a rebalance (generation {generation}): {records} records delivered to it again",
          "The group rebalanced between the two commits, and the later commit is lower: a member that lost the "
          "partition committed late (a zombie of an older generation, or a commit of what it had read before "
          "the revocation), or the new owner started from an older position. The records between the two "
          "positions are processed again." SAFE_CONSUMER,
          "consumer_offset_regression.rebalance" },
    [RTV_CONSUMER_SEEK] =
        { "group {group} went back on {consumed_topic}-{consumed_partition} from offset {from_offset} to "
          "{to_offset}: {records} records delivered to it again",
          "The group's committed position moved backwards with no rebalance and no reset in between: the "
          "application sought back (seek, a restored position, a commit of a stale offset). The records between "
          "the two positions are processed again." SAFE_CONSUMER,
          "consumer_offset_regression.seek" },
};

static const rt_field consumer_range_fields[] = {
    CONSUMED,
    { "committed_offset", RM_INT, RT_ALWAYS },
    { "log_start_offset", RM_INT, RT_ALWAYS },
    { "log_end_offset", RM_INT, RT_ALWAYS },
    { "records", RM_INT, RT_ALWAYS },
    { "commit_timestamp", RM_INT, RT_ALWAYS },
    { "direction", RM_STR, RT_ALWAYS | RT_KEY }, /* below_log_start or above_log_end */
    { "coordinator_path", RM_STR, RT_ALWAYS }, /* the __consumer_offsets partition holding the commit */
    END
};

static const rt_variant consumer_range_words[] = {
    [RTV_CONSUMER_BELOW] =
        { "group {group}'s committed offset {committed_offset} on {consumed_topic}-{consumed_partition} lies below "
          "the log start {log_start_offset}: {records} records removed before it read them",
          "Retention or DeleteRecords removed records the group had not read yet: its consumers find their "
          "position gone and reset (auto.offset.reset), so those records are never processed by this group. A "
          "group must keep up with retention, or retention must be longer than the longest time the group may "
          "stop.",
          "consumer_offset_out_of_range.below_log_start" },
    [RTV_CONSUMER_ABOVE] =
        { "group {group}'s committed offset {committed_offset} on {consumed_topic}-{consumed_partition} lies past "
          "the log end {log_end_offset}",
          "A committed position beyond the last offset of the partition does not exist: the group's consumers "
          "reset (auto.offset.reset) when they start there, to the earliest offset (records processed again) or "
          "to the latest (records skipped). It follows a commit of a made-up offset, a topic deleted and created "
          "again, or a copy of this partition that lags the leader (a follower's log end is behind the leader's).",
          "consumer_offset_out_of_range.above_log_end" },
};

/* ---- replicas (engine/replicas.c) -------------------------------------------------- */

/* The other copy is its broker (by its log directory's name when its
 * meta.properties names none: rm_fingerprint). */
#define REPLICA { "other_path", RM_STR, RT_ALWAYS | RT_KEY }, { "broker_id", RM_INT, RT_ALWAYS }, \
                { "other_broker_id", RM_INT, RT_ALWAYS | RT_KEY } /* broker ids null when unknown */

static const rt_field replica_divergence_fields[] = {
    REPLICA,
    { "diverge_offset", RM_INT, RT_ALWAYS },
    { "leader_epoch", RM_INT, RT_ALWAYS },
    { "other_leader_epoch", RM_INT, RT_ALWAYS },
    { "records_only_here", RM_INT, RT_ALWAYS },
    { "records_only_other", RM_INT, RT_ALWAYS },
    { "log_end_offset", RM_INT, RT_ALWAYS },
    { "other_log_end_offset", RM_INT, RT_ALWAYS },
    { "producers_only_here", RM_STR, 0 },       /* whose records they are: "producer 1000: 39, ..." */
    { "producers_only_other", RM_STR, 0 },
    { "transactional_only_here", RM_INT, RT_ALWAYS }, /* of them, in transactional batches */
    { "transactional_only_other", RM_INT, RT_ALWAYS },
    { "high_watermark", RM_INT, RT_ALWAYS },    /* each broker's replication-offset-checkpoint, null unknown */
    { "other_high_watermark", RM_INT, RT_ALWAYS },
    { "committed_offsets_only_here", RM_INT, RT_ALWAYS }, /* past the divergence, below the high watermark */
    { "committed_offsets_only_other", RM_INT, RT_ALWAYS },
    { "truncated_side", RM_STR, RT_ALWAYS },    /* "here", "other": the older leader epoch's; "unknown": one epoch */
    { "read_uncommitted_only_here", RM_INT, RT_ALWAYS }, /* of the tail, below its high watermark; null unknown */
    { "read_uncommitted_only_other", RM_INT, RT_ALWAYS },
    { "read_committed_only_here", RM_INT, RT_ALWAYS }, /* ... and not transactional, or committed below it */
    { "read_committed_only_other", RM_INT, RT_ALWAYS },
    END
};

static const rt_variant replica_divergence_words[] = {
    { "this copy and the one in {other_path} part at offset {diverge_offset} (leader epochs {leader_epoch} and "
      "{other_leader_epoch}): {records_only_here} records only here, {records_only_other} only there",
      "A follower appends its leader's batches as they are, so the copies of a partition agree batch for batch. "
      "Here they hold different batches at the same offsets: the log forked, after an unclean leader election (a "
      "replica outside the ISR became leader and wrote over offsets the old leader had written) or a copy "
      "restored from a backup and written again. When the brokers meet again, the copy that is not the leader's "
      "truncates to the divergence point (KIP-101, KIP-279) and its records past it are gone: the side of the "
      "older leader epoch (truncated_side). Those the old leader acknowledged (acks=1, or an ISR shrunk to it "
      "alone) were lost to their producers; those below its high watermark (read_uncommitted_only_*, and of "
      "them read_committed_only_*: not transactional, or committed there) may already have been consumed, so "
      "consumers saw records that no longer exist.", NULL },
};

static const rt_field replica_behind_fields[] = {
    REPLICA,
    { "log_end_offset", RM_INT, RT_ALWAYS },
    { "other_log_end_offset", RM_INT, RT_ALWAYS },
    { "records_behind", RM_INT, RT_ALWAYS },
    { "high_watermark", RM_INT, RT_ALWAYS },
    { "other_high_watermark", RM_INT, RT_ALWAYS },
    { "truncating", RM_BOOL, RT_ALWAYS },       /* .deleted segments: the broker is truncating it */
    END
};

static const rt_variant replica_behind_words[] = {
    { "this copy ends at offset {log_end_offset}, {records_behind} records behind the one in {other_path}, and "
      "agrees with it up to there",
      "A follower behind its leader, or a copy taken before the other: every batch it holds is the other copy's. "
      "Normal on a live cluster; a copy that stays behind is out of the ISR.", NULL },
};

/* ---- duplicates by identity ------------------------------------------------------- */

static const rt_field identity_fields[] = {
    { "identity_spec", RM_STR, RT_ALWAYS },
    { "identity", RM_STR, RT_ALWAYS },
    { "identity_hash", RM_STR, RT_ALWAYS | RT_WORDS | RT_KEY }, /* of the identity: in the id, never shown */
    { "class", RM_STR, RT_ALWAYS },
    { "differs_in", RM_STR, 0 },                /* absent when the copies were not compared field by field */
    { "original_partition", RM_INT, RT_ALWAYS | RT_KEY },
    { "original_offset", RM_INT, RT_ALWAYS | RT_KEY },
    { "copies", RM_INT, RT_ALWAYS },
    { "copy", RM_INT, RT_ALWAYS },
    { "identical_records", RM_BOOL, RT_ALWAYS },
    { "identical_batch", RM_BOOL, RT_ALWAYS },
    { "same_batch", RM_BOOL, RT_ALWAYS },
    { "offset_distance", RM_INT, RT_ALWAYS },   /* null across partitions */
    { "time_distance_ms", RM_INT, RT_ALWAYS },  /* null when either copy has no timestamp */
    COPY_EVIDENCE,
    END
};

static const rt_variant identity_duplicate_words[] = {
    { "record at offset {offset} has the same {identity_spec} {identity} as partition {original_partition} offset "
      "{original_offset} ({class})",
      "The topic's records carry an identity (--identity): the business id a record stands for. Two records with "
      "one identity are one event written twice, whether or not their bytes are equal: a retry, a producer "
      "restart replaying, or an application sending the event again with a new envelope or timestamp "
      "(changed_resend). The copy was found across every partition of the topic; a consumer that does not "
      "deduplicate by this id processes the event twice.", NULL },
};

static const rt_variant identity_collision_words[] = {
    { "record at offset {offset} has the same {identity_spec} {identity} as partition {original_partition} offset "
      "{original_offset} but differs beyond volatile fields",
      "Two records share an identity but differ in more than times, envelope and tracing fields: either the "
      "event was changed and sent again under the same id, or two different events were given one id (an id "
      "generator that repeats, a field that is not unique). Either way a consumer that deduplicates by this id "
      "drops a record that is not a copy.", NULL },
};

/* ---- the table ----------------------------------------------------------------- */

/* identity_words.c */
int rt_identity_words(const rm_finding *f, char **message);

/* duplicate_words.c */
int rt_duplicate_words(const rm_finding *f, char **message);
int rt_duplicate_explain(const rm_finding *f, int *k, char **detail);
extern const rt_explanation rt_duplicate_explanations[RTX_DUPLICATE_COUNT];

#define WORDS(v) v, (int)(sizeof v / sizeof *v), NULL, NULL, 0, NULL

static const rt_type types[RT_COUNT] = {
    [RT_DUPLICATE] = {
        "duplicate", "Duplicates",
        "Kafka's idempotent producer drops exactly one kind of duplicate: a batch retried by the same producer "
        "session (same producer id, epoch and sequence numbers). Everything outside that boundary lands twice: a "
        "client without idempotence retrying after a lost acknowledgement, a new producer session replaying what an "
        "earlier one wrote, an application sending the same record again. Where the bytes show one of those (the "
        "same batch resent with its timestamps, a block of records replayed when a new session began, or content "
        "repeated in a partition where content is otherwise unique) it is a delivery duplicate (warning). Content "
        "that recurs by itself (heartbeats, sensors, counters, status values), repeats further apart than any retry, "
        "and repeats in topics whose writers repeat values by design are counted as repeated content "
        "(informational), and each says why.",
        SEV(RM_INFO) | SEV(RM_WARNING), duplicate_fields, NULL, 0, rt_duplicate_words, rt_duplicate_explanations,
        RTX_DUPLICATE_COUNT, rt_duplicate_explain },
    [RT_SEQUENCE_GAP] = {
        "sequence_gap", "Sequence gaps",
        "A producer numbers its batches; a jump means batches of it never reached this log. The broker refuses such "
        "a write from a client unless it had lost the producer's state, so a gap points at lost data (an unclean "
        "leader election, a truncation) or a forgotten producer.",
        SEV(RM_WARNING), sequence_gap_fields, WORDS(sequence_gap_words) },
    [RT_SEQUENCE_REGRESSION] = {
        "sequence_regression", "Sequence regressions",
        "A producer's sequence numbers went backwards, or a sequence range was reused for different records: two "
        "writers share a producer id, or the broker's producer state was lost.",
        SEV(RM_ERROR), sequence_regression_fields, WORDS(sequence_regression_words) },
    [RT_EPOCH_REGRESSION] = {
        "epoch_regression", "Producer epoch regressions (zombies)",
        "Bumping a producer's epoch fences its old session. A write with an older epoch afterwards came from a "
        "zombie: an instance that should have stopped and kept writing.",
        SEV(RM_ERROR), epoch_regression_fields, WORDS(epoch_regression_words) },
    [RT_EPOCH_SEQUENCE_NOT_RESET] = {
        "epoch_sequence_not_reset", "New epochs not starting at sequence 0",
        "A producer's new epoch must start its sequence numbers at 0; continuing the old sequence means the "
        "broker's state for it was lost or the writer misbehaves.",
        SEV(RM_WARNING), epoch_sequence_not_reset_fields, WORDS(epoch_sequence_not_reset_words) },
    [RT_COORDINATOR_EPOCH_REGRESSION] = {
        "coordinator_epoch_regression", "Transaction markers from a deposed coordinator",
        "A COMMIT or ABORT marker written by an older transaction coordinator after a newer one: the recorded "
        "outcome may not be the one the current coordinator decided.",
        SEV(RM_ERROR), coordinator_epoch_regression_fields, WORDS(coordinator_epoch_regression_words) },
    [RT_NON_TRANSACTIONAL_IN_TRANSACTION] = {
        "non_transactional_in_transaction", "Writes outside a transaction while one was open",
        "While a producer has a transaction open, all its writes must belong to it. These records are visible to "
        "read_committed consumers even if the transaction aborts.",
        SEV(RM_ERROR), non_transactional_fields, WORDS(non_transactional_words) },
    [RT_OPEN_TRANSACTION] = {
        "open_transaction", "Hanging transactions",
        "Transactional data with no COMMIT or ABORT by the end of the log. The last stable offset cannot pass it, "
        "so read_committed consumers stop there and fall behind until it ends.",
        SEV(RM_INFO) | SEV(RM_WARNING), open_transaction_fields, WORDS(open_transaction_words) },
    [RT_ORPHAN_MARKER] = {
        "orphan_marker", "Markers with no open transaction",
        "A COMMIT or ABORT that completes nothing. Usually a coordinator retrying a marker; harmless alone.",
        SEV(RM_INFO), orphan_marker_fields, WORDS(orphan_marker_words) },
    [RT_TXN_INDEX_MISMATCH] = {
        "txn_index_mismatch", "Transaction index disagreements",
        "read_committed consumers skip aborted records using each segment's .txnindex; when it disagrees with the "
        "ABORT markers they deliver aborted data or skip committed data.",
        SEV(RM_WARNING), mismatch_fields, WORDS(txn_index_mismatch_words) },
    [RT_INDEX_MISMATCH] = {
        "index_mismatch", "Offset and time index disagreements",
        "The .index and .timeindex files send fetches and time lookups to a position in the log; wrong entries send "
        "them to the wrong place.",
        SEV(RM_WARNING), mismatch_fields, WORDS(index_mismatch_words) },
    [RT_SNAPSHOT_MISMATCH] = {
        "snapshot_mismatch", "Producer snapshot disagreements",
        "After a restart the broker judges retries against the producer state saved in .snapshot files; a snapshot "
        "that disagrees with the log makes it accept duplicates or reject valid writes.",
        SEV(RM_WARNING), snapshot_mismatch_fields, WORDS(snapshot_mismatch_words) },
    [RT_LEADER_EPOCH_REGRESSION] = {
        "leader_epoch_regression", "Leader epoch regressions (forked logs)",
        "Each leader stamps its epoch on what it appends, and epochs only grow. A lower epoch after a higher one "
        "means two leaders' histories were spliced: data around it may be lost or duplicated.",
        SEV(RM_ERROR), leader_epoch_regression_fields, WORDS(leader_epoch_regression_words) },
    [RT_LEADER_EPOCH_CHECKPOINT_MISMATCH] = {
        "leader_epoch_checkpoint_mismatch", "Leader epoch checkpoint disagreements",
        "Replicas truncate to the leader-epoch checkpoint after a leader change; a wrong checkpoint makes them "
        "truncate too much or too little.",
        SEV(RM_WARNING), checkpoint_mismatch_fields, WORDS(checkpoint_mismatch_words) },
    [RT_OFFSET_REGRESSION] = {
        "offset_regression", "Offsets going backwards",
        "Offsets in a partition only grow; batches that reuse offsets come from two histories spliced together.",
        SEV(RM_ERROR), offset_regression_fields, WORDS(offset_regression_words) },
    [RT_CORRUPT_BATCH] = {
        "corrupt_batch", "Corrupt batches",
        "Damaged bytes: consumers fail on them and broker recovery truncates the segment there, losing everything "
        "after it.",
        SEV(RM_ERROR), corrupt_batch_fields, WORDS(corrupt_batch_words) },
    [RT_TRUNCATED_BATCH] = {
        "truncated_batch", "Truncated segments",
        "A segment ending in the middle of a batch, or in zeros: a crash or a full disk while writing.",
        SEV(RM_INFO) | SEV(RM_WARNING), truncated_batch_fields, WORDS(truncated_batch_words) },
    [RT_RECORD_COUNT_MISMATCH] = {
        "record_count_mismatch", "Batches whose record count is wrong",
        "A batch whose header and records disagree on how many records it holds.",
        SEV(RM_ERROR), record_count_fields, WORDS(record_count_words) },
    [RT_CORRUPT_FILE] = {
        "corrupt_file", "Corrupt or unreadable files",
        "A producer snapshot, a checkpoint or an index that is present but cannot be read, fails its checksum or "
        "breaks its own format. The broker fails on a bad checkpoint (taking the log directory offline) and "
        "rebuilds a bad snapshot or index; what the file would have been checked against was not checked.",
        SEV(RM_WARNING) | SEV(RM_ERROR), corrupt_file_fields, WORDS(corrupt_file_words) },
    [RT_TIMESTAMP_ANOMALY] = {
        "timestamp_anomaly", "Timestamp anomalies",
        "A record newer than its batch's maximum timestamp: time lookups and time-based retention may miss it.",
        SEV(RM_WARNING), timestamp_anomaly_fields, WORDS(timestamp_anomaly_words) },
    [RT_CONSUMER_OFFSET_REGRESSION] = {
        "consumer_offset_regression", "Consumer groups processing records again",
        "A consumer group's committed offset (in __consumer_offsets) went backwards: the records between the two "
        "positions reach the group's application a second time. At-least-once delivery made visible.",
        SEV(RM_WARNING), consumer_regression_fields, WORDS(consumer_regression_words) },
    [RT_CONSUMER_OFFSET_OUT_OF_RANGE] = {
        "consumer_offset_out_of_range", "Consumer groups outside their partition",
        "A consumer group's last committed offset lies outside the partition's records: below the log start "
        "(records deleted before the group read them, lost to it) or past the log end (a position that does not "
        "exist).",
        SEV(RM_WARNING) | SEV(RM_ERROR), consumer_range_fields, WORDS(consumer_range_words) },
    [RT_REPLICA_DIVERGENCE] = {
        "replica_divergence", "Replicas that forked",
        "Two brokers' copies of a partition hold different batches at the same offsets: what each holds alone, and "
        "which leader epochs wrote it.",
        SEV(RM_ERROR), replica_divergence_fields, WORDS(replica_divergence_words) },
    [RT_REPLICA_BEHIND] = {
        "replica_behind", "Replicas behind another",
        "A broker's copy of a partition that agrees with another copy but ends earlier.",
        SEV(RM_INFO), replica_behind_fields, WORDS(replica_behind_words) },
    [RT_IDENTITY_DUPLICATE] = {
        "identity_duplicate", "Duplicates by identity",
        "In a topic given an identity (--identity: the key, the value, a header such as the CloudEvents ce_id, or "
        "a JSON member such as $.payment_id), records with one identity are duplicates even when their bytes "
        "differ, across every partition of the topic. Each copy says how it came (a retry, a producer restart, an "
        "application resend; changed_resend when only times and envelope fields changed) and what differs.",
        SEV(RM_WARNING), identity_fields, identity_duplicate_words, 1, rt_identity_words, NULL, 0, NULL },
    [RT_IDENTITY_COLLISION] = {
        "identity_collision", "Identities shared by different records",
        "Records with one identity whose content differs beyond times, envelope and tracing fields: an event "
        "changed and resent under its id, or two events given one id.",
        SEV(RM_WARNING), identity_fields, identity_collision_words, 1, rt_identity_words, NULL, 0, NULL },
};

const rt_type *rt_type_of(int id)
{
    assert(id >= 0 && id < RT_COUNT);
    return &types[id];
}

int rt_find(const char *name)
{
    for (int i = 0; i < RT_COUNT; i++)
        if (strcmp(types[i].name, name) == 0) return i;
    return -1;
}

const rt_field *rt_field_of(int id, const char *name)
{
    for (const rt_field *x = rt_type_of(id)->fields; x->name; x++)
        if (strcmp(x->name, name) == 0) return x;
    return NULL;
}

/* ---- words ---------------------------------------------------------------------- */

/* Append text to a growing string; false when out of memory. */
typedef struct text {
    char *s;
    size_t n, cap;
    bool failed;
} text;

static void put(text *t, const char *s, size_t n)
{
    if (t->failed) return;
    if (t->n + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 128;
        while (cap < t->n + n + 1) cap *= 2;
        char *ns = realloc(t->s, cap);
        if (!ns) {
            t->failed = true;
            return;
        }
        t->s = ns;
        t->cap = cap;
    }
    memcpy(t->s + t->n, s, n);
    t->n += n;
    t->s[t->n] = '\0';
}

static void put_int(text *t, int64_t v)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%" PRId64, v);
    put(t, b, (size_t)n);
}

/* The value of `name` (n bytes) in f, appended. */
static void put_value(text *t, const rm_finding *f, const char *name, size_t n)
{
    if (n == 6 && memcmp(name, "offset", 6) == 0) return put_int(t, f->offset);
    if (n == 11 && memcmp(name, "producer_id", 11) == 0) return put_int(t, f->producer_id);
    if (n == 14 && memcmp(name, "producer_epoch", 14) == 0) return put_int(t, f->producer_epoch);
    for (int i = 0; i < f->nfields; i++) {
        const rm_field *x = &f->fields[i];
        if (strlen(x->key) != n || memcmp(x->key, name, n) != 0) continue;
        if (x->kind == RM_STR) return put(t, x->s ? x->s : "", strlen(x->s ? x->s : ""));
        if (x->kind == RM_BOOL) return put(t, x->i ? "true" : "false", x->i ? 4 : 5);
        if (x->kind == RM_NULL) return put(t, "null", 4);
        return put_int(t, x->i);
    }
    put(t, "?", 1);
}

char *rt_expand(const char *tmpl, const rm_finding *f)
{
    text t = { 0 };
    put(&t, "", 0);
    for (const char *p = tmpl; *p;) {
        const char *open = strchr(p, '{');
        const char *close = open ? strchr(open, '}') : NULL;
        if (!close) {
            put(&t, p, strlen(p));
            break;
        }
        put(&t, p, (size_t)(open - p));
        put_value(&t, f, open + 1, (size_t)(close - open - 1));
        p = close + 1;
    }
    if (t.failed) {
        free(t.s);
        return NULL;
    }
    return t.s;
}

int rt_explanation_count(int id)
{
    const rt_type *t = rt_type_of(id);
    int n = t->explain ? t->nexplanations : t->nvariants;
    assert(n <= RT_MAX_EXPLANATIONS);
    return n;
}

rt_explanation rt_explanation_of(int id, int k)
{
    const rt_type *t = rt_type_of(id);
    assert(k >= 0 && k < rt_explanation_count(id));
    if (t->explain) return t->explanations[k];
    return (rt_explanation){ t->variants[k].key ? t->variants[k].key : t->name, t->variants[k].explanation };
}

int rt_explain(const rm_finding *f, int *k, char **detail)
{
    const rt_type *t = rt_type_of(f->tid);
    if (detail) *detail = NULL;
    if (t->explain) {
        int rc = t->explain(f, k, detail);
        assert(*k >= 0 && *k < t->nexplanations);
        return rc;
    }
    *k = f->variant >= 0 && f->variant < t->nvariants ? f->variant : 0;
    return 0;
}

int rt_words(const rm_finding *f, char **message, char **explanation)
{
    *message = *explanation = NULL;
    const rt_type *t = rt_type_of(f->tid);
    int v = f->variant >= 0 && f->variant < t->nvariants ? f->variant : 0, k;
    char *detail = NULL;
    if (t->words) t->words(f, message);
    else *message = rt_expand(t->variants[v].message, f);
    if (*message && rt_explain(f, &k, &detail) == 0) {
        const char *shared = rt_explanation_of(f->tid, k).text;
        if (!detail) *explanation = strdup(shared);
        else if (asprintf(explanation, "%s %s", shared, detail) < 0) *explanation = NULL;
    }
    free(detail);
    if (*message && *explanation) return 0;
    free(*message);
    free(*explanation);
    *message = *explanation = NULL;
    return -1;
}
