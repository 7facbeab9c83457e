/*
 * model.h - the one in-memory report every output format renders.
 *
 * Owns: rm_report (what was audited, per-partition summaries, findings) and
 * its strings. Knows nothing about Kafka's bytes: a finding is data, a type
 * of report/types.h (and which of its variants), a severity, where it is
 * (topic, partition, offset) and an ordered list of named values, those the
 * type declares. Its words (message, explanation) are written from them by
 * rm_finish, with the type's table.
 *
 * Large audits stay usable: every finding is counted by type and severity,
 * but only `max_examples` of each type and severity are kept as examples
 * (so thousands of informational notes never crowd out a warning): those
 * of the largest impact (records involved, as the audit says), the first
 * ones among equals; the rest are counted, never silently dropped.
 *
 * Incidents group findings a person acts on together (one producer restart
 * across partitions, one retry storm, one script run twice). The audit says
 * how each finding groups (rm_group: a kind, a key, and a time gap for
 * kinds clustered in time); every grouped finding is counted into its
 * incident, kept as an example or not, and rm_finish joins what falls
 * within the gap, numbers the incidents and links the kept findings.
 *
 * Every finding's id is its fingerprint (rm_fingerprint): a hash of what
 * identifies it (its type, topic, partition, broker, offset, producer and
 * the fields its type marks RT_KEY), never of its place in the list, so a
 * link to report.html#F... and a baseline (--baseline, report/baseline.h)
 * find the same finding in tomorrow's report, whatever the filters, jobs,
 * memory or --max-examples.
 */
#ifndef KAUDIT_REPORT_MODEL_H
#define KAUDIT_REPORT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { RM_INFO = 0, RM_WARNING = 1, RM_ERROR = 2 };
enum { RM_INT, RM_STR, RM_BOOL, RM_NULL };

/* A finding against a baseline report: not in it (new), in it (present);
 * a finding of the baseline not found now (gone), or not comparable (this
 * audit did not look where it was, or does not list every finding of its
 * type and severity). RM_BASE_NONE: no baseline given. */
enum { RM_BASE_NONE, RM_BASE_NEW, RM_BASE_PRESENT, RM_BASE_GONE, RM_BASE_UNCOMPARED };

#define RM_MAX_FIELDS 32
#define RM_MAX_TYPES 32

typedef struct rm_field {
    const char *key;       /* a static name the finding's type declares */
    int kind;              /* RM_INT, RM_STR, RM_BOOL or RM_NULL */
    int64_t i;             /* RM_INT, RM_BOOL */
    char *s;               /* RM_STR, owned */
    bool words_only;       /* for the finding's words, never rendered as a field (RT_WORDS) */
} rm_field;

/* How a finding groups into an incident (chosen by the audit). */
typedef struct rm_group {
    const char *kind;      /* a literal, e.g. "producer_restart"; NULL: no incident */
    uint64_t key;          /* findings of one kind and key may form one incident ... */
    int64_t gap;           /* ... when their times are at most this far apart (ms); < 0: any */
    int64_t producer_id, original_producer_id; /* for the incident's words, -1 when none */
    int32_t epoch, original_epoch;
} rm_group;

typedef struct rm_finding {
    char id[24];           /* "F" and 12 hex digits of its fingerprint, set by rm_finish (rm_stamp) */
    char incident[24];     /* "I<n>" after rm_finish when grouped, else "" */
    int tid;               /* its type, an rt_id of report/types.h */
    int variant;           /* which of the type's words it reads in (RTV_*), 0 when one */
    const char *type;      /* the type's name (rt_type_of(tid)->name) */
    int severity;
    size_t partition;      /* index into rm_report.partitions */
    int64_t offset;        /* where it shows, -1 when not tied to an offset */
    int64_t producer_id;   /* -1 when none applies */
    int32_t producer_epoch; /* -1 when none applies */
    char *message;         /* one line, owned: written by rm_finish */
    char *explanation;     /* plain words, owned: written by rm_finish */
    rm_field fields[RM_MAX_FIELDS];
    int nfields;
    uint64_t seq;          /* insertion order, for a stable sort */
    int64_t impact;        /* records involved: the larger are kept first as examples */
    rm_group group;        /* its incident's kind and key, kind NULL when none */
    int64_t group_ts;      /* its time for the incident's clustering, -1 unknown */
    bool lost;             /* a text or field of it could not be allocated (rm_finish: r->oom) */
    bool written;          /* in the report's spill already (listing.h): kept in memory as an example */
    int baseline;          /* RM_BASE_NEW or RM_BASE_PRESENT against the report's baseline, set with
                            * its id; RM_BASE_NONE without one */
    size_t str_bytes;      /* the bytes its strings take (the report's memory share) */
} rm_finding;

