/*
 * render.h - the report model as JSON or as a short text summary.
 *
 * Owns: nothing but the output it writes. JSON follows docs/report.md and
 * docs/report.schema.json (schema_version 1); text is for a terminal, HTML
 * for people (report/html.c), Markdown for tickets.
 * Knows nothing about Kafka's bytes: it prints what the model holds.
 */
#ifndef KAUDIT_REPORT_RENDER_H
#define KAUDIT_REPORT_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "model.h"

#define RR_SCHEMA_VERSION 1

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

/* Write Markdown for a ticket or pull request: the verdict, counts by type
 * and the first `per_type` findings of each type. 0, or -1 on failure. */
int rr_markdown(const rm_report *r, FILE *f, const char *version, int per_type);

#endif
