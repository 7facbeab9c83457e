/*
 * layout.h - what is where in a Kafka data directory.
 *
 * Owns: kl_set, the list of log directories, partition directories and
 * single files found under the paths a user gives, each file classified by
 * its name (formats doc 1.1, 4, 5, 6). Partition files are sorted the way
 * the broker orders them: segments by base offset, each segment's .log
 * before its indexes and snapshot.
 *
 * Reads directory entries and file metadata only (never file contents);
 * opens directories with O_NOATIME where the kernel allows it, so a scan
 * leaves their access times as they were; follows symbolic links (Kafka
 * does) but never enters the same directory twice, so a link cycle cannot
 * loop. Creates, locks and renames nothing. Never prints: paths that cannot
 * be read, folders that hold another product's data (Redpanda), and every
 * entry named like Kafka's that will not be read (a FIFO, a device, a
 * socket, a link that leads nowhere or in a loop, a folder holding a
 * partition's files under a name Kafka would not give it) are recorded as
 * problems in the set, each path once.
 */
#ifndef KAUDIT_READER_LAYOUT_H
#define KAUDIT_READER_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef enum kl_kind {
    KL_SEGMENT,            /* <20 digits>.log */
    KL_OFFSET_INDEX,       /* .index */
    KL_TIME_INDEX,         /* .timeindex */
    KL_TXN_INDEX,          /* .txnindex */
    KL_PRODUCER_SNAPSHOT,  /* .snapshot */
    KL_KRAFT_SNAPSHOT,     /* <offset>-<epoch>.checkpoint, bootstrap.checkpoint */
    KL_LEADER_EPOCH,       /* leader-epoch-checkpoint */
    KL_PARTITION_METADATA, /* partition.metadata */
    KL_OFFSET_CHECKPOINT,  /* recovery-point-, replication-, log-start-, cleaner-offset-checkpoint */
    KL_META_PROPERTIES,    /* meta.properties */
    KL_CLEAN_SHUTDOWN,     /* .kafka_cleanshutdown */
    KL_QUORUM_STATE,       /* quorum-state (KRaft) */
    KL_TRANSIENT,          /* .deleted, .cleaned, .swap, .part: mid-change by the broker */
    KL_FOREIGN,            /* another product's segment: Redpanda's <base>-<term>-v1.log */
    KL_OTHER               /* anything else (.lock, unknown files) */
} kl_kind;

typedef struct kl_file {
    char *path;            /* as reached from the path the user gave */
    kl_kind kind;
    kl_kind base_kind;     /* for KL_TRANSIENT: the kind under the suffix; else = kind */
    int64_t base_offset;   /* from a 20-digit stem, -1 otherwise */
    int32_t epoch;         /* KRaft snapshot epoch, -1 otherwise */
} kl_file;

typedef struct kl_partition {
    char *path;
    char *topic;
    int32_t partition;
    const char *state;     /* "" live, "delete", "future" or "stray" (directory suffix) */
    kl_file *files;        /* sorted: base offset, then .log .index .timeindex .txnindex .snapshot */
    size_t nfiles;
    long logdir;           /* index into kl_set.logdirs, -1 when given directly */
    long home;             /* the log directory whose root files describe it: logdir, or for a
                            * partition given directly the folder it sits in (-1 when that
                            * holds no log-directory file) */
} kl_partition;

typedef struct kl_logdir {
    char *path;
    kl_file *files;        /* root files: checkpoints, meta.properties, ... */
    size_t nfiles;
    bool outside;          /* only the home of partitions given directly: its other partitions
                            * were not asked for and are not listed */
} kl_logdir;

typedef struct kl_set {
    kl_logdir *logdirs;
    size_t nlogdirs;
    kl_partition *parts;   /* sorted by log dir, topic, partition */
    size_t nparts;
    kl_file *loose;        /* files named directly by the user, in the order given */
    size_t nloose;
    ke_error *problems;    /* unreadable or foreign paths; each has file set (owned by the set) */
    size_t nproblems;
} kl_set;

/* A new, empty set, or NULL when out of memory. Free with kl_free. */
kl_set *kl_create(void);

/* Free a set and everything in it. Accepts NULL. */
void kl_free(kl_set *s);

/*
 * Add what is at `path`: a file, a partition directory, a log directory, or
 * any folder above log directories (searched up to 12 levels down). Returns
 * 0, or KE_NOMEM. Everything else that goes wrong (a missing path, an
 * unreadable folder, a Redpanda data directory, a folder with no Kafka data
 * in it) is recorded in s->problems and is not a failure of the call.
 */
int kl_add(kl_set *s, const char *path);

/* Sort partitions and their files. Call once after the last kl_add. */
void kl_finish(kl_set *s);

/* Classify a file by its name alone (no directory part). Sets *base_offset
 * and *epoch from the name where it carries them (else -1). For a transient
 * file returns KL_TRANSIENT and sets *base_kind to the kind underneath. */
kl_kind kl_classify(const char *name, kl_kind *base_kind, int64_t *base_offset, int32_t *epoch);

/*
 * Why a file named directly (kl_set.loose) is not read as Kafka's: a
 * Redpanda segment, or a name Kafka gives no file in a data directory
 * (/etc/passwd, backup.tgz); NULL when it is read. A .log of another name
 * may still hold Kafka's batches and is read (the segment reader tells
 * foreign bytes). kaudit dump and kaudit audit both skip such a file and
 * name it (KE_FOREIGN: "could not read everything").
 */
const char *kl_not_kafka(const kl_file *f);

/* Short name of a kind: "segment", "offset_index", ... */
const char *kl_kind_name(kl_kind k);

/*
 * Split a partition directory name `<topic>-<partition>` (optionally
 * `.<id>-delete`, `.<id>-future`, `.<id>-stray`) on its last '-' as Kafka
 * does. Returns 1 and fills the outputs (topic copied into `topic`, at most
 * `cap` bytes with its NUL) when the name is one, else 0. A topic Kafka
 * would not accept (kl_topic_legal) makes no partition directory: Kafka did
 * not make it (a scan names such a folder in the set's problems when it
 * holds a partition's files).
 */
int kl_partition_name(const char *name, char *topic, size_t cap, int32_t *partition, const char **state);

/* Kafka's longest topic name (Topic.MAX_NAME_LENGTH). */
#define KL_TOPIC_MAX 249

/* 1 when `topic` is a name Kafka accepts (Topic.validate): 1 to 249
 * characters of [a-zA-Z0-9._-], not "." or "..". Else 0. */
int kl_topic_legal(const char *topic);

#endif
