/*
 * checkpoint.h - the small text files of a log directory (formats doc 6).
 *
 * Owns: parsing, from a buffer the caller has read, of
 *  - the offset checkpoints (recovery-point-, replication-, log-start-,
 *    cleaner-offset-checkpoint: "topic partition offset" lines) and
 *    leader-epoch-checkpoint ("epoch startOffset" lines) into a kk_checkpoint
 *    that this module allocates (kk_checkpoint_parse / kk_checkpoint_free);
 *  - partition.metadata, meta.properties, .kafka_cleanshutdown and KRaft's
 *    quorum-state into caller-provided fixed-size structs (no allocation
 *    survives the call; the two JSON files go through cJSON, freed inside).
 * Every size is capped (file, line, entries, strings, voters): an absurd
 * file gives KE_TOO_LARGE, never an unbounded allocation. Never prints,
 * never touches a file. Errors carry the byte position of the line (or
 * field) concerned and, in the message, its 1-based line number; the
 * caller sets the ke_error's file.
 *
 * Validation is Kafka's reader's (CheckpointFile.CheckpointReadBuffer,
 * PartitionMetadataReadBuffer, java.util.Properties + MetaProperties,
 * CleanShutdownFileHandler, FileQuorumStateStore), with its line rules:
 * lines end at \n, \r or \r\n (BufferedReader.readLine); checkpoint and
 * partition.metadata text must be valid UTF-8 (Kafka decodes them with a
 * strict UTF-8 reader), meta.properties is ISO-8859-1 (Properties.load of a
 * stream). Numbers follow Integer/Long.parseInt: optional sign, decimal
 * digits, no spaces, range-checked (ASCII digits only; Java would also take
 * other Unicode decimal digits, which no Kafka writer produces).
 */
#ifndef KAUDIT_READER_CHECKPOINT_H
#define KAUDIT_READER_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define KK_MAX_FILE           ((size_t)64 << 20) /* largest checkpoint text file we parse */
#define KK_MAX_LINE           4096               /* longest line (a topic name is at most 249 chars) */
#define KK_MAX_ENTRIES        1000000            /* most entry lines in one checkpoint */
#define KK_MAX_JSON           ((size_t)64 << 10) /* largest .kafka_cleanshutdown / quorum-state */
#define KK_STR_MAX            256                /* longest cluster id kept (including the NUL) */
#define KK_MAX_VOTERS         64                 /* most currentVoters kept from quorum-state */
#define KK_CHECKPOINT_VERSION 0                  /* the only version of every checkpoint file */

/* Kafka's base64url UUID text: 22 chars, no padding (Uuid.toString). */
#define KK_UUID_TEXT_LEN 22

typedef enum kk_kind {
    KK_OFFSETS = 0,     /* recovery-point / replication / log-start / cleaner-offset-checkpoint */
    KK_LEADER_EPOCH = 1 /* leader-epoch-checkpoint */
} kk_kind;

typedef struct kk_entry {
    const char *topic; /* KK_OFFSETS: topic name, owned by the checkpoint; NULL otherwise */
    int32_t partition; /* KK_OFFSETS: partition; -1 otherwise */
    int32_t epoch;     /* KK_LEADER_EPOCH: leader epoch; -1 otherwise */
    int64_t offset;    /* KK_OFFSETS: the offset; KK_LEADER_EPOCH: the epoch's start offset */
    int32_t line;      /* 1-based line number of the entry */
    int64_t pos;       /* byte position of the line in the file */
} kk_entry;

typedef struct kk_checkpoint {
    kk_kind kind;      /* which kind of file was parsed */
    int32_t version;   /* the version line; -1 for an empty file */
    int32_t count;     /* the count line; -1 when absent (empty file or version line only) */
    size_t n;          /* entries parsed (== count on success) */
    kk_entry *entries; /* n entries, owned; NULL when n == 0 */
    char *names;       /* topic-name storage the entries point into, owned */
} kk_checkpoint;

