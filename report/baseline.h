/*
 * baseline.h - an earlier JSON report as the baseline of this one (kaudit
 * audit --baseline OLD.json): which of this report's findings are new,
 * which are still present, and which of the baseline's are gone.
 *
 * Owns: rm_baseline (report/model.h: its findings by fingerprint, and the
 * comparison's counts) and reading it with cJSON. Findings are matched by
 * id, which is their fingerprint (rm_fingerprint), so a finding is the same
 * whatever was listed around it. Reads the one file it is given; never
 * prints.
 *
 * What a report does not list cannot be compared: a report lists at most
 * --max-examples findings per type and severity and counts the rest. A
 * finding of this report not in the baseline's list is new (even when the
 * baseline counted findings of its type it did not list: said, never
 * assumed present); a finding of the baseline not in this report's list is
 * gone only where this report looked (its partition audited, its offset
 * within --offsets, no --since/--until window) and lists every finding of
 * its type and severity; else it is not compared.
 */
#ifndef KAUDIT_REPORT_BASELINE_H
#define KAUDIT_REPORT_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/*
 * Read the JSON report at `path` (a file or a pipe) as a baseline. NULL,
 * with one line for people in why[0..cap), when it cannot be read, is not
 * JSON, is not a kaudit report, or names its findings otherwise than by
 * fingerprint (a kaudit before them numbered them F1, F2, ...); or when
 * memory runs out. Free with rm_baseline_free.
 */
rm_baseline *rm_baseline_load(const char *path, char *why, size_t cap);

/* Free a baseline. Accepts NULL. */
void rm_baseline_free(rm_baseline *b);

/* The baseline's finding of fingerprint `fp`, or NULL. */
const rm_base_finding *rm_baseline_find(const rm_baseline *b, uint64_t fp);

/*
 * Compare finished report r (rm_finish) with its baseline r->baseline
 * (no-op without one): count its listed findings new and present, mark
 * each of the baseline's findings present, gone or not compared. Where r
 * looked: its partitions, offsets [off_lo, off_hi], and `windowed` when a
 * --since/--until window chose its findings by time (the baseline's
 * findings carry no time: none is then called gone). Reading a spilled
 * listing that fails sets r->oom.
 */
void rm_baseline_compare(rm_report *r, int64_t off_lo, int64_t off_hi, bool windowed);

/* "new", "present", "gone" or "not_compared" (RM_BASE_*), "" for RM_BASE_NONE. */
const char *rm_baseline_word(int state);

#endif
