/*
 * kaudit.h - the library of kaudit: everything a front end needs to audit
 * Kafka broker data directories offline and render the result (the audit
 * engine, below), or to show their files readable (kaudit_dump, at the end).
 *
 * A front end (the kaudit command, a test, a compare command) fills a
 * kaudit_config, creates an engine, gives it paths, runs it, renders its
 * report and frees it:
 *
 *     kaudit_config c;
 *     kaudit_config_init(&c);
 *     kaudit_error err;
 *     kaudit_engine *e = kaudit_create(&c, &err);
 *     if (!e || kaudit_add_path(e, "/var/lib/kafka/data", &err) < 0 || kaudit_run(e, NULL, &err) < 0) ...
 *     kaudit_render(e, KAUDIT_FORMAT_JSON, stdout, false, &err);
 *     kaudit_free(e);
 *
 * The engine walks log directories, partition directories and segments
 * (reader/), replays each partition through the auditor (audit/) on a pool
 * of threads within one memory budget, spilling the duplicate index of a
 * partition that outgrows its share to a private directory, and builds one
 * report (report/model.h, rendered by report/render.h). It reads only: it
 * never writes, locks or renames anything in the directories it audits. It
 * keeps no global state and installs no signal handler: progress, notices
 * and cancellation are callbacks, the temporary folder a value, and a front
 * end that handles signals calls kaudit_remove_temp_now from its handler.
 *
 * Every call that can fail returns 0 or a negative KAUDIT_E* code and fills
 * a kaudit_error (code, file, byte position, message). Create/free pairs
 * accept NULL. Link with libkaudit.a and -lzstd -llz4 -lsnappy -lz -lcjson
 * -lxxhash -pthread -lm.
 */
#ifndef KAUDIT_H
#define KAUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report/model.h"

/* What went wrong, for a front end to print. */
enum {
    KAUDIT_OK = 0,
    KAUDIT_ENOMEM = -1,   /* out of memory */
    KAUDIT_EUSAGE = -2,   /* a setting the engine cannot use (a bad regular expression, a
                           * temporary folder inside an audited one) */
    KAUDIT_EINPUT = -3,   /* a path that cannot be audited at all (listed in the report too) */
    KAUDIT_ECANCEL = -4,  /* the cancelled callback said stop */
    KAUDIT_EWRITE = -5    /* writing the report failed */
};

typedef struct kaudit_error {
    int code;             /* KAUDIT_E*, KAUDIT_OK when nothing went wrong */
    char file[1024];      /* the file or setting concerned, "" when none */
    int64_t pos;          /* byte position in it, -1 when none */
    char msg[512];        /* one line, for people */
} kaudit_error;

/* Redaction of previews (audit/audit.h, KA_REDACT_*). */
enum { KAUDIT_REDACT_KEYS = 1, KAUDIT_REDACT_VALUES = 2, KAUDIT_REDACT_HEADERS = 4 };