/* A partition's share of an incident. */
typedef struct rm_incident_part {
    size_t partition;      /* index into rm_report.partitions */
    int64_t findings, records;
    int64_t first_offset, last_offset;
} rm_incident_part;

typedef struct rm_incident {
    char id[24];           /* "I<n>", assigned by rm_finish: severity, then records, descending */
    rm_group group;        /* kind, key and gap; producers as the first finding gave them */
    int severity;          /* the highest of its findings */
    int64_t first_ts, last_ts; /* times of its findings, -1 when unknown */
    int64_t findings, records;
    rm_incident_part *parts; /* by partition index */
    size_t nparts;
    char *summary;         /* one sentence, written by rm_finish (owned) */
} rm_incident;

/* How a partition's content repeats (the duplicate audit's profile). */
typedef struct rm_repeats {
    bool checked;          /* the partition was checked for duplicates */
    int64_t records;       /* visible data records checked */
    int64_t repeated;      /* records repeating an earlier key and value */
    int64_t natural;       /* of them, repeats that look like ordinary traffic */
    bool by_nature;        /* content repeats by nature here: such repeats are info */
    const char *rule;      /* the topic's naming rule that makes repeats normal (a literal), or NULL */
    int64_t decided_early; /* findings classed before the end of the partition (memory) */
} rm_repeats;

/* A topic's --identity in one partition (audit/identity.h): the records
 * that had one, and those that had none, by reason, which fell back to
 * the byte check. */
#define RM_IDENTITY_REASONS 10
typedef struct rm_identity {
    char *spec;            /* the SPEC as given ("json:$.payment_id"), owned */
    int64_t records;       /* visible records with an identity, checked across the topic */
    int64_t missing;       /* records without one: checked by their bytes instead */
    int64_t by_reason[RM_IDENTITY_REASONS]; /* missing, by reason ... */
    const char *reason[RM_IDENTITY_REASONS]; /* ... named so (literals; NULL past the last) */
} rm_identity;

/* An identity a partition's records suggest (audit/idsuggest.c): a JSON
 * member or header present and unique in every record sampled. */
typedef struct rm_suggestion {
    char *spec;            /* "header:ce_id", "json:$.event_id", owned */
    char *option;          /* the option that would use it for the topic, owned */
    int64_t sampled;       /* records sampled: it was in each, never twice the same */
} rm_suggestion;

typedef struct rm_producer {
    int64_t producer_id;
    int32_t epoch;
    int64_t first_offset, last_offset;
    int32_t last_sequence;
    int64_t batches, records;
} rm_producer;

#define RM_MAX_TALLIES 8

/* A per-partition count under a name (duplicates by class). */
typedef struct rm_tally {
    const char *name;      /* a literal */
    int64_t findings, records;
} rm_tally;

#define RM_DENSITY_BINS 64

/* Where a partition's findings lie, every one counted (listed or not), by
 * offset and severity (rm_add_ranked): bin i holds offsets [base + i *
 * width, base + (i + 1) * width). The bins span a window aligned to its
 * size, the smallest (width a power of two, doubled with the bins merged in
 * pairs) that holds every offset counted, so the counts depend only on the
 * offsets, never on the order they came in. The HTML timelines draw it. */