/*
 * Parse a checkpoint of kind `kind` from `buf` (`len` bytes) into a new
 * kk_checkpoint (*out, free with kk_checkpoint_free). Kafka's rules: an empty
 * file, or one with only a version line, has no entries; the version must be
 * 0 (KE_UNSUPPORTED otherwise); the count must be a non-negative int; every
 * later line must be "topic partition offset" / "epoch startOffset" split on
 * runs of whitespace as String.split("\\s+") does (trailing blanks are
 * dropped; a leading blank yields a leading empty field, so " 81 185" is
 * topic "" partition 81 offset 185 to Kafka, and so to us), else KE_CORRUPT
 * with the line's position and number; the
 * number of entry lines must equal the count (KE_CORRUPT at the first extra
 * line, or at EOF when lines are missing). Invalid UTF-8 is KE_CORRUPT.
 * Caps: len > KK_MAX_FILE, a line over KK_MAX_LINE bytes or more than
 * KK_MAX_ENTRIES entry lines give KE_TOO_LARGE before anything is
 * allocated. KE_NOMEM if allocation fails, KE_USAGE for NULL out or NULL buf
 * with len > 0. On any failure *out is NULL and nothing needs freeing.
 */
int kk_checkpoint_parse(kk_checkpoint **out, kk_kind kind, const uint8_t *buf, size_t len, ke_error *err);

/* Free a checkpoint from kk_checkpoint_parse and everything it owns. Accepts NULL. */
void kk_checkpoint_free(kk_checkpoint *c);

/*
 * The auditor's checks of a leader-epoch-checkpoint (formats doc 6.1):
 * epochs and start offsets >= 0, and both columns strictly increasing
 * (LeaderEpochFileCache keeps them so). Checks entries from *next on (start
 * with *next = 0), pairwise with the one before. Returns 0 when no violation
 * remains (*next = c->n), or KE_CORRUPT with the entry's line position and
 * *next set past it, so a caller can loop over every violation. KE_USAGE for
 * NULL arguments or a checkpoint of another kind.
 */
int kk_leader_epoch_check(const kk_checkpoint *c, size_t *next, ke_error *err);

/*
 * Decode Kafka's UUID text (Uuid.fromString: base64url, 22 chars, or 24
 * ending "=="; the unused low bits of the last char are ignored, as Java's
 * decoder does) into 16 bytes. Returns false when Kafka would throw.
 */
bool kk_uuid_decode(const char *s, size_t n, uint8_t out[16]);

/* Encode 16 bytes as Kafka's 22-char UUID text plus NUL into out[23]. */
void kk_uuid_encode(const uint8_t uuid[16], char out[KK_UUID_TEXT_LEN + 1]);

/* partition.metadata (formats doc 6.2). */
typedef struct kk_partition_metadata {
    int32_t version;                     /* >= 0 (Kafka accepts any non-negative) */
    char topic_id[KK_UUID_TEXT_LEN + 1]; /* the UUID re-encoded canonically */
    uint8_t uuid[16];                    /* the topic id */
} kk_partition_metadata;

/*
 * Parse partition.metadata as PartitionMetadataReadBuffer does: line 1 and
 * line 2 each split on ":" followed by whitespace into exactly 2 parts (the
 * key text is not checked, as in Kafka); the version must be an int >= 0
 * (KE_UNSUPPORTED if negative); the topic id must decode (kk_uuid_decode) and
 * must not be all zeros. Lines after the second are ignored. KE_SHORT when
 * a line is missing, KE_CORRUPT for a malformed line (position and number
 * of the line), KE_TOO_LARGE for a line over KK_MAX_LINE. Fills *out only
 * on success.
 */
int kk_partition_metadata_parse(kk_partition_metadata *out, const uint8_t *buf, size_t len, ke_error *err);

/* meta.properties (formats doc 6.3). */
typedef struct kk_meta_properties {
    int32_t version;             /* 0 or 1; 0 when the key is absent */
    bool has_version;            /* the file has a version key */
    bool has_cluster_id;         /* cluster.id present */
    char cluster_id[KK_STR_MAX]; /* its value, UTF-8 (\u0000 would end it early) */
    bool has_broker_id;          /* broker.id present and an int */
    int32_t broker_id;           /* its value (v0 brokers) */
    bool has_node_id;            /* node.id present and an int */
    int32_t node_id;             /* its value (v1, KRaft) */
    bool has_directory_id;       /* directory.id present (then it decoded) */
    uint8_t directory_id[16];    /* its 16 bytes */
    size_t other_keys;           /* key=value lines with keys not listed here */
} kk_meta_properties;