typedef struct kaudit_config {
    /* Which partitions: POSIX extended regular expressions on topic names,
     * NULL for none. dup_topics: topics audited as ordinary ones despite
     * a naming rule (docs/report.md). */
    const char *topics, *exclude_topics, *dup_topics;
    /* Which findings are reported: offsets [off_lo, off_hi], batch times
     * [since, until] (ms; INT64_MIN/MAX for no bound). */
    int64_t off_lo, off_hi, since, until;
    /* ... and of which types: comma lists of finding type names
     * (report/types.h, "duplicate,open_transaction"), only those of `types`
     * (NULL: every type) and none of `exclude_types` (NULL: none). A finding
     * of another type is neither counted nor listed, in any format, the
     * exit status or a baseline's comparison; the audit itself is the
     * same. kaudit_create: KAUDIT_EUSAGE for a name that is no type. */
    const char *types, *exclude_types;
    /* The cluster's rules (ms): producer.id.expiration.ms,
     * transaction.max.timeout.ms, and how far apart copies may be and
     * still be a delivery duplicate. */
    int64_t producer_expiration_ms, txn_max_timeout_ms, dup_window_ms;
    bool dup_include_headers;  /* headers are part of a record's identity */
    /* --identity: "REGEX=SPEC" strings (nidentity of them), the first whose
     * REGEX matches a topic names its records' business identity (SPEC:
     * key, value, header:NAME or json:$.PATH; audit/identity.h): there,
     * records with one identity are duplicates across the topic's
     * partitions whatever their bytes (docs/report.md, "Duplicates by
     * identity"). kaudit_create: KAUDIT_EUSAGE for one it cannot use. */
    const char *const *identity;
    size_t nidentity;
    int64_t max_examples;      /* findings listed per type and severity, < 0 all */
    int redact;                /* KAUDIT_REDACT_* */
    uint64_t redact_key;       /* keys the redaction tokens */
    long jobs;                 /* threads; 0: one per online CPU */
    int64_t max_memory;        /* bytes for all that grows with the data: the jobs' indexes,
                                * state, decompression and read-ahead, and the listed
                                * findings (engine/engine.c says how it is shared) */
    size_t max_entry;          /* the largest entry read (decompressed), bytes */
    bool no_cache;             /* drop what was read from the page cache */
    int live_wait_ms;          /* watch a segment's partial tail this long for a live write */
    const char *tmpdir;        /* where spills go: NULL for $TMPDIR, else /tmp */
    int64_t generated_at_ms;   /* the report's time (ms since the epoch), for reproducible
                                * reports (SOURCE_DATE_EPOCH); 0: when it is made */
    bool compare_only;         /* kaudit compare: only the topic-partitions held in more than
                                * one log directory, each copy checked for the integrity of its
                                * bytes and compared with the others (engine/replicas.h); no
                                * producer, duplicate, transaction or consumer group audit. Paths
                                * may name digests (kaudit_digest) too: then every partition of
                                * the data is compared with them */
    bool integrity_only;       /* kaudit digest: every partition checked for the integrity of its
                                * bytes only, and not compared */
    const char *baseline;      /* an earlier JSON report of kaudit to compare with (--baseline), NULL
                                * for none: kaudit_create reads it (KAUDIT_EUSAGE when it cannot, or
                                * it is no kaudit report), and each finding is then new or present
                                * and the baseline's own may be gone (report/baseline.h) */
    int fail_on;               /* the front end's --fail-on (RM_*, -1 for none): only recorded in the
                                * report's options; RM_WARNING by default */
} kaudit_config;

/* The defaults of `kaudit audit`: every topic, every finding, producer
 * expiration 1 day, transactions 15 minutes, window 10 minutes, 100
 * examples, one job per CPU, kaudit_default_max_memory(), entries up to
 * 256 MiB, a live wait of 250 ms. */
void kaudit_config_init(kaudit_config *c);

/*
 * The default max_memory: a quarter of the lower of physical memory and
 * this process's cgroup memory limit (v2 memory.max or v1
 * memory.limit_in_bytes, the lowest from its cgroup up; "max" or a huge
 * value is no limit), at least 64 MiB (or half the memory when that is
 * less than 128 MiB); 1 GiB when neither is known. The cgroup mount is
 * /sys/fs/cgroup, or $KAUDIT_CGROUP_ROOT when set (tests). Reads a few
 * small files each call.
 */
int64_t kaudit_default_max_memory(void);

/* What the engine says while it runs (any member may be NULL; called from
 * the engine's threads, so they must be thread-safe). Notice and problem
 * lines, like the report model's strings, quote paths and names from the
 * data as they are, controls and bytes that are not UTF-8 included: a front
 * end escapes them before a terminal or a page sees them, e.g. with
 * es_fputs of report/escape.h (installed beside this header), as kaudit's
 * own command line does; kaudit_render's outputs are escaped already. */
typedef struct kaudit_callbacks {
    void *ctx;
    void (*started)(void *ctx, int64_t total_bytes);           /* the work ahead */
    void (*progress)(void *ctx, int64_t bytes);                /* `bytes` more were read */
    void (*more_work)(void *ctx, int64_t bytes);               /* the work grew (a second pass) */
    void (*notice)(void *ctx, const char *line);               /* something worth telling a person */
    void (*problem)(void *ctx, const char *line);              /* an input that cannot be audited */
    bool (*cancelled)(void *ctx);                              /* polled: true stops the audit */
} kaudit_callbacks;