typedef struct rm_density {
    int64_t base, width;
    int64_t n[3][RM_DENSITY_BINS];
} rm_density;

/* Every finding of one type in a partition, by severity (rm_add_ranked). */
typedef struct rm_type_count {
    const char *type;      /* the type's name (rt_type_of(tid)->name) */
    int64_t by_severity[3];
} rm_type_count;

typedef struct rm_partition {
    char *topic;
    int32_t partition;
    char *path;
    int64_t log_start_offset, log_end_offset; /* -1 when the log holds no batch */
    int64_t kafka_log_start; /* the broker's log start: max(first segment's base offset, log-start-offset-
                              * checkpoint), below the first batch in a compacted log; -1 no segment */
    int64_t segments, batches, records, control_records, bytes;
    rm_producer *producers;
    size_t nproducers;
    rm_tally duplicates[RM_MAX_TALLIES]; /* by class, every one counted */
    int nduplicates;
    int64_t min_timestamp, max_timestamp; /* of its batches, -1 when none */
    rm_repeats repeats;
    char **notes;          /* what changed under us while reading (a live broker), owned */
    size_t nnotes;
    rm_type_count *by_type; /* every finding here counted, listed or not, by type, owned */
    int nby_type;
    rm_density *density;   /* every finding here with an offset, by offset; NULL until one (owned) */
    char *copy;            /* whose copy it is, for its findings' fingerprints: "broker 1" (node.id,
                            * else broker.id, of its log directory's meta.properties), else that
                            * directory's name; NULL when unknown (owned; set by the engine) */
    int64_t batches_in_window;  /* of its batches, those within --since/--until, ... */
    int64_t batches_in_offsets; /* ... within --offsets, ... */
    int64_t batches_in_scope;   /* ... and within both: a filter that matches nothing is said */
    rm_identity *identity; /* its topic's --identity, NULL when none (owned) */
    rm_suggestion *suggestions; /* identities its sample suggests, in the order found (owned) */
    size_t nsuggestions;
} rm_partition;

/* A fact about what was audited ("cluster.id" = "...", "broker.id" = "1"). */
typedef struct rm_meta {
    char *key, *value;
} rm_meta;

typedef struct rm_count {
    const char *type;
    int64_t total;         /* every finding of this type */
    int64_t by_severity[3];
    int64_t kept;          /* examples kept in findings */
    int64_t kept_by_severity[3]; /* the cap applies per severity: warnings are never crowded out by notes */
    size_t *slots[3];      /* with a cap: the indexes in findings of each severity's examples */
    size_t worst[3];       /* ... and the position in slots of the one to replace first */
} rm_count;

/* A consumer group as its coordinator's log tells it (audit/groups.h). */
typedef struct rm_generation {
    int32_t generation;
    int64_t timestamp;     /* when the group entered it (currentStateTimestamp, else the record's), ms */
    int32_t members;       /* 0: the group was empty */
    int32_t joined, left;  /* members not in the group's previous GroupMetadata, and gone since it */
    int64_t offset;        /* of its GroupMetadata record */
} rm_generation;

typedef struct rm_position {
    char *topic;           /* owned */
    int32_t partition;
    int64_t offset;        /* committed: the next offset the group reads */
    int64_t commit_timestamp; /* -1 when unknown */
    int64_t record_offset; /* of the commit in the coordinator's log */
} rm_position;

#define RM_MAX_GENERATIONS 64 /* kept per group, the latest; the rest counted */

/* A commit that went back (audit/groups.c), made a finding once every
 * partition is audited (kg_findings), with what the partition it reads
 * holds between the two offsets. */
typedef struct rm_regression {
    char *topic;           /* owned */
    int32_t partition;
    int64_t from, to;      /* the position before, and the lower one committed */
    int64_t commit_timestamp; /* -1 when the value has none */
    int64_t ts;            /* for --since/--until and incidents: the commit's, else its batch's */
    int64_t record_offset; /* of the commit in the coordinator's log */
    int variant;           /* RTV_CONSUMER_*: what the group was doing */
    int32_t generation, previous_generation; /* -1 when unknown / the same */
    char *metadata;        /* the commit's, owned; NULL when empty */
    bool transactional;
} rm_regression;

