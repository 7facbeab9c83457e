/*
 * identity_facts.c - per topic, what its --identity covered (rm_identity of
 * its partitions summed): one line for the text, Markdown and HTML
 * reports, which escape it. The JSON carries each partition's own counts.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "render.h"

size_t rr_identity_lines(const rm_report *r, char (*lines)[600], size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < r->npartitions && n < max; i++) {
        const rm_partition *p = &r->partitions[i];
        if (!p->identity) continue;
        bool seen = false; /* an earlier partition of the topic said it */
        for (size_t j = 0; j < i && !seen; j++)
            seen = r->partitions[j].identity && strcmp(r->partitions[j].topic, p->topic) == 0;
        if (seen) continue;
        int64_t records = 0, missing = 0, by[RM_IDENTITY_REASONS] = { 0 };
        for (size_t j = i; j < r->npartitions; j++) {
            const rm_identity *x = r->partitions[j].identity;
            if (!x || strcmp(r->partitions[j].topic, p->topic) != 0) continue;
            records += x->records, missing += x->missing;
            for (int k = 0; k < RM_IDENTITY_REASONS; k++) by[k] += x->by_reason[k];
        }
        char why[300] = "";
        size_t at = 0;
        for (int k = 0; k < RM_IDENTITY_REASONS && p->identity->reason[k] && at < sizeof why; k++)
            if (by[k])
                at += (size_t)snprintf(why + at, sizeof why - at, "%s%" PRId64 " %s", at ? ", " : "", by[k],
                                       p->identity->reason[k]);
        int w = snprintf(lines[n], sizeof lines[n], "%s (%s): %" PRId64 " records checked by identity across its partitions",
                         p->topic, p->identity->spec, records);
        if (missing && w > 0 && (size_t)w < sizeof lines[n])
            snprintf(lines[n] + w, sizeof lines[n] - (size_t)w, "; %" PRId64 " without one (%s), checked by their bytes",
                     missing, why);
        n++;
    }
    return n;
}
