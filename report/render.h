/*
 * render.h - the report model as JSON or as a short text summary.
 *
 * Owns: nothing but the output it writes. JSON follows docs/report.md and
 * docs/report.schema.json (schema_version 2); text is for a terminal, HTML
 * for people (report/html.c), Markdown for tickets (report/markdown.c),
 * Prometheus' text format for monitoring (report/prometheus.c).
 * Knows nothing about Kafka's bytes: it prints what the model holds.
 */
#ifndef KAUDIT_REPORT_RENDER_H
#define KAUDIT_REPORT_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "model.h"

#define RR_SCHEMA_VERSION 2

/* Write the report as one JSON document (and a newline). 0, or -1 when
 * writing failed. `version` is kaudit's. */
int rr_json(const rm_report *r, FILE *f, const char *version);

/* Write a short human summary: verdict, counts, the first `per_type`
 * findings of each type (most severe first); with `color`, severities in
 * ANSI colours. 0, or -1 when writing failed. */
int rr_text(const rm_report *r, FILE *f, const char *version, int per_type, bool color);

/* Write one self-contained HTML page (inline CSS, SVG and script; no other
 * file or host). Everything from the log is escaped. 0, or -1 on failure. */
int rr_html(const rm_report *r, FILE *f, const char *version);

/* Write Markdown (GitHub's and GitLab's, GFM) for a ticket or pull
 * request: the verdict, the inputs not audited, incidents, repeated content,
 * counts by type and severity, the partitions with the most findings, and
 * the first `per_type` findings of each type (< 0: every one kept), the
 * most severe first; never more than 65,536 bytes (GitHub's limit on a
 * comment): past it fewer findings are listed, and a line says how many
 * were not and where every one is. 0, or -1 on failure. */
int rr_markdown(const rm_report *r, FILE *f, const char *version, int per_type);

/* Write the Prometheus text format (0.0.4, as node_exporter's textfile
 * collector reads it; also valid OpenMetrics, ending in "# EOF"): findings
 * by type, severity and topic, findings by severity, what was audited, the
 * audit's duration, the incomplete flag, the problems and the time of the
 * run, each with HELP and TYPE (docs/report.md, "Prometheus"). Label values
 * are escaped by es_prom_label. 0, or -1 on failure (out of memory, or a
 * write). */
int rr_prometheus(const rm_report *r, FILE *f, const char *version);

/* A topic's repetition, summed over its partitions (rm_repeats). */
typedef struct rr_topic_repeats {
    const char *topic;
    int64_t records, repeated, natural;
    size_t partitions, by_nature; /* partitions with repeats, and of them those repeating by nature */
    const char *rule;      /* the naming rule of the topic, or NULL */
} rr_topic_repeats;

/* The topics whose partitions repeat content, the most repeated records
 * first, into out (at most n of them); how many. */
size_t rr_repeat_topics(const rm_report *r, rr_topic_repeats *out, size_t n);

/* One line for people: "heartbeats: 99.7% of 14400 records repeat an
 * earlier key and value (...); content repeats by nature here: ...". */
void rr_repeat_line(const rr_topic_repeats *t, char *out, size_t cap);

/* A replica finding (replica_divergence, replica_behind) in plain words:
 * where the copies part, which tail Kafka truncates, what each side alone
 * holds and who could have read it (report/replica_words.c). */
void rr_replica_story(const rm_report *r, const rm_finding *f, char *out, size_t cap);

/* The text report's "Replicas:" paragraph: a story per replica finding
 * kept, at most `limit` of them; nothing when there is none. */
void rr_replica_text(const rm_report *r, FILE *f, size_t limit);

/* The kept findings of `type` and severity `sev`, the largest impact
 * first, then in report order, as indexes into r->findings written to idx
 * (room for r->nfindings); how many. */
size_t rr_ranked(const rm_report *r, const char *type, int sev, size_t *idx);

/* The options the report was made with that are not the defaults, as a
 * command line would give them ("--topics '^orders$' --since
 * 2024-05-01T00:00:00Z"), into out (cap bytes; "" when none). Unescaped:
 * each format escapes it. */
void rr_options_line(const rm_report *r, char *out, size_t cap);

/* The comparison with the baseline (rm_baseline_compare) in one sentence
 * ("against old.json of 2024-05-01T00:00:00Z: 1 new (1 warning), 3 still
 * present, 2 gone"), with what could not be compared; "" without one. */
void rr_baseline_line(const rm_report *r, char *out, size_t cap);

/* The verdict's first words when a filter or window matched nothing and
 * nothing was found: NULL otherwise. */
const char *rr_nothing_matched(const rm_report *r);

/* Per topic with an --identity (at most max, in partition order), a line
 * saying how many records were checked by identity and how many had none
 * and why (identity_facts.c). Returns how many lines. */
size_t rr_identity_lines(const rm_report *r, char (*lines)[600], size_t max);

/* Up to `max` lines, one per topic and suggested identity, in partition
 * order: the identity, the records and partitions sampled, the option to
 * use it. Returns how many; *more (when not NULL) gets how many further
 * lines there would be. */
size_t rr_suggestion_lines(const rm_report *r, char (*lines)[600], size_t max, size_t *more);

#endif