/*
 * Parse meta.properties: java.util.Properties syntax (comments '#'/'!',
 * blank lines, key and value separated by '=', ':' or whitespace, '\'
 * escapes \t \n \r \f \uXXXX and \x -> x, '\' at end of line continues it;
 * the last of duplicate keys wins), then MetaProperties' rules: version
 * (trimmed) must be 0 or 1 (KE_UNSUPPORTED for another number, KE_CORRUPT
 * for a non-number); v0: broker.id, if present, must be an int; v1: node.id
 * and cluster.id are required (KE_CORRUPT, pos -1 when missing); directory.id,
 * if present, must decode as a UUID. A malformed \uXXXX is KE_CORRUPT. Caps:
 * len > KK_MAX_FILE or a logical line over KK_MAX_LINE -> KE_TOO_LARGE, a
 * cluster.id over KK_STR_MAX - 1 bytes -> KE_TOO_LARGE. Fills *out only on
 * success.
 */
int kk_meta_properties_parse(kk_meta_properties *out, const uint8_t *buf, size_t len, ke_error *err);

/* .kafka_cleanshutdown (formats doc 6.4). */
typedef struct kk_clean_shutdown {
    bool empty;            /* a 0-byte file (brokers before 3.7) */
    int32_t version;       /* the "version" field; 0 when absent (Jackson's default) */
    bool has_broker_epoch; /* "brokerEpoch" present and not null */
    int64_t broker_epoch;  /* the broker epoch at the clean shutdown */
} kk_clean_shutdown;

/*
 * Parse .kafka_cleanshutdown: empty is fine (out->empty); otherwise a JSON
 * object; unknown fields are ignored and the version is not checked (as in
 * CleanShutdownFileHandler). Returns KE_CORRUPT for bytes that are not a JSON
 * object (pos where cJSON stopped) or for a field of the wrong type or not
 * an exact integer (pos -1), KE_TOO_LARGE above KK_MAX_JSON. Note Kafka
 * itself never fails on this file: an unreadable one just means "no broker
 * epoch", the file's presence still means a clean shutdown. Fills *out only
 * on success.
 */
int kk_clean_shutdown_parse(kk_clean_shutdown *out, const uint8_t *buf, size_t len, ke_error *err);

/* KRaft quorum-state, both data versions (QuorumStateData.json). */
typedef struct kk_quorum_state {
    bool has_data_version;          /* "data_version" found (Kafka requires it) */
    int32_t data_version;           /* 0 or 1 on files Kafka writes */
    bool has_cluster_id;            /* "clusterId" found (v0) */
    char cluster_id[KK_STR_MAX];    /* its value, UTF-8 */
    bool has_leader_id;             /* "leaderId" found */
    int32_t leader_id;              /* -1 when no leader is known */
    bool has_leader_epoch;          /* "leaderEpoch" found */
    int32_t leader_epoch;           /* the quorum epoch */
    bool has_voted_id;              /* "votedId" found */
    int32_t voted_id;               /* -1 when this node has not voted */
    bool has_voted_directory_id;    /* "votedDirectoryId" found (v1) */
    uint8_t voted_directory_id[16]; /* its 16 bytes (all zeros: none) */
    bool has_applied_offset;        /* "appliedOffset" found (v0) */
    int64_t applied_offset;         /* its value */
    bool has_current_voters;        /* "currentVoters" found and not null (v0) */
    size_t n_voters;                /* elements in it */
    int32_t voters[KK_MAX_VOTERS];  /* voterId of each element */
} kk_quorum_state;

/*
 * Parse quorum-state: like FileQuorumStateStore, only the first line is read
 * (strict UTF-8) and must be one JSON object. Every field found is exposed (has_*); absent
 * or null fields are not errors. Returns KE_SHORT for an empty file,
 * KE_CORRUPT for bad JSON (pos where cJSON stopped) or a field of the wrong
 * type or range (pos -1), KE_TOO_LARGE above KK_MAX_JSON, for a first line
 * over KK_MAX_LINE, a clusterId over KK_STR_MAX - 1 bytes or more than
 * KK_MAX_VOTERS voters. Fills *out only on success.
 */
int kk_quorum_state_parse(kk_quorum_state *out, const uint8_t *buf, size_t len, ke_error *err);

#endif