typedef struct kaudit_engine kaudit_engine;

/* A new engine with a copy of `c` (its strings copied too). NULL with
 * *err on failure (a bad regular expression: KAUDIT_EUSAGE). */
kaudit_engine *kaudit_create(const kaudit_config *c, kaudit_error *err);

/* Free the engine, its report and its temporary folder. Accepts NULL. */
void kaudit_free(kaudit_engine *e);

/*
 * Add what is at `path`: a log directory, a partition directory, a folder
 * above log directories, or a segment file. A path that cannot be read is
 * not an error of the call: it is listed in the report's problems (and
 * counted by kaudit_outcome). KAUDIT_EUSAGE when the temporary folder lies
 * inside `path` (spills would write into an audited directory).
 */
int kaudit_add_path(kaudit_engine *e, const char *path, kaudit_error *err);

/* KAUDIT_EUSAGE when a file written at `path` (a report, a digest) would
 * lie in or be one of the paths added: kaudit never writes where it
 * reads. "-" (standard output) and NULL are fine. Call after the paths
 * are added. */
int kaudit_check_output(const kaudit_engine *e, const char *path, kaudit_error *err);

/* Audit everything added, once, into the report. 0, or KAUDIT_ENOMEM or
 * KAUDIT_ECANCEL (the report then holds what was done). First it removes
 * from the temporary folder the empty private directories (kaudit-spill-*,
 * this user's) that killed runs left: a live run's is locked and kept
 * (engine/spill.h, sp_dir_sweep); a notice says how many. */
int kaudit_run(kaudit_engine *e, const kaudit_callbacks *cb, kaudit_error *err);

/* The report (after kaudit_run): the model every renderer reads. Its
 * `findings` are the examples kept; every finding listed (all of them with
 * max_examples < 0, spilled to the temporary folder past the report's
 * share of max_memory) is read in report order through rm_iter
 * (report/listing.h), as the JSON renderer does. */
const rm_report *kaudit_report(const kaudit_engine *e);

/* What the front end needs for its exit status. */
typedef struct kaudit_outcome {
    size_t problems;      /* inputs that could not be read or checked at all */
    size_t incomplete;    /* partitions whose duplicates were not checked to the end */
    int worst;            /* the highest severity found (RM_*), -1 when none */
    bool complete;        /* everything was audited: no problem, nothing incomplete, no error */
    int worst_new;        /* with a baseline: the highest severity of the findings listed that it
                           * does not hold (RM_*), -1 when none (or no baseline) */
    size_t warnings;      /* filters or windows that matched nothing (the report's run.warnings):
                           * a usage warning, the audit is not clean */
} kaudit_outcome;

kaudit_outcome kaudit_outcome_of(const kaudit_engine *e);

/* Report formats (report/render.h): PROMETHEUS is the text exposition
 * format node_exporter's textfile collector reads (also OpenMetrics). */
enum { KAUDIT_FORMAT_TEXT, KAUDIT_FORMAT_JSON, KAUDIT_FORMAT_HTML, KAUDIT_FORMAT_MARKDOWN, KAUDIT_FORMAT_PROMETHEUS };

/* Write the report to `f` in `format` (text: `color` for ANSI colours) and
 * flush it (not close it). Markdown lists ten findings of each type, or
 * with max_examples < 0 as many as its 65,536 characters hold. 0, or
 * KAUDIT_EWRITE when writing failed. */
int kaudit_render(const kaudit_engine *e, int format, FILE *f, bool color, kaudit_error *err);

/*
 * Write the digest of every partition audited (docs/digest.md: per batch its
 * offsets, leader epoch, producer fields, count, CRC and time; per copy its
 * broker, cluster, log start and end and high watermark) to `out`, after
 * kaudit_run, and flush it. It reads the segments' batch headers again.
 * 0, KAUDIT_EWRITE (writing failed) or KAUDIT_ENOMEM.
 */
int kaudit_digest(const kaudit_engine *e, FILE *out, kaudit_error *err);

