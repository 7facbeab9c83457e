/* markdown.c - the report as Markdown for a ticket or a pull request; see
 * render.h. Text from the log is made inert: table cells escape '|', and
 * previews sit in code spans sized to outlast the backticks they contain.
 * Controls and bytes that are not UTF-8 are first written as \xNN
 * (escape.h), so nothing from the log reaches the page raw. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "render.h"

/* Plain text in a Markdown table cell or line: the text form of escape.h
 * (its \xNN written as \\xNN, Markdown's literal backslash), then
 * Markdown's own characters escaped. */
static void md_text(FILE *f, const char *s)
{
    const uint8_t *p = (const uint8_t *)s;
    for (size_t n = s ? strlen(s) : 0, i = 0, len; i < n; i += len) {
        uint32_t cp;
        if (es_unit(p + i, n - i, &len, &cp) != ES_PLAIN) {
            for (size_t j = 0; j < len; j++) fprintf(f, "\\\\x%02x", p[i + j]);
            continue;
        }
        char c = s[i];
        if (c == '|' || c == '\\' || c == '*' || c == '_' || c == '`' || c == '<' || c == '>' || c == '[' || c == ']')
            fputc('\\', f);
        fwrite(s + i, 1, len, f);
    }
}

/* A code span that survives backticks inside it. */
static void md_code(FILE *f, const char *s)
{
    int run = 0, longest = 0;
    for (const char *p = s; p && *p; p++) {
        run = *p == '`' ? run + 1 : 0;
        if (run > longest) longest = run;
    }
    for (int i = 0; i <= longest; i++) fputc('`', f);
    fputc(' ', f);
    /* A code span shows a backslash as it is: escape.h's text form, with
     * '|' (which would end the cell even here) as '/'. */
    const uint8_t *u = (const uint8_t *)s;
    for (size_t n = s ? strlen(s) : 0, i = 0, len; i < n; i += len) {
        uint32_t cp;
        if (es_unit(u + i, n - i, &len, &cp) != ES_PLAIN) es_fwrite(u + i, len, f);
        else if (s[i] == '|') fputc('/', f);
        else fwrite(s + i, 1, len, f);
    }
    fputc(' ', f);
    for (int i = 0; i <= longest; i++) fputc('`', f);
}

int rr_markdown(const rm_report *r, FILE *f, const char *version, int per_type)
{
    int64_t e = r->by_severity[RM_ERROR], w = r->by_severity[RM_WARNING], in = r->by_severity[RM_INFO];
    int64_t rec = 0, bat = 0;
    for (size_t i = 0; i < r->npartitions; i++) rec += r->partitions[i].records, bat += r->partitions[i].batches;
    fputs("## Kafka log audit\n\n", f);
    if (e + w == 0 && r->nproblems)
        fprintf(f, "**Incomplete:** no delivery or integrity problem in what could be checked (%zu input%s not "
                   "audited or not fully checked)", r->nproblems, r->nproblems == 1 ? "" : "s");
    else if (e + w == 0) fprintf(f, "**Clean:** no delivery or integrity problem");
    else fprintf(f, "**%" PRId64 " error%s and %" PRId64 " warning%s**", e, e == 1 ? "" : "s", w, w == 1 ? "" : "s");
    if (in) fprintf(f, " (%" PRId64 " informational note%s)", in, in == 1 ? "" : "s");
    fprintf(f, " in %zu partition%s, %" PRId64 " batches, %" PRId64 " records (kaudit %s, %s).\n\n", r->npartitions,
            r->npartitions == 1 ? "" : "s", bat, rec, version, r->generated_at);
    for (size_t i = 0; i < r->nproblems; i++) {
        fputs("- Not audited: ", f);
        md_text(f, r->problems[i]);
        fputc('\n', f);
    }
    if (r->nproblems) fputc('\n', f); /* a table right after a list would render inside its last item */
    if (r->ncounts == 0) return ferror(f) ? -1 : 0;
    if (r->nincidents) fputs("### Incidents\n\n| id | severity | what happened | findings | records |\n|---|---|---|---:|---:|\n", f);
    for (size_t i = 0; i < r->nincidents && i < 20; i++) {
        const rm_incident *x = &r->incidents[i];
        fprintf(f, "| %s | %s | ", x->id, rm_severity_name(x->severity));
        md_text(f, x->summary ? x->summary : "");
        fprintf(f, " | %" PRId64 " | %" PRId64 " |\n", x->findings, x->records);
    }
    if (r->nincidents > 20) fprintf(f, "| | | ... and %zu more incidents | | |\n", r->nincidents - 20);
    if (r->nincidents) fputc('\n', f);
    rr_topic_repeats tr[10];
    size_t ntr = rr_repeat_topics(r, tr, 10);
    if (ntr) fputs("### Repeated content by topic\n\n", f);
    for (size_t i = 0; i < ntr; i++) {
        char line[600];
        rr_repeat_line(&tr[i], line, sizeof line);
        fputs("- ", f);
        md_text(f, line);
        fputc('\n', f);
    }
    if (ntr) fputs("\n### Findings\n\n", f);
    fputs("| finding | error | warning | info |\n|---|---:|---:|---:|\n", f);
    for (int i = 0; i < r->ncounts; i++)
        fprintf(f, "| `%s` | %" PRId64 " | %" PRId64 " | %" PRId64 " |\n", r->counts[i].type,
                r->counts[i].by_severity[RM_ERROR], r->counts[i].by_severity[RM_WARNING], r->counts[i].by_severity[RM_INFO]);
    fputs("\n| id | severity | partition | offset | producer | finding |\n|---|---|---|---:|---:|---|\n", f);
    size_t *idx = r->nfindings ? malloc(r->nfindings * sizeof *idx) : NULL;
    for (int t = 0; t < r->ncounts; t++) {
        int shown = 0;
        /* The most severe first, the largest (records involved) first. */
        for (int s = RM_ERROR; s >= RM_INFO && idx; s--) {
            size_t n = rr_ranked(r, r->counts[t].type, s, idx);
            for (size_t j = 0; j < n && shown < per_type; j++) {
                const rm_finding *x = &r->findings[idx[j]];
                const rm_partition *p = &r->partitions[x->partition];
                fprintf(f, "| %s | %s | ", x->id, rm_severity_name(x->severity));
                md_text(f, p->topic);
                fprintf(f, "-%d | %" PRId64 " | ", p->partition, x->offset);
                if (x->producer_id >= 0) fprintf(f, "%" PRId64, x->producer_id);
                fputs(" | ", f);
                md_text(f, x->message);
                const rm_field *k = rm_find_field(x, "key_preview"), *v = rm_find_field(x, "value_preview");
                if (k && v) {
                    fputs(" key ", f);
                    md_code(f, k->s);
                    fputs(" value ", f);
                    md_code(f, v->s);
                }
                fputs(" |\n", f);
                shown++;
            }
        }
        if (r->counts[t].total > shown)
            fprintf(f, "| | | | | | ... and %" PRId64 " more `%s` |\n", r->counts[t].total - shown, r->counts[t].type);
    }
    free(idx);
    return ferror(f) ? -1 : 0;
}