typedef struct rm_cgroup {
    char *name;            /* owned */
    size_t partition;      /* its __consumer_offsets partition (index into rm_report.partitions) */
    bool deleted;          /* its GroupMetadata was removed (a tombstone): the group was deleted */
    int64_t commits;       /* offset commits applied */
    int64_t regressions;   /* of them, going backwards */
    rm_generation *gens;   /* in log order, at most RM_MAX_GENERATIONS (the latest) */
    size_t ngens;
    int64_t gens_total;    /* GroupMetadata records seen */
    rm_position *pos;      /* its last committed offsets, by topic and partition */
    size_t npos;
    rm_regression *backs;  /* its commits that went back, in log order (in --offsets/--since/--until) */
    size_t nbacks;
} rm_cgroup;

/* An option a report was made with (JSON run.options; the text, HTML and
 * Markdown headers show those given). */
typedef struct rm_option {
    const char *name;      /* a literal: the command line's option without its dashes ("topics") */
    int kind;              /* RM_INT, RM_STR, RM_BOOL, or RM_NULL when it is not set */
    int64_t i;             /* RM_INT, RM_BOOL */
    char *s;               /* RM_STR, owned */
    bool given;            /* not the default */
} rm_option;

/* A finding of a baseline report (--baseline), as its JSON says it. */
typedef struct rm_base_finding {
    uint64_t fp;           /* its id's fingerprint */
    char id[24];
    char *type, *topic, *message; /* owned, "" when the report had none */
    int severity;
    int32_t partition;
    int64_t offset;
    int state;             /* after rm_baseline_compare: RM_BASE_PRESENT, _GONE or _UNCOMPARED */
} rm_base_finding;

/* A baseline report and this report's comparison with it. */
typedef struct rm_baseline {
    char *path;            /* as given, owned */
    char *generated_at;    /* the baseline's, owned */
    rm_base_finding *findings; /* sorted by fp */
    size_t nfindings;
    char **omitted_types;  /* types of which it counted findings it did not list (--max-examples) */
    size_t nomitted_types;
    /* the comparison (rm_baseline_compare) */
    int64_t new_by_severity[3]; /* this report's listed findings not in the baseline */
    int64_t present;       /* ... and in it */
    int64_t unlisted;      /* this report's findings counted but not listed (--max-examples): not compared */
    size_t gone, not_compared; /* the baseline's findings not found now, provably gone or not */
} rm_baseline;

/* A scratch file the engine owns, for the findings a report lists past its
 * memory share (listing.h). Every call is thread-safe; 0, or -1 on failure. */
typedef struct rm_spill {
    void *ctx;
    int (*reserve)(void *ctx, uint64_t n, uint64_t *pos); /* n bytes at the end, for this caller */
    int (*write)(void *ctx, uint64_t pos, const void *buf, size_t n);
    int (*read)(void *ctx, uint64_t pos, void *buf, size_t n);
} rm_spill;

/* Findings written to the spill in report order (listing.c). */
typedef struct rm_run {
    uint64_t pos, bytes, count;
    size_t part_lo, part_hi;   /* the partitions it covers, as this report numbers them */
    size_t part_shift;         /* added to the partition written */
    uint64_t seq_shift;        /* added to the seq written */
} rm_run;

