/*
 * incident.h - the words of an incident.
 *
 * Owns: one sentence per incident of a finished report (report/model.h
 * groups the findings; the audit chose how, audit/duplicate.c for
 * duplicates, one incident per type and partition for the rest). Knows the
 * kinds the audit uses; no I/O.
 */
#ifndef KAUDIT_AUDIT_INCIDENT_H
#define KAUDIT_AUDIT_INCIDENT_H

#include "report/model.h"

/* Write every incident's summary, after rm_finish (and ka_describe_types,
 * whose titles it uses). Out of memory leaves a summary unset. */
void ka_describe_incidents(rm_report *r);

#endif