/* The folder spills are made in (the config's tmpdir, else $TMPDIR, else
 * /tmp). */
const char *kaudit_temp_base(const kaudit_engine *e);

/* Async-signal-safe: remove the engine's private temporary directory now
 * (waiting for a file being made in it). For a front end's signal handler,
 * before the process dies; `e` may be NULL. */
void kaudit_remove_temp_now(kaudit_engine *e);

/* The library's version ("0.1.0"). */
const char *kaudit_version(void);

/* ---- merging ----------------------------------------------------------- */

/* What a merge found, for the front end's exit status. */
typedef struct kaudit_merge_outcome {
    size_t problems;       /* problems the reports carried (inputs not read, partitions incomplete) */
    int worst;             /* the highest severity counted, -1 when none */
    int64_t findings;      /* findings listed */
    int64_t replicas;      /* findings dropped as another copy's (see report/merge.h) */
} kaudit_merge_outcome;

/*
 * kaudit merge: the JSON reports at paths[0..n-1] (one per broker, each
 * from kaudit audit or compare --format json) as one JSON report on `out`:
 * every copy listed in the order one run would list it, each finding that
 * several copies of a topic-partition carry once (from the copy reaching
 * furthest, the others in its `replicas`), counts summed less those, and
 * incidents renumbered (report/merge.h says how). The reports together may
 * take max_bytes. generated_at_ms: the report's time, 0 for now.
 * 0; KAUDIT_EINPUT (a report unreadable or over max_bytes), KAUDIT_EUSAGE
 * (not a kaudit report: err names it), KAUDIT_ENOMEM or KAUDIT_EWRITE.
 */
int kaudit_merge(const char *const *paths, size_t n, int64_t generated_at_ms, size_t max_bytes, FILE *out,
                 kaudit_merge_outcome *outcome, kaudit_error *err);

/* ---- dumping ------------------------------------------------------------ */

/*
 * kaudit_dump: what `kaudit dump` prints, for any front end. It reads the
 * same paths an engine takes (log directories, partition directories,
 * folders above them, single files), in the order of docs/dump-format.md,
 * and writes one line per file header, batch, record, index entry, snapshot
 * entry, checkpoint and error to a FILE:
 *
 *     kaudit_dump_options o;
 *     kaudit_dump_options_init(&o);
 *     o.format = KAUDIT_DUMP_JSONL, o.records = true;
 *     kaudit_dump_outcome oc;
 *     kaudit_error err;
 *     const char *paths[] = { "/var/lib/kafka/data/orders-3" };
 *     if (kaudit_dump(&o, paths, 1, stdout, NULL, &oc, &err) < 0) ...
 *
 * Like the engine it only reads, keeps no global state, never prints to
 * stderr and never exits.
 */

/* Output of a dump: kafka-dump-log.sh's words with ISO 8601 UTC times, one
 * JSON object per line (the stable format of docs/dump-format.md), or
 * KAFKA: kafka-dump-log.sh's own lines, field for field (docs/dump-format.md,
 * "kafka-dump-log.sh's lines"). */
enum { KAUDIT_DUMP_TEXT, KAUDIT_DUMP_JSONL, KAUDIT_DUMP_KAFKA };

/* What KAUDIT_DUMP_KAFKA does with index files (kafka-dump-log.sh's
 * --verify-index-only and --index-sanity-check). */
enum {
    KAUDIT_INDEX_DUMP,        /* print every entry, and check each against the log as Kafka does */
    KAUDIT_INDEX_VERIFY_ONLY, /* check the entries, print none */
    KAUDIT_INDEX_SANITY_ONLY  /* only Kafka's sanityCheck: "<file> passed sanity check." */
};

/* Which decoder shows an internal topic's records. AUTO picks one by topic
 * name (__consumer_offsets, __transaction_state, __cluster_metadata) and
 * for KRaft snapshots; the others apply to every record dumped. */
enum {
    KAUDIT_DECODE_NONE,
    KAUDIT_DECODE_AUTO,
    KAUDIT_DECODE_OFFSETS,
    KAUDIT_DECODE_TRANSACTIONS,
    KAUDIT_DECODE_METADATA
};

