/*
 * listing.h - the list of every finding a report lists, in memory or, past
 * the report's memory share, spilled to a scratch file the engine owns;
 * and the iterator that reads it back in report order.
 *
 * Owns: the spill's record format (a finding as bytes, its strings
 * inline), the runs of a report (each sorted in report order: partition,
 * offset, type, insertion), and rm_iter. Does no file I/O of its own: the
 * engine's rm_spill callbacks write and read the bytes.
 *
 * A report that keeps every finding (--max-examples -1) and has a spill
 * (rm_set_spill) writes what it holds as one sorted run whenever its
 * findings pass the share, and keeps in memory only the best examples of
 * each type and severity (RM_SPILLED_EXAMPLES, ranked as --max-examples
 * ranks them) for the renderers that show examples. The renderers that
 * list every finding (the JSON report, the HTML table and timelines) read
 * them through rm_iter, which merges the runs. A report whose findings fit
 * never spills, and rm_iter then walks its array.
 */
#ifndef KAUDIT_REPORT_LISTING_H
#define KAUDIT_REPORT_LISTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* Examples kept in memory per type and severity once a report spilled. */
#define RM_SPILLED_EXAMPLES 100

/*
 * Give report r a spill for the findings it lists past `budget` bytes of
 * them in memory. Only a report that keeps every finding uses it (a capped
 * one is bounded by its caps). `s` must outlive the report.
 */
void rm_set_spill(rm_report *r, const rm_spill *s, size_t budget);

/* Write the findings r holds that are not yet spilled, now (a finished
 * part of a report waiting to be merged). No-op without a spill or when
 * r keeps examples only. 0, or -1 when the spill failed (r->oom). */
int rm_spill_now(rm_report *r);

/* Has r written findings to its spill (so that rm_iter, not r->findings,
 * lists them all)? */
bool rm_spilled(const rm_report *r);

/* Every finding of a finished report (rm_finish), in report order: each
 * with its id, incident and, when `words`, its message and explanation. */
typedef struct rm_iter rm_iter;

/* NULL when out of memory. */
rm_iter *rm_iter_open(const rm_report *r, bool words);

/* The next finding, valid until the next call; NULL at the end or on a
 * failure (rm_iter_failed). */
const rm_finding *rm_iter_next(rm_iter *it);

/* Did reading the spill or writing words fail (the list is then short)? */
bool rm_iter_failed(const rm_iter *it);

/* Accepts NULL. */
void rm_iter_close(rm_iter *it);

/* ---- for model.c ---------------------------------------------------------- */

/* Account for the findings added since the last call; spill and keep the
 * examples when past the budget. Call before adding a finding (the ones
 * held are then complete). */
void rm_listing_check(rm_report *r);

/* rm_finish's part: write what is left, keep the examples, and give each
 * example its id (r's findings and incidents are otherwise finished by
 * model.c). */
void rm_listing_finish(rm_report *r);

/* rm_merge's part, before src's findings are placed in dst: move src's
 * runs to dst after dst's own (partitions shifted by `part_base`, seqs by
 * `seq_base`). 0, or -1 when out of memory or the spill failed. */
int rm_listing_merge(rm_report *dst, rm_report *src, size_t part_base, uint64_t seq_base);

/* Free a report's runs (rm_free). */
void rm_listing_free(rm_report *r);

/* model.c's, for listing.c: the report's order of findings (partition,
 * offset, type, insertion); the order of examples (is a better than b);
 * the finished incidents by kind, key and time, and the one of a grouped
 * finding among them (NULL when none). */
int rm_cmp_findings(const rm_finding *a, const rm_finding *b);
bool rm_better(const rm_finding *a, const rm_finding *b);
rm_incident **rm_incidents_by_time(const rm_report *r);
const rm_incident *rm_incident_lookup(rm_incident *const *by_time, size_t n, const rm_finding *f);
void rm_finding_free(rm_finding *f);

#endif
