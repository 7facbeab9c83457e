/* markdown.c - the report as Markdown for a ticket or a pull request; see
 * render.h. GitHub's and GitLab's Markdown (GFM): every block (paragraph,
 * list, table) stands between blank lines, so that a table never becomes
 * the text of a list's last item, and every table row ends with the
 * table's last cell. Text from the log is made inert by escape.h
 * (es_md_text in cells and lines, es_md_code for previews).
 *
 * The whole document stays within MD_MAX bytes, GitHub's limit on an issue
 * or comment (65,536 characters; a character is at least a byte). Each
 * section before the findings has a budget of its own and says how many of
 * its lines it left out; the findings take the rest, the most severe
 * first across types, and a closing line says how many were not listed and
 * where every one is. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "render.h"
#include "types.h"

#define MD_MAX 65536        /* the document, bytes */
#define MD_TRAILER 1024     /* held back for the closing line */
#define MD_MORE 192         /* held back per finding type for its "... and N more" row */
#define MD_PROBLEMS 8192    /* section budgets, bytes */
#define MD_INCIDENTS 12288
#define MD_REPEATS 6144
#define MD_RANKING 12288
#define MD_REPLICAS 8192
#define MD_ROWS 20          /* problems, incidents and partitions listed at most */

typedef struct md_doc {
    FILE *out;
    size_t len;             /* bytes written to out */
    FILE *rf;               /* the row being composed: a memory stream ... */
    char *row;              /* ... its bytes and length once closed */
    size_t rowlen;
    bool failed;            /* a memory stream could not be made */
} md_doc;

