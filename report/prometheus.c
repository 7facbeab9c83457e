/* prometheus.c - the report as the Prometheus text format; see render.h.
 *
 * For monitoring: a cron job writes it into node_exporter's textfile
 * directory and alerts follow the gauges. Every metric is a gauge (each
 * run replaces the file: no counter survives it), each family once, with
 * HELP and TYPE, its samples together; the file ends in "# EOF", a comment
 * to the Prometheus format and the end OpenMetrics requires. Topic names
 * are label values, escaped by es_prom_label; two topics whose escaped
 * names are equal (one with a byte that is not UTF-8, one with its text
 * form) are one series, summed, since a scrape fails on a repeated series. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "render.h"

/* One series of kaudit_findings. */
typedef struct pm_series {
    const char *type;      /* a type's name, a literal */
    int severity;
    const char *topic;     /* the escaped label value (owned by the caller's array) */
    int64_t n;
} pm_series;

static int cmp_series(const void *a, const void *b)
{
    const pm_series *x = a, *y = b;
    int c = strcmp(x->type, y->type);
    if (c) return c;
    if (x->severity != y->severity) return x->severity > y->severity ? -1 : 1;
    return strcmp(x->topic, y->topic);
}

/* A partition's topic as a label value, malloc'ed; NULL out of memory. */
static char *label_of(const char *topic)
{
    char *s = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&s, &n);
    if (!m) return NULL;
    int rc = es_prom_label(topic, m);
    if (fclose(m) != 0 || rc != 0) {
        free(s);
        return NULL;
    }
    return s;
}

static void family(FILE *f, const char *name, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* kaudit_findings{type,severity,topic}: every finding counted, listed or
 * not (rm_partition.by_type). -1 out of memory. */
static int findings_by_topic(const rm_report *r, FILE *f)
{
    size_t cap = 0;
    for (size_t i = 0; i < r->npartitions; i++) cap += (size_t)r->partitions[i].nby_type * 3;
    pm_series *v = malloc((cap + 1) * sizeof *v);
    char **labels = calloc(r->npartitions + 1, sizeof *labels);
    int rc = v && labels ? 0 : -1;
    size_t n = 0;
    for (size_t i = 0; rc == 0 && i < r->npartitions; i++) {
        const rm_partition *p = &r->partitions[i];
        if (p->nby_type == 0) continue;
        if (!(labels[i] = label_of(p->topic))) {
            rc = -1;
            break;
        }
        for (int t = 0; t < p->nby_type; t++)
            for (int s = RM_ERROR; s >= RM_INFO; s--)
                if (p->by_type[t].by_severity[s] > 0)
                    v[n++] = (pm_series){ p->by_type[t].type, s, labels[i], p->by_type[t].by_severity[s] };
    }
    if (rc == 0) {
        qsort(v, n, sizeof *v, cmp_series);
        family(f, "kaudit_findings",
               "Findings of the audit by type, severity and topic: every finding counted, listed in the report or not.");
        for (size_t i = 0; i < n;) {
            pm_series s = v[i++];
            while (i < n && cmp_series(&s, &v[i]) == 0) s.n += v[i++].n;
            fprintf(f, "kaudit_findings{type=\"%s\",severity=\"%s\",topic=\"%s\"} %" PRId64 "\n", s.type,
                    rm_severity_name(s.severity), s.topic, s.n);
        }
    }
    for (size_t i = 0; labels && i < r->npartitions; i++) free(labels[i]);
    free(labels);
    free(v);
    return rc;
}

int rr_prometheus(const rm_report *r, FILE *f, const char *version)
{
    int64_t segments = 0, batches = 0, records = 0, bytes = 0;
    for (size_t i = 0; i < r->npartitions; i++) {
        const rm_partition *p = &r->partitions[i];
        segments += p->segments, batches += p->batches, records += p->records, bytes += p->bytes;
    }
    if (findings_by_topic(r, f) < 0) return -1;
    family(f, "kaudit_findings_by_severity", "Findings of the audit by severity (0 when none).");
    for (int s = RM_ERROR; s >= RM_INFO; s--)
        fprintf(f, "kaudit_findings_by_severity{severity=\"%s\"} %" PRId64 "\n", rm_severity_name(s), r->by_severity[s]);
    family(f, "kaudit_audited_partitions", "Partitions audited.");
    fprintf(f, "kaudit_audited_partitions %zu\n", r->npartitions);
    family(f, "kaudit_audited_segments", "Segments audited.");
    fprintf(f, "kaudit_audited_segments %" PRId64 "\n", segments);
    family(f, "kaudit_audited_batches", "Record batches audited.");
    fprintf(f, "kaudit_audited_batches %" PRId64 "\n", batches);
    family(f, "kaudit_audited_records", "Records audited.");
    fprintf(f, "kaudit_audited_records %" PRId64 "\n", records);
    family(f, "kaudit_audited_bytes", "Bytes of the segments audited.");
    fprintf(f, "kaudit_audited_bytes %" PRId64 "\n", bytes);
    if (r->duration_ms >= 0) {
        family(f, "kaudit_audit_duration_seconds", "How long the audit ran, from start to report.");
        fprintf(f, "kaudit_audit_duration_seconds %" PRId64 ".%03d\n", r->duration_ms / 1000, (int)(r->duration_ms % 1000));
    }
    /* Incomplete as kaudit's exit status 2 says it: an input not audited
     * or not checked to the end (each a problem), or memory that ran out. */
    family(f, "kaudit_incomplete", "1 when something could not be audited or checked to the end (exit status 2), else 0.");
    fprintf(f, "kaudit_incomplete %d\n", r->nproblems > 0 || r->oom);
    family(f, "kaudit_problems", "Inputs not audited or not checked to the end (the report's problems).");
    fprintf(f, "kaudit_problems %zu\n", r->nproblems);
    family(f, "kaudit_last_run_timestamp_seconds",
           "When the audit ran (its report's time: SOURCE_DATE_EPOCH when set), seconds since 1970.");
    fprintf(f, "kaudit_last_run_timestamp_seconds %" PRId64 "\n", r->generated_ms / 1000);
    family(f, "kaudit_build_info", "The version of kaudit that ran the audit.");
    fputs("kaudit_build_info{version=\"", f);
    es_prom_label(version, f);
    fputs("\"} 1\n# EOF\n", f);
    return ferror(f) ? -1 : 0;
}