typedef struct rm_report {
    char *generated_at;    /* ISO 8601 UTC */
    int64_t generated_ms;  /* the same time, ms since the epoch (whole seconds) */
    int64_t duration_ms;   /* how long the audit ran (the engine's), -1 when not measured */
    char **inputs;
    size_t ninputs;
    char **problems;       /* inputs that could not be read: "path: message" */
    size_t nproblems;
    rm_partition *partitions;
    size_t npartitions;
    rm_finding *findings;  /* kept examples; sorted by rm_finish */
    size_t nfindings, capfindings;
    rm_count counts[RM_MAX_TYPES];
    int ncounts;
    int64_t by_severity[3]; /* every finding */
    int64_t max_examples;  /* per type and severity; < 0 means keep all */
    uint64_t next_seq;
    rm_meta *meta;
    size_t nmeta;
    rm_incident *incidents; /* every grouped finding counted; joined and numbered by rm_finish */
    size_t nincidents, capincidents;
    bool oom;              /* an allocation failed: something was counted but not kept, or lost */
    rm_cgroup *groups;     /* consumer groups, in partition order (audit/groups.h) */
    size_t ngroups, capgroups;
    /* the listing past the memory share (listing.h) */
    const rm_spill *spill; /* NULL: every kept finding stays in memory */
    size_t spill_budget;   /* bytes of findings held before they are written */
    size_t held_bytes;     /* bytes of findings[0, accounted) */
    size_t accounted;
    rm_run *runs;
    size_t nruns, capruns;
    /* how it was made */
    const char *command;   /* "audit" or "compare" (a literal), NULL when not said */
    rm_option *options;    /* the options that shape the report, in the order of --help */
    size_t noptions;
    char **warnings;       /* a filter or window that matched nothing, a sentence each (owned): a
                            * usage warning, the report is not Clean */
    size_t nwarnings;
    rm_baseline *baseline; /* NULL without --baseline; owned */
    uint32_t hidden_types; /* bits 1 << rt_id: types neither counted nor listed (--types,
                            * --exclude-types); 0 by default. See rm_shows */
} rm_report;

/* A new empty report keeping `max_examples` findings per type (< 0: all).
 * NULL when out of memory. Free with rm_free. */
rm_report *rm_create(int64_t max_examples);

/* Set the report's time (ms since the epoch) instead of when it was
 * created: reproducible reports. 0, or -1 when out of memory. */
int rm_set_generated_at(rm_report *r, int64_t ms);

/* Free a report and everything it owns. Accepts NULL. */
void rm_free(rm_report *r);

