/*
 * types.h - the finding types: one table (types.c) says, for each, its
 * name, the severities it may have, the fields it carries, its title and
 * summary, and the words of its messages and explanations.
 *
 * The audit fills findings as data (report/model.h: a type, a variant, a
 * severity, where, and named fields); report/ turns them into words with
 * this table (rt_words) and into every output. docs/report.md and
 * docs/report.schema.json describe the same types, and tests/test_types.c
 * checks them against this table, so a new type or a renamed field cannot
 * drift apart.
 *
 * A message is a template: "{name}" is replaced by the finding's field of
 * that name, or by its offset, producer_id or producer_epoch. A field marked
 * RT_WORDS is for the words only and never rendered as a field.
 */
#ifndef KAUDIT_REPORT_TYPES_H
#define KAUDIT_REPORT_TYPES_H

#include <stdbool.h>
#include <stddef.h>

/* Every finding type, in the order reports describe them. */
typedef enum rt_id {
    RT_DUPLICATE,
    RT_SEQUENCE_GAP,
    RT_SEQUENCE_REGRESSION,
    RT_EPOCH_REGRESSION,
    RT_EPOCH_SEQUENCE_NOT_RESET,
    RT_COORDINATOR_EPOCH_REGRESSION,
    RT_NON_TRANSACTIONAL_IN_TRANSACTION,
    RT_OPEN_TRANSACTION,
    RT_ORPHAN_MARKER,
    RT_TXN_INDEX_MISMATCH,
    RT_INDEX_MISMATCH,
    RT_SNAPSHOT_MISMATCH,
    RT_LEADER_EPOCH_REGRESSION,
    RT_LEADER_EPOCH_CHECKPOINT_MISMATCH,
    RT_OFFSET_REGRESSION,
    RT_CORRUPT_BATCH,
    RT_TRUNCATED_BATCH,
    RT_RECORD_COUNT_MISMATCH,
    RT_CORRUPT_FILE,
    RT_TIMESTAMP_ANOMALY,
    RT_CONSUMER_OFFSET_REGRESSION,
    RT_CONSUMER_OFFSET_OUT_OF_RANGE,
    RT_REPLICA_DIVERGENCE,
    RT_REPLICA_BEHIND,
    RT_IDENTITY_DUPLICATE,
    RT_IDENTITY_COLLISION,
    RT_COUNT
} rt_id;

/* The variants of the types that read in more than one way. */
enum { RTV_EPOCH_DATA, RTV_EPOCH_MARKER };                     /* epoch_regression */
enum { RTV_SEQUENCE_BACK, RTV_SEQUENCE_REUSED };               /* sequence_regression */
enum { RTV_TXN_HANGING, RTV_TXN_IN_PROGRESS };                 /* open_transaction */
enum { RTV_CHECKPOINT_DIFFERS, RTV_CHECKPOINT_MISSING };        /* leader_epoch_checkpoint_mismatch */
enum { RTV_CORRUPT_ENTRY, RTV_CORRUPT_RECORDS, RTV_CORRUPT_CONTROL, RTV_CORRUPT_NOT_MARKER }; /* corrupt_batch */
enum { RTV_TRUNCATED_PARTIAL, RTV_TRUNCATED_ZEROS };            /* truncated_batch */
enum { RTV_COUNT_HEADER, RTV_COUNT_RECORDS };                  /* record_count_mismatch */
enum { RTV_FILE_SNAPSHOT, RTV_FILE_LEADER_EPOCH, RTV_FILE_LEADER_EPOCH_ORDER, RTV_FILE_LOG_START,
       RTV_FILE_INDEX };                                       /* corrupt_file */
enum { RTV_CONSUMER_EMPTY, RTV_CONSUMER_REBALANCE, RTV_CONSUMER_SEEK }; /* consumer_offset_regression */
enum { RTV_CONSUMER_BELOW, RTV_CONSUMER_ABOVE };                /* consumer_offset_out_of_range */

/* The explanations of a duplicate (its words choose one from its fields,
 * report/duplicate_words.c): why the class, or why it is only context. */
enum {
    RTX_DUP_RETRY, RTX_DUP_SAME_BATCH_UNTIMED, RTX_DUP_BYPASSED, RTX_DUP_RESTART_EPOCH, RTX_DUP_RESTART,
    RTX_DUP_RESEND, RTX_DUP_RESEND_SESSION, RTX_DUP_RULE, RTX_DUP_WINDOW, RTX_DUP_RECURRING, RTX_DUP_PROFILE,
    RTX_DUP_COINCIDENCE, RTX_DUP_CONTEXT, RTX_DUPLICATE_COUNT
};