/* Write fixed text (bounded by the caller), counted. */
static void md_put(md_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void md_put(md_doc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(d->out, fmt, ap);
    va_end(ap);
    if (n > 0) d->len += (size_t)n;
}

/* Start a row (or a line): the stream to compose it in, NULL when out of
 * memory (d->failed). */
static FILE *row_open(md_doc *d)
{
    d->row = NULL;
    d->rowlen = 0;
    d->rf = open_memstream(&d->row, &d->rowlen);
    if (!d->rf) d->failed = true;
    return d->rf;
}

/* Close the row; the caller owns d->row (free) and d->rowlen is its
 * length. -1 when it could not be composed (d->failed). */
static int row_close(md_doc *d)
{
    int rc = fclose(d->rf);
    d->rf = NULL;
    if (rc == 0 && d->row) return 0;
    free(d->row);
    d->row = NULL;
    d->failed = true;
    return -1;
}

/* Close the row and write it when the document then ends at or before
 * `limit`: true; else it is dropped (false). */
static bool row_put(md_doc *d, size_t limit)
{
    if (row_close(d) < 0) return false;
    bool fits = d->len + d->rowlen <= limit;
    if (fits) {
        fwrite(d->row, 1, d->rowlen, d->out);
        d->len += d->rowlen;
    }
    free(d->row);
    d->row = NULL;
    return fits;
}

/* The inputs not audited, a list. */
static void md_problems(md_doc *d, const rm_report *r)
{
    size_t limit = d->len + MD_PROBLEMS, shown = 0;
    for (size_t i = 0; i < r->nproblems && shown < MD_ROWS; i++) {
        FILE *w = row_open(d);
        if (!w) return;
        fputs("- Not audited: ", w);
        es_md_text(r->problems[i], w);
        fputc('\n', w);
        if (!row_put(d, limit)) break;
        shown++;
    }
    if (shown < r->nproblems)
        md_put(d, "- ... and %zu more not audited (every one in the JSON report)\n", r->nproblems - shown);
    if (r->nproblems) md_put(d, "\n");
}

/* How the report was made: its options, the filters that matched nothing,
 * the baseline; a list (and a blank line, so no table joins it) with its
 * own bullet, '*': after the problems' '-' list and a blank line, items of
 * the same bullet would join that list and make it loose (CommonMark). */
static void md_run(md_doc *d, const rm_report *r)
{
    char line[2048];
    const char *what[3] = { "Options", "Warning", "Baseline" };
    size_t limit = d->len + MD_PROBLEMS, lines = 0;
    for (size_t i = 0; i < r->nwarnings + 2; i++) {
        int k = i == 0 ? 0 : i <= r->nwarnings ? 1 : 2;
        if (k == 0) rr_options_line(r, line, sizeof line);
        else if (k == 2) rr_baseline_line(r, line, sizeof line);
        const char *text = k == 1 ? r->warnings[i - 1] : line;
        if (!text[0]) continue;
        FILE *w = row_open(d);
        if (!w) return;
        fprintf(w, "* %s: ", what[k]);
        es_md_text(text, w);
        fputc('\n', w);
        lines += row_put(d, limit);
    }
    if (lines) md_put(d, "\n");
}

static void md_incidents(md_doc *d, const rm_report *r)
{
    if (r->nincidents == 0) return;
    md_put(d, "### Incidents\n\n| id | severity | what happened | findings | records |\n|---|---|---|---:|---:|\n");
    size_t limit = d->len + MD_INCIDENTS, shown = 0;
    for (size_t i = 0; i < r->nincidents && shown < MD_ROWS; i++) {
        const rm_incident *x = &r->incidents[i];
        FILE *w = row_open(d);
        if (!w) return;
        fprintf(w, "| %s | %s | ", x->id, rm_severity_name(x->severity));
        es_md_text(x->summary, w);
        fprintf(w, " | %" PRId64 " | %" PRId64 " |\n", x->findings, x->records);
        if (!row_put(d, limit)) break;
        shown++;
    }
    if (shown < r->nincidents) md_put(d, "| | | ... and %zu more incidents | | |\n", r->nincidents - shown);
    md_put(d, "\n");
}

/* Replica findings in words (render.h, rr_replica_story): a list. */
static void md_replicas(md_doc *d, const rm_report *r)
{
    size_t total = 0, shown = 0, limit = d->len + MD_REPLICAS;
    bool full = false; /* a story did not fit: none after it */
    for (size_t i = 0; i < r->nfindings; i++) {
        const rm_finding *x = &r->findings[i];
        if (x->tid != RT_REPLICA_DIVERGENCE && x->tid != RT_REPLICA_BEHIND) continue;
        if (total++ == 0) md_put(d, "### Replicas\n\n");
        if (full || shown == MD_ROWS) continue;
        char story[4096];
        rr_replica_story(r, x, story, sizeof story);
        FILE *w = row_open(d);
        if (!w) return;
        fputs("- ", w);
        es_md_text(story, w);
        fputc('\n', w);
        if (row_put(d, limit)) shown++;
        else full = true;
    }
    if (total > shown) md_put(d, "- ... and %zu more (the JSON and HTML reports list them)\n", total - shown);
    if (total) md_put(d, "\n");
}

/* A section of `n` lines as a bullet list under `heading` (its text is
 * ours: not escaped), within MD_REPEATS; `more` lines left out are said
 * with `where` they are. */
static void md_lines(md_doc *d, const char *heading, char (*lines)[600], size_t n, size_t more, const char *where)
{
    if (n == 0) return;
    md_put(d, "### %s\n\n", heading);
    size_t limit = d->len + MD_REPEATS;
    for (size_t i = 0; i < n; i++) {
        FILE *w = row_open(d);
        if (!w) return;
        fputs("- ", w);
        es_md_text(lines[i], w);
        fputc('\n', w);
        if (!row_put(d, limit)) break;
    }
    if (more) md_put(d, "- ... and %zu more (%s)\n", more, where);
    md_put(d, "\n");
}

static void md_identity(md_doc *d, const rm_report *r)
{
    char lines[10][600];
    md_lines(d, "Duplicates by identity", lines, rr_identity_lines(r, lines, 10), 0, NULL);
}

static void md_suggestions(md_doc *d, const rm_report *r)
{
    char lines[10][600];
    size_t more;
    size_t n = rr_suggestion_lines(r, lines, 10, &more);
    md_lines(d, "Identities to consider", lines, n, more, "the JSON report's identity_suggestions");
}

static void md_repeats(md_doc *d, const rm_report *r)
{
    rr_topic_repeats tr[10];
    size_t ntr = rr_repeat_topics(r, tr, 10);
    if (ntr == 0) return;
    md_put(d, "### Repeated content by topic\n\n");
    size_t limit = d->len + MD_REPEATS;
    for (size_t i = 0; i < ntr; i++) {
        char line[600];
        rr_repeat_line(&tr[i], line, sizeof line);
        FILE *w = row_open(d);
        if (!w) return;
        fputs("- ", w);
        es_md_text(line, w);
        fputc('\n', w);
        if (!row_put(d, limit)) break;
    }
    md_put(d, "\n");
}

/* Counts by type and severity: static names and numbers, bounded. */
static void md_counts(md_doc *d, const rm_report *r)
{
    md_put(d, "### Findings\n\n| finding | error | warning | info |\n|---|---:|---:|---:|\n");
    for (int i = 0; i < r->ncounts; i++)
        md_put(d, "| `%s` | %" PRId64 " | %" PRId64 " | %" PRId64 " |\n", r->counts[i].type,
               r->counts[i].by_severity[RM_ERROR], r->counts[i].by_severity[RM_WARNING],
               r->counts[i].by_severity[RM_INFO]);
    md_put(d, "\n");
}

/* A partition's findings by severity, for the ranking. */
typedef struct md_rank {
    size_t part;
    int64_t n[3];
} md_rank;

/* The most errors first, then warnings, then notes; then report order. */
static int cmp_rank(const void *a, const void *b)
{
    const md_rank *x = a, *y = b;
    for (int s = RM_ERROR; s >= RM_INFO; s--)
        if (x->n[s] != y->n[s]) return x->n[s] > y->n[s] ? -1 : 1;
    return x->part < y->part ? -1 : x->part > y->part;
}

/* Does another partition of the report have p's topic and number (copies
 * in several log directories)? Then the ranking names its folder too. */
static bool has_twin(const rm_report *r, size_t pi)
{
    const rm_partition *p = &r->partitions[pi];
    for (size_t k = 0; k < r->npartitions; k++)
        if (k != pi && r->partitions[k].partition == p->partition && strcmp(r->partitions[k].topic, p->topic) == 0)
            return true;
    return false;
}

/* The partitions with the most findings, every finding counted (listed or
 * not: rm_partition.by_type). */
static void md_ranking(md_doc *d, const rm_report *r)
{
    md_rank *v = malloc((r->npartitions + 1) * sizeof *v);
    if (!v) {
        d->failed = true;
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < r->npartitions; i++) {
        const rm_partition *p = &r->partitions[i];
        md_rank k = { i, { 0, 0, 0 } };
        for (int t = 0; t < p->nby_type; t++)
            for (int s = 0; s < 3; s++) k.n[s] += p->by_type[t].by_severity[s];
        if (k.n[RM_ERROR] + k.n[RM_WARNING] + k.n[RM_INFO] > 0) v[n++] = k;
    }
    qsort(v, n, sizeof *v, cmp_rank);
    if (n) md_put(d, "### Partitions with the most findings\n\n| partition | error | warning | info | findings |\n"
                     "|---|---:|---:|---:|---:|\n");
    size_t limit = d->len + MD_RANKING, shown = 0;
    for (size_t i = 0; i < n && shown < MD_ROWS; i++) {
        const rm_partition *p = &r->partitions[v[i].part];
        FILE *w = row_open(d);
        if (!w) break;
        fputs("| ", w);
        es_md_text(p->topic, w);
        fprintf(w, "-%d", p->partition);
        if (has_twin(r, v[i].part)) fputs(" (", w), es_md_text(p->path, w), fputc(')', w);
        fprintf(w, " | %" PRId64 " | %" PRId64 " | %" PRId64 " | %" PRId64 " |\n", v[i].n[RM_ERROR],
                v[i].n[RM_WARNING], v[i].n[RM_INFO], v[i].n[RM_ERROR] + v[i].n[RM_WARNING] + v[i].n[RM_INFO]);
        if (!row_put(d, limit)) break;
        shown++;
    }
    if (shown < n) md_put(d, "| ... and %zu more partitions with findings | | | | |\n", n - shown);
    if (n) md_put(d, "\n");
    free(v);
}

/* One finding as a row of the findings table. */
static void finding_row(FILE *w, const rm_report *r, const rm_finding *x)
{
    const rm_partition *p = &r->partitions[x->partition];
    fprintf(w, "| %s%s | %s | ", x->id, x->baseline == RM_BASE_NEW ? " (new)" : "", rm_severity_name(x->severity));
    es_md_text(p->topic, w);
    fprintf(w, "-%d | %" PRId64 " | ", p->partition, x->offset);
    if (x->producer_id >= 0) fprintf(w, "%" PRId64, x->producer_id);
    fputs(" | ", w);
    es_md_text(x->message, w);
    const rm_field *k = rm_find_field(x, "key_preview"), *v = rm_find_field(x, "value_preview");
    if (k && v) {
        fputs(" key ", w);
        es_md_code(k->s, w);
        fputs(" value ", w);
        es_md_code(v->s, w);
    }
    /* A command line to run next (RT_COMMAND: a hanging transaction's
     * abort_command), as code to copy. */
    for (int i = 0; i < x->nfields; i++) {
        const rm_field *fd = &x->fields[i];
        const rt_field *spec = rt_field_of(x->tid, fd->key);
        if (!spec || !(spec->flags & RT_COMMAND) || fd->kind != RM_STR || !fd->s) continue;
        fputc(' ', w);
        for (const char *c = fd->key; *c; c++) fputc(*c == '_' ? ' ' : *c, w);
        fputs(": ", w);
        es_md_code(fd->s, w);
    }
    fputs(" |\n", w);
}

/*
 * The findings table: up to `per_type` of each type (< 0: all kept), the
 * most severe first, the largest first within a severity. Rows are taken
 * errors first across every type, then warnings, then notes, round-robin
 * over the types, until one does not fit; each type's taken rows are then
 * shown together, followed by how many of it are not. Returns the number of
 * findings listed; *capped is set when the size stopped the listing.
 */
static int64_t md_findings(md_doc *d, const rm_report *r, int per_type, bool *capped)
{
    int nt = r->ncounts;
    size_t nf = r->nfindings;
    size_t *order = malloc((nf + 1) * sizeof *order), *scratch = malloc((nf + 1) * sizeof *scratch);
    char **rows = calloc(nf + 1, sizeof *rows);
    size_t *lens = calloc(nf + 1, sizeof *lens);
    size_t start[RM_MAX_TYPES][3], count[RM_MAX_TYPES][3], taken[RM_MAX_TYPES][3];
    int64_t listed = 0;
    if (!order || !scratch || !rows || !lens) {
        d->failed = true;
        goto done;
    }
    /* Each type's candidates: per severity, ranked, at most per_type in all. */
    size_t at = 0;
    for (int t = 0; t < nt; t++) {
        size_t left = per_type < 0 ? nf : (size_t)per_type;
        for (int s = RM_ERROR; s >= RM_INFO; s--) {
            size_t n = rr_ranked(r, r->counts[t].type, s, scratch);
            if (n > left) n = left;
            memcpy(order + at, scratch, n * sizeof *order);
            start[t][s] = at, count[t][s] = n, taken[t][s] = 0;
            at += n, left -= n;
        }
    }
    md_put(d, "### Listed findings\n\n| id | severity | partition | offset | producer | finding |\n"
              "|---|---|---|---:|---:|---|\n");
    /* Room: what is left but the closing line and a "more" row per type. */
    size_t reserve = MD_TRAILER + (size_t)nt * MD_MORE;
    size_t limit = MD_MAX > d->len + reserve ? MD_MAX - reserve : d->len, used = d->len;
    bool full = false, any = true;
    for (int s = RM_ERROR; s >= RM_INFO && !full; s--, any = true)
        for (size_t j = 0; any && !full; j++) {
            any = false;
            for (int t = 0; t < nt && !full; t++) {
                if (j >= count[t][s]) continue;
                any = true;
                size_t k = start[t][s] + j;
                if (!row_open(d)) goto done;
                finding_row(d->rf, r, &r->findings[order[k]]);
                if (row_close(d) < 0) goto done;
                full = used + d->rowlen > limit;
                if (full) {
                    free(d->row);
                    d->row = NULL;
                    break;
                }
                rows[k] = d->row, lens[k] = d->rowlen;
                d->row = NULL;
                used += lens[k];
                taken[t][s]++;
            }
        }
    *capped = full;
    for (int t = 0; t < nt; t++) {
        int64_t shown = 0;
        for (int s = RM_ERROR; s >= RM_INFO; s--)
            for (size_t j = 0; j < taken[t][s]; j++) {
                size_t k = start[t][s] + j;
                fwrite(rows[k], 1, lens[k], d->out);
                d->len += lens[k];
                shown++;
            }
        if (r->counts[t].total > shown)
            md_put(d, "| | | | | | ... and %" PRId64 " more `%s` |\n", r->counts[t].total - shown, r->counts[t].type);
        listed += shown;
    }
    md_put(d, "\n");
done:
    for (size_t k = 0; rows && k < nf; k++) free(rows[k]);
    free(rows);
    free(lens);
    free(order);
    free(scratch);
    return listed;
}

int rr_markdown(const rm_report *r, FILE *f, const char *version, int per_type)
{
    md_doc d = { .out = f };
    int64_t e = r->by_severity[RM_ERROR], w = r->by_severity[RM_WARNING], in = r->by_severity[RM_INFO];
    int64_t rec = 0, bat = 0;
    for (size_t i = 0; i < r->npartitions; i++) rec += r->partitions[i].records, bat += r->partitions[i].batches;
    md_put(&d, "## Kafka log audit\n\n");
    if (rr_nothing_matched(r))
        md_put(&d, "**Nothing matched:** the paths, filters and window given select nothing in the data");
    else if (e + w == 0 && r->nproblems)
        md_put(&d, "**Incomplete:** no delivery or integrity problem in what could be checked (%zu input%s not "
                   "audited or not fully checked)", r->nproblems, r->nproblems == 1 ? "" : "s");
    else if (e + w == 0) md_put(&d, "**Clean:** no delivery or integrity problem");
    else md_put(&d, "**%" PRId64 " error%s and %" PRId64 " warning%s**", e, e == 1 ? "" : "s", w, w == 1 ? "" : "s");
    if (in) md_put(&d, " (%" PRId64 " informational note%s)", in, in == 1 ? "" : "s");
    /* The version and the time are kaudit's own: short, no escaping needed. */
    md_put(&d, " in %zu partition%s, %" PRId64 " batches, %" PRId64 " records (kaudit %.40s, %.40s).\n\n",
           r->npartitions, r->npartitions == 1 ? "" : "s", bat, rec, version, r->generated_at);
    md_problems(&d, r);
    md_run(&d, r);
    if (!r->ncounts) {
        /* Clean: what the identities covered, and those to consider, still said. */
        md_identity(&d, r);
        md_suggestions(&d, r);
    } else {
        md_incidents(&d, r);
        md_replicas(&d, r);
        md_identity(&d, r);
        md_suggestions(&d, r);
        md_repeats(&d, r);
        md_counts(&d, r);
        md_ranking(&d, r);
        int64_t total = e + w + in;
        bool capped = false;
        int64_t listed = md_findings(&d, r, per_type, &capped);
        if (listed < total)
            md_put(&d, "Listed %" PRId64 " of %" PRId64 " findings (%" PRId64 " left out%s); every finding is in the "
                       "JSON report (`kaudit audit --format json --max-examples -1`) and the HTML report "
                       "(`--format html`).\n",
                   listed, total, total - listed,
                   capped ? ": this report stops at the 65,536 characters of a GitHub comment" : "");
    }
    return d.failed || ferror(f) ? -1 : 0;
}