typedef struct kaudit_dump_options {
    int format;                /* KAUDIT_DUMP_TEXT or KAUDIT_DUMP_JSONL */
    bool records;              /* a line per record: every record is decoded and checked */
    bool payload;              /* text: keys, values, headers and decoded internal records
                                * (implies records; JSONL always carries them) */
    int decode;                /* KAUDIT_DECODE_* */
    bool verify_index;         /* check .index, .timeindex and .txnindex against the log */
    /* Filters: batches of producer id `producer_id` when has_producer_id,
     * batches that reach into offsets [off_lo, off_hi] (and of their
     * records those inside it), transactional batches only, control
     * batches only. */
    bool has_producer_id;
    int64_t producer_id;
    int64_t off_lo, off_hi;
    bool only_transactional, only_control;
    int redact;                /* KAUDIT_REDACT_*: shown as size and keyed token instead;
                                * internal records are then not decoded */
    uint64_t redact_key;       /* keys the redaction tokens */
    size_t max_entry;          /* the largest entry read (decompressed), bytes; at least 64 */
    bool no_cache;             /* drop what was read from the page cache */
    int live_wait_ms;          /* watch a segment's partial tail this long for a live write */
    int64_t max_bytes;         /* only the batches that end within each segment's first max_bytes
                                * bytes (kafka-dump-log.sh --max-bytes); 0: every batch */
    /* KAUDIT_DUMP_KAFKA only: */
    FILE *kafka_err;           /* where the lines kafka-dump-log.sh writes to stderr go (index
                                * mismatches, non-consecutive offsets, ignored files), and the
                                * dump's own ERROR and NOTE lines; NULL: not written */
    bool skip_record_metadata; /* record lines carry only key and payload (--skip-record-metadata) */
    int index_mode;            /* KAUDIT_INDEX_* */
} kaudit_dump_options;

/* The defaults of `kaudit dump`: text, one line per batch, decoders by
 * topic name, no index check, no filter (offsets INT64_MIN..INT64_MAX, no
 * byte limit), no redaction, entries up to 256 MiB, a live wait of 250 ms;
 * for KAUDIT_DUMP_KAFKA, index entries printed and no stderr stream. */
void kaudit_dump_options_init(kaudit_dump_options *o);

/* What a dump found, for the front end's exit status. */
typedef struct kaudit_dump_outcome {
    size_t problems;      /* errors written about the data: corrupt, truncated, mismatched, ... */
    size_t unreadable;    /* inputs that could not be read at all (or are not Kafka's format) */
    size_t notes;         /* files a live broker changed while they were read: said, not held
                           * against the data */
    int64_t batches;      /* batch lines written (after the filters) */
    int64_t records;      /* record lines written */
} kaudit_dump_outcome;

/*
 * Dump what is at `paths[0..npaths-1]` to `out`, with options `o`. Errors
 * in the data are part of the dump: each is a line of `out` where it was
 * found ("ERROR <file> at position <n>: ...", a JSONL "error" object) and
 * is counted in *outcome; a path that cannot be read is one such line too,
 * not a failure of the call. Through `cb` (NULL, or any member NULL):
 * started(the bytes of every segment to read), progress(bytes read),
 * problem(each error line's words, "<file> at position <n>: <message>"),
 * notice(the same for a live broker's change), and cancelled, polled
 * between batches and files. Everything is called from the calling thread.
 *
 * Returns 0; KAUDIT_EUSAGE for options it cannot use (a format, decoder,
 * redaction or index mode out of range, off_lo > off_hi, max_entry under
 * 64, a negative max_bytes, no path, NULL arguments) before anything is
 * read; KAUDIT_ENOMEM (nothing written);
 * KAUDIT_ECANCEL when cancelled said stop, or KAUDIT_EWRITE when writing
 * to `out` failed, both with *outcome counting what was done. `out` is
 * flushed, never closed. `outcome` and `err` may be NULL.
 */
int kaudit_dump(const kaudit_dump_options *o, const char *const *paths, size_t npaths, FILE *out,
                const kaudit_callbacks *cb, kaudit_dump_outcome *outcome, kaudit_error *err);

#endif