/* How a field of a type is carried. */
enum {
    RT_ALWAYS = 1,   /* every finding of the type has it (the schema requires it) */
    RT_WORDS = 2,    /* for the message only: never rendered as a field */
    RT_KEY = 4,      /* tells the finding apart from others of its type at the same offset: part of
                      * its fingerprint (model.h, rm_fingerprint), with its type, topic, partition,
                      * broker, offset and producer; a path counts by its last name only */
    RT_COMMAND = 8   /* a command line to run next: the text and Markdown reports show it beside the
                      * finding's message (HTML and JSON show every field) */
};

typedef struct rt_field {
    const char *name;
    int kind;        /* RM_INT, RM_STR or RM_BOOL (report/model.h); RM_INT fields may also be null */
    int flags;       /* RT_ALWAYS, RT_WORDS; 0: sometimes present */
} rt_field;

/* One way a finding of the type reads. */
typedef struct rt_variant {
    const char *message;     /* a template (above) */
    const char *explanation; /* plain words */
    const char *key;         /* names the explanation (rt_explanation): "open_transaction.hanging"; NULL: the
                              * type's name (a type of one explanation, or variants whose words are the same) */
} rt_variant;

/* Words every finding of one kind shares: one of its type's explanations,
 * written once per report (the JSON's `explanations`, the HTML's type
 * sections) and referred to from each finding by its key. */
typedef struct rt_explanation {
    const char *key;         /* unique among all types' ("duplicate.producer_restart"): a literal */
    const char *text;        /* plain words: a literal */
} rt_explanation;

struct rm_finding;

typedef struct rt_type {
    const char *name;        /* as reports and the schema write it */
    const char *title;       /* a heading for people */
    const char *summary;     /* what the type means, in a paragraph */
    unsigned severities;     /* bit 1 << RM_INFO, RM_WARNING, RM_ERROR: those it may have */
    const rt_field *fields;  /* ended by a NULL name */
    const rt_variant *variants;
    int nvariants;
    /* The message of a type that templates cannot say (NULL: the variants'):
     * malloc'ed into *message. Returns 0, or -1 when out of memory. */
    int (*words)(const struct rm_finding *f, char **message);
    /* The explanations of a type whose variants do not carry them (NULL:
     * the variants'), and which one a finding reads (*k) with its own words
     * after it (malloc'ed into *detail when detail is not NULL; NULL when
     * none). explain returns 0, or -1 when out of memory. */
    const rt_explanation *explanations;
    int nexplanations;
    int (*explain)(const struct rm_finding *f, int *k, char **detail);
} rt_type;

/* The type of an id (0 <= id < RT_COUNT). */
const rt_type *rt_type_of(int id);

/* The id of a type name, or -1. */
int rt_find(const char *name);

/* A field of type `id` by name, or NULL when the type has no such field. */
const rt_field *rt_field_of(int id, const char *name);

/*
 * The message and explanation of a finding (malloc'ed, the caller frees
 * them), from its type's words and its fields: the explanation is the text
 * of the one it reads (rt_explain), then a space and its own words when it
 * has any. 0, or -1 when out of memory (both NULL then).
 */
int rt_words(const struct rm_finding *f, char **message, char **explanation);

/* How many explanations findings of type `id` may read (at most
 * RT_MAX_EXPLANATIONS), and the k-th (0 <= k < that). Two of one type may
 * share a key, and then their text: variants that read the same. */
#define RT_MAX_EXPLANATIONS 16
int rt_explanation_count(int id);
rt_explanation rt_explanation_of(int id, int k);

/*
 * Which of its type's explanations finding f reads (*k) and, when detail is
 * not NULL, the words that are its own (malloc'ed into *detail; NULL when it
 * has none: most types). 0, or -1 when out of memory (*detail NULL then).
 */
int rt_explain(const struct rm_finding *f, int *k, char **detail);

/*
 * Expand a message template with a finding's fields into a new string.
 * An unknown name expands to "?" (tests/test_types.c checks every template
 * names only fields of its type). NULL when out of memory.
 */
char *rt_expand(const char *tmpl, const struct rm_finding *f);

#endif