/* Add an input path / a problem line (copied). 0, or -1 out of memory. */
int rm_add_input(rm_report *r, const char *path);
int rm_add_problem(rm_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Add a partition (strings copied); returns its index, or (size_t)-1. */
size_t rm_add_partition(rm_report *r, const char *topic, int32_t partition, const char *path);

/*
 * Does the report count and list findings of type `tid` (an rt_id; any
 * other value: yes)? A producer of findings asks before it counts one into
 * an incident (rm_group_finding) or a tally; rm_add_finding asks itself.
 */
bool rm_shows(const rm_report *r, int tid);

/*
 * Count a finding of type `tid` (an rt_id) read in `variant` and, when its
 * type still has room for examples, return a new finding to fill (its type,
 * severity and partition set); NULL when the example is not kept (the count
 * still is), memory runs out, or the report does not show its type
 * (rm_shows: then it is not counted either). The severity must be one the
 * type may have.
 */
rm_finding *rm_add_finding(rm_report *r, int tid, int variant, int severity, size_t partition, int64_t offset);

/* The same for a finding involving `impact` records: when its type and
 * severity have no room left, it replaces the kept example of the smallest
 * impact (the last among equals) if its own is larger. */
rm_finding *rm_add_ranked(rm_report *r, int tid, int variant, int severity, size_t partition, int64_t offset,
                          int64_t impact);

/*
 * Count a finding of partition `partition` (severity, records involved, the
 * offsets it covers, its time `ts` or -1) into the incident `g` says; `f`
 * is the finding when it was kept (it remembers its group so rm_finish can
 * link it), else NULL. 0, or -1 when out of memory (the incident then
 * misses it; the finding itself is counted).
 */
int rm_group_finding(rm_report *r, const rm_group *g, size_t partition, int severity, int64_t ts, int64_t first_offset,
                     int64_t last_offset, int64_t records, rm_finding *f);

/* Append a field (the key must be a literal its type declares: report/types.c;
 * one the type marks RT_WORDS is for the words only). Ignored past
 * RM_MAX_FIELDS. */
void rm_field_int(rm_finding *f, const char *key, int64_t v);
void rm_field_bool(rm_finding *f, const char *key, bool v);
void rm_field_str(rm_finding *f, const char *key, const char *s);
/* A field whose value is unknown: JSON null. */
void rm_field_null(rm_finding *f, const char *key);

/* Add a note to partition `part` (printf-style, copied): something that is
 * not a finding, such as a file a live broker changed while we read it. */
void rm_partition_note(rm_report *r, size_t part, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Add to partition `part` the identity `spec` (with `option`, the words
 * that would use it) that was unique in each of `sampled` records. Out of
 * memory sets r->oom. */
void rm_partition_suggest(rm_report *r, size_t part, const char *spec, const char *option, int64_t sampled);

/* Count `findings` findings covering `records` records under `name` (a
 * literal) in partition `part`'s duplicate tally. */
void rm_tally_duplicates(rm_report *r, size_t part, const char *name, int64_t findings, int64_t records);

/* A new consumer group of partition `part` (its name copied), zeroed; NULL
 * when out of memory (r->oom). Its arrays are the caller's to fill with
 * malloc'ed memory the report then owns. */
rm_cgroup *rm_add_group(rm_report *r, const char *name, size_t part);

/* Record a fact about the audited data once (copied; duplicates ignored). */
void rm_add_meta(rm_report *r, const char *key, const char *value);

/* Record an option the report was made with (`name` a literal; `s`
 * copied, for RM_STR). 0, or -1 out of memory (r->oom). */
int rm_add_option(rm_report *r, const char *name, int kind, int64_t i, const char *s, bool given);

/* Add a usage warning (printf-style, copied): a filter or window that
 * matched nothing. 0, or -1 out of memory (r->oom). */
int rm_add_warning(rm_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The fingerprint of a finding (48 bits): XXH3 of its type, topic,
 * partition, its partition's copy (rm_partition.copy), offset, producer id
 * and epoch, and the fields its type marks RT_KEY (report/types.h), a file
 * by its name alone, the other copy of a replica finding by its broker id
 * (by its log directory's name when it has none). Never its place in the
 * list, its words, its severity or variant (an open transaction in
 * progress today is the same one hanging tomorrow), the run's time or the
 * paths given. */
uint64_t rm_fingerprint(const rm_report *r, const rm_finding *f);

/* Set f's id ("F" and the fingerprint's 12 hex digits) and, with a
 * baseline, its status (RM_BASE_NEW or RM_BASE_PRESENT). */
void rm_stamp(const rm_report *r, rm_finding *f);

/*
 * Move everything `src` holds about its partitions (a report of the same
 * max_examples that audited some partitions alone) into `dst`, after dst's
 * own partitions: partitions, counts, and findings while dst's per-type and
 * severity caps allow, in src's order. Merging the reports of partitions in
 * partition order gives exactly the report one sequential pass would have.
 * src is left empty. 0, or -1 when out of memory.
 */
int rm_merge(rm_report *dst, rm_report *src);

/* Sort findings (partition, offset, type, insertion) and give each its id
 * (rm_stamp);
 * join incidents of one kind and key whose times lie within their gap,
 * order them (severity, records, time) and number them I1..; link every
 * kept finding to its incident; write every finding's message and
 * explanation and every incident's summary (out of memory: r->oom). */
void rm_finish(rm_report *r);

/* Write every incident's summary (rm_finish does; incident_words.c). */
void rm_describe_incidents(rm_report *r);

/* The count of a finding type, or NULL when none was found. */
const rm_count *rm_count_of(const rm_report *r, const char *type);

/* Lookups for renderers. */
const rm_field *rm_find_field(const rm_finding *f, const char *key);
const char *rm_severity_name(int severity);
/* Highest severity with any finding, or -1 when there is none. */
int rm_worst(const rm_report *r);

#endif
