/* render.c - see render.h. */
#include "render.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "escape.h"
#include "jsonw.h"
#include "listing.h"
#include "types.h"

static void json_fields(jw *w, const rm_finding *x)
{
    for (int i = 0; i < x->nfields; i++) {
        const rm_field *fd = &x->fields[i];
        if (fd->words_only) continue;
        jw_key(w, fd->key);
        if (fd->kind == RM_STR) jw_str(w, fd->s ? fd->s : "");
        else if (fd->kind == RM_BOOL) jw_bool(w, fd->i != 0);
        else if (fd->kind == RM_NULL) jw_null(w);
        else jw_int(w, fd->i);
    }
}

static void json_group(jw *w, const rm_report *r, const rm_cgroup *g)
{
    const rm_partition *p = &r->partitions[g->partition];
    jw_obj_begin(w);
    jw_kstr(w, "group", g->name);
    jw_kstr(w, "topic", p->topic);
    jw_kint(w, "partition", p->partition);
    jw_kstr(w, "path", p->path);
    jw_kbool(w, "deleted", g->deleted);
    jw_kint(w, "commits", g->commits);
    jw_kint(w, "regressions", g->regressions);
    jw_kint(w, "generations_seen", g->gens_total);
    jw_key(w, "generations");
    jw_arr_begin(w);
    for (size_t k = 0; k < g->ngens; k++) {
        const rm_generation *x = &g->gens[k];
        jw_obj_begin(w);
        jw_kint(w, "generation", x->generation);
        jw_kint(w, "timestamp", x->timestamp);
        jw_kint(w, "members", x->members);
        jw_kint(w, "joined", x->joined);
        jw_kint(w, "left", x->left);
        jw_kint(w, "offset", x->offset);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_key(w, "committed");
    jw_arr_begin(w);
    for (size_t k = 0; k < g->npos; k++) {
        const rm_position *q = &g->pos[k];
        jw_obj_begin(w);
        jw_kstr(w, "topic", q->topic);
        jw_kint(w, "partition", q->partition);
        jw_kint(w, "offset", q->offset);
        if (q->commit_timestamp >= 0) jw_kint(w, "commit_timestamp", q->commit_timestamp);
        else {
            jw_key(w, "commit_timestamp");
            jw_null(w);
        }
        jw_kint(w, "record_offset", q->record_offset);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
}

static void json_partition(jw *w, const rm_partition *p)
{
    jw_obj_begin(w);
    jw_kstr(w, "topic", p->topic);
    jw_kint(w, "partition", p->partition);
    jw_kstr(w, "path", p->path);
    jw_kint(w, "log_start_offset", p->log_start_offset);
    jw_kint(w, "log_end_offset", p->log_end_offset);
    jw_kint(w, "segments", p->segments);
    jw_kint(w, "batches", p->batches);
    jw_kint(w, "records", p->records);
    jw_kint(w, "control_records", p->control_records);
    jw_kint(w, "bytes", p->bytes);
    jw_key(w, "producers");
    jw_arr_begin(w);
    for (size_t i = 0; i < p->nproducers; i++) {
        const rm_producer *y = &p->producers[i];
        jw_obj_begin(w);
        jw_kint(w, "producer_id", y->producer_id);
        jw_kint(w, "epoch", y->epoch);
        jw_kint(w, "first_offset", y->first_offset);
        jw_kint(w, "last_offset", y->last_offset);
        jw_kint(w, "last_sequence", y->last_sequence);
        jw_kint(w, "batches", y->batches);
        jw_kint(w, "records", y->records);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_key(w, "notes");
    jw_arr_begin(w);
    for (size_t i = 0; i < p->nnotes; i++) jw_str(w, p->notes[i]);
    jw_arr_end(w);
    jw_key(w, "duplicates");
    jw_obj_begin(w);
    for (int i = 0; i < p->nduplicates; i++) {
        jw_key(w, p->duplicates[i].name);
        jw_obj_begin(w);
        jw_kint(w, "findings", p->duplicates[i].findings);
        jw_kint(w, "records", p->duplicates[i].records);
        jw_obj_end(w);
    }
    jw_obj_end(w);
    if (p->identity) {
        const rm_identity *x = p->identity;
        jw_kint(w, "identity_records", x->records);
        jw_kint(w, "identity_missing", x->missing);
        jw_key(w, "identity");
        jw_obj_begin(w);
        jw_kstr(w, "spec", x->spec);
        jw_key(w, "missing_reasons");
        jw_obj_begin(w);
        for (int k = 0; k < RM_IDENTITY_REASONS && x->reason[k]; k++)
            if (x->by_reason[k]) jw_kint(w, x->reason[k], x->by_reason[k]);
        jw_obj_end(w);
        jw_obj_end(w);
    }
    if (p->nsuggestions) {
        jw_key(w, "identity_suggestions");
        jw_arr_begin(w);
        for (size_t i = 0; i < p->nsuggestions; i++) {
            jw_obj_begin(w);
            jw_kstr(w, "spec", p->suggestions[i].spec);
            jw_kstr(w, "option", p->suggestions[i].option);
            jw_kint(w, "sampled_records", p->suggestions[i].sampled);
            jw_obj_end(w);
        }
        jw_arr_end(w);
    }
    if (p->repeats.checked) {
        const rm_repeats *q = &p->repeats;
        jw_key(w, "repeat_profile");
        jw_obj_begin(w);
        jw_kint(w, "records", q->records);
        jw_kint(w, "repeated_records", q->repeated);
        jw_kint(w, "natural_repeats", q->natural);
        jw_kstr(w, "content", q->by_nature ? "repeats_by_nature" : "unique");
        jw_kint(w, "decided_early", q->decided_early);
        jw_obj_end(w);
    }
    jw_obj_end(w);
}

static void json_incident(jw *w, const rm_report *r, const rm_incident *x)
{
    jw_obj_begin(w);
    jw_kstr(w, "id", x->id);
    jw_kstr(w, "kind", x->group.kind);
    jw_kstr(w, "severity", rm_severity_name(x->severity));
    jw_kstr(w, "summary", x->summary ? x->summary : "");
    jw_kint(w, "findings", x->findings);
    jw_kint(w, "records", x->records);
    jw_kint(w, "first_timestamp", x->first_ts);
    jw_kint(w, "last_timestamp", x->last_ts);
    if (x->group.producer_id >= 0) jw_kint(w, "producer_id", x->group.producer_id);
    if (x->group.original_producer_id >= 0) jw_kint(w, "original_producer_id", x->group.original_producer_id);
    jw_key(w, "partitions");
    jw_arr_begin(w);
    for (size_t i = 0; i < x->nparts; i++) {
        const rm_incident_part *q = &x->parts[i];
        const rm_partition *p = &r->partitions[q->partition];
        jw_obj_begin(w);
        jw_kstr(w, "topic", p->topic);
        jw_kint(w, "partition", p->partition);
        jw_kstr(w, "path", p->path);
        jw_kint(w, "findings", q->findings);
        jw_kint(w, "records", q->records);
        jw_kint(w, "first_offset", q->first_offset);
        jw_kint(w, "last_offset", q->last_offset);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
}

/* How the report was made: the command, its options (every one, its
 * default included: null when not set) and the usage warnings. */
static void json_run(jw *w, const rm_report *r)
{
    jw_key(w, "run");
    jw_obj_begin(w);
    if (r->command) jw_kstr(w, "command", r->command);
    jw_key(w, "options");
    jw_obj_begin(w);
    for (size_t i = 0; i < r->noptions; i++) {
        const rm_option *o = &r->options[i];
        jw_key(w, o->name);
        if (o->kind == RM_STR) jw_str(w, o->s ? o->s : "");
        else if (o->kind == RM_BOOL) jw_bool(w, o->i != 0);
        else if (o->kind == RM_INT) jw_int(w, o->i);
        else jw_null(w);
    }
    jw_obj_end(w);
    jw_key(w, "warnings");
    jw_arr_begin(w);
    for (size_t i = 0; i < r->nwarnings; i++) jw_str(w, r->warnings[i]);
    jw_arr_end(w);
    jw_obj_end(w);
}

/* The comparison with the baseline (baseline.h). */
static void json_baseline(jw *w, const rm_report *r)
{
    const rm_baseline *b = r->baseline;
    if (!b) return;
    int64_t fresh = b->new_by_severity[RM_ERROR] + b->new_by_severity[RM_WARNING] + b->new_by_severity[RM_INFO];
    jw_key(w, "baseline");
    jw_obj_begin(w);
    jw_kstr(w, "path", b->path);
    jw_kstr(w, "generated_at", b->generated_at);
    jw_kint(w, "new", fresh);
    jw_key(w, "new_by_severity");
    jw_obj_begin(w);
    for (int s = RM_ERROR; s >= RM_INFO; s--) jw_kint(w, rm_severity_name(s), b->new_by_severity[s]);
    jw_obj_end(w);
    jw_kint(w, "present", b->present);
    jw_kint(w, "gone", (int64_t)b->gone);
    jw_key(w, "gone_ids");
    jw_arr_begin(w);
    for (size_t i = 0; i < b->nfindings; i++)
        if (b->findings[i].state == RM_BASE_GONE) jw_str(w, b->findings[i].id);
    jw_arr_end(w);
    jw_kint(w, "not_compared", (int64_t)b->not_compared);
    jw_kint(w, "unlisted", b->unlisted);
    jw_kbool(w, "complete", b->not_compared == 0 && b->unlisted == 0 && b->nomitted_types == 0);
    jw_obj_end(w);
}

/* Does `whole` read exactly `text`, then a space and `detail` when there
 * is one? Then a finding's explanation needs no words of its own in JSON. */
static bool composed(const char *whole, const char *text, const char *detail)
{
    size_t n = strlen(text);
    if (!whole || strncmp(whole, text, n) != 0) return false;
    if (!detail) return whole[n] == '\0';
    return whole[n] == ' ' && strcmp(whole + n + 1, detail) == 0;
}

/* The explanations the listed findings read, each once, keyed by name
 * (rt_explanation): in the table's order of types and explanations, so the
 * same findings give the same object whatever their order. False when the
 * listing could not be read. */
static bool json_explanations(jw *w, const rm_report *r)
{
    bool (*u)[RT_MAX_EXPLANATIONS] = calloc(RT_COUNT, sizeof *u);
    rm_iter *it = u ? rm_iter_open(r, false) : NULL;
    const rm_finding *x;
    while (it && (x = rm_iter_next(it))) {
        int k;
        if (rt_explain(x, &k, NULL) == 0) u[x->tid][k] = true;
    }
    bool ok = it && !rm_iter_failed(it);
    rm_iter_close(it);
    jw_key(w, "explanations");
    jw_obj_begin(w);
    for (int t = 0; u && t < RT_COUNT; t++)
        for (int k = 0; k < rt_explanation_count(t); k++) {
            if (!u[t][k]) continue;
            rt_explanation e = rt_explanation_of(t, k);
            bool again = false; /* variants that read the same share their key */
            for (int j = 0; j < k && !again; j++) again = u[t][j] && strcmp(rt_explanation_of(t, j).key, e.key) == 0;
            if (!again) jw_kstr(w, e.key, e.text);
        }
    jw_obj_end(w);
    free(u);
    return ok;
}

int rr_json(const rm_report *r, FILE *f, const char *version)
{
    jw w;
    jw_init(&w);
    int64_t segments = 0, batches = 0, records = 0, control = 0, bytes = 0;
    for (size_t i = 0; i < r->npartitions; i++) {
        const rm_partition *p = &r->partitions[i];
        segments += p->segments, batches += p->batches, records += p->records;
        control += p->control_records, bytes += p->bytes;
    }
    jw_obj_begin(&w);
    jw_kint(&w, "schema_version", RR_SCHEMA_VERSION);
    jw_key(&w, "tool");
    jw_obj_begin(&w);
    jw_kstr(&w, "name", "kaudit");
    jw_kstr(&w, "version", version);
    jw_obj_end(&w);
    jw_kstr(&w, "generated_at", r->generated_at);
    jw_key(&w, "inputs");
    jw_arr_begin(&w);
    for (size_t i = 0; i < r->ninputs; i++) jw_str(&w, r->inputs[i]);
    jw_arr_end(&w);
    jw_key(&w, "problems");
    jw_arr_begin(&w);
    for (size_t i = 0; i < r->nproblems; i++) jw_str(&w, r->problems[i]);
    jw_arr_end(&w);
    json_run(&w, r);
    json_baseline(&w, r);

    jw_key(&w, "summary");
    jw_obj_begin(&w);
    jw_kint(&w, "partitions", (int64_t)r->npartitions);
    jw_kint(&w, "segments", segments);
    jw_kint(&w, "batches", batches);
    jw_kint(&w, "records", records);
    jw_kint(&w, "control_records", control);
    jw_kint(&w, "bytes", bytes);
    jw_key(&w, "findings_by_type");
    jw_obj_begin(&w);
    for (int i = 0; i < r->ncounts; i++) jw_kint(&w, r->counts[i].type, r->counts[i].total);
    jw_obj_end(&w);
    jw_key(&w, "findings_by_severity");
    jw_obj_begin(&w);
    for (int s = RM_ERROR; s >= RM_INFO; s--) jw_kint(&w, rm_severity_name(s), r->by_severity[s]);
    jw_obj_end(&w);
    jw_obj_end(&w);

    jw_key(&w, "partitions");
    jw_arr_begin(&w);
    for (size_t i = 0; i < r->npartitions; i++) json_partition(&w, &r->partitions[i]);
    jw_arr_end(&w);

    jw_key(&w, "incidents");
    jw_arr_begin(&w);
    for (size_t i = 0; i < r->nincidents; i++) json_incident(&w, r, &r->incidents[i]);
    jw_arr_end(&w);

    /* The words findings share, once; then every finding listed, from
     * memory or the spill (listing.h), with the key of its explanation and
     * the words that are its own (docs/report.md, "Explanations"). */
    bool listed = json_explanations(&w, r);
    jw_key(&w, "findings");
    jw_arr_begin(&w);
    rm_iter *it = rm_iter_open(r, true);
    const rm_finding *x;
    while (it && (x = rm_iter_next(it))) {
        const rm_partition *p = &r->partitions[x->partition];
        jw_obj_begin(&w);
        jw_kstr(&w, "id", x->id);
        jw_kstr(&w, "type", x->type);
        jw_kstr(&w, "severity", rm_severity_name(x->severity));
        jw_kstr(&w, "topic", p->topic);
        jw_kint(&w, "partition", p->partition);
        jw_kstr(&w, "path", p->path);
        jw_kint(&w, "offset", x->offset);
        if (x->producer_id >= 0) {
            jw_kint(&w, "producer_id", x->producer_id);
            jw_kint(&w, "producer_epoch", x->producer_epoch);
        }
        if (x->incident[0]) jw_kstr(&w, "incident", x->incident);
        if (x->baseline != RM_BASE_NONE) jw_kstr(&w, "baseline", rm_baseline_word(x->baseline));
        jw_kstr(&w, "message", x->message ? x->message : "");
        int k = 0;
        char *detail = NULL;
        if (rt_explain(x, &k, &detail) < 0) detail = NULL; /* then the whole explanation is written */
        rt_explanation e = rt_explanation_of(x->tid, k);
        jw_kstr(&w, "explanation_key", e.key);
        if (detail) jw_kstr(&w, "explanation_detail", detail);
        if (x->explanation && !composed(x->explanation, e.text, detail)) jw_kstr(&w, "explanation", x->explanation);
        free(detail);
        json_fields(&w, x);
        jw_obj_end(&w);
        if (w.len > (64 << 10) && jw_flush(&w, f) < 0) break; /* a long list is written as it goes */
    }
    listed = listed && it && !rm_iter_failed(it);
    rm_iter_close(it);
    jw_arr_end(&w);

    /* Counted but not listed: the examples beyond --max-examples. */
    jw_key(&w, "findings_omitted");
    jw_obj_begin(&w);
    for (int i = 0; i < r->ncounts; i++)
        if (r->counts[i].total > r->counts[i].kept) jw_kint(&w, r->counts[i].type, r->counts[i].total - r->counts[i].kept);
    jw_obj_end(&w);

    /* Consumer groups, as their coordinators' logs tell them. */
    jw_key(&w, "groups");
    jw_arr_begin(&w);
    for (size_t i = 0; i < r->ngroups; i++) json_group(&w, r, &r->groups[i]);
    jw_arr_end(&w);
    jw_obj_end(&w);
    int rc = jw_flush_line(&w, f);
    jw_free(&w);
    return listed && !ferror(f) ? rc : -1;
}

/* Records counted under a tally name, or under every name but it. */
static int64_t tally_records(const rm_partition *p, const char *name, bool except)
{
    int64_t n = 0;
    for (int i = 0; i < p->nduplicates; i++)
        if ((strcmp(p->duplicates[i].name, name) == 0) != except) n += p->duplicates[i].records;
    return n;
}

static int cmp_delivery(const void *a, const void *b)
{
    const rm_partition *x = *(const rm_partition *const *)a, *y = *(const rm_partition *const *)b;
    int64_t dx = tally_records(x, "repeated_content", true), dy = tally_records(y, "repeated_content", true);
    if (dx != dy) return dx > dy ? -1 : 1;
    int64_t rx = tally_records(x, "repeated_content", false), ry = tally_records(y, "repeated_content", false);
    return rx > ry ? -1 : rx < ry;
}

/* One line per partition with duplicates, delivery duplicates first:
 * "orders-0: 5 duplicate records from delivery (1 retry_without_idempotence,
 * ...); 12 records of repeated content". */
static void text_duplicates(const rm_report *r, FILE *f)
{
    const rm_partition **v = malloc(r->npartitions * sizeof *v + 1);
    size_t n = 0;
    for (size_t i = 0; v && i < r->npartitions; i++)
        if (r->partitions[i].nduplicates) v[n++] = &r->partitions[i];
    if (n == 0) {
        free(v);
        return;
    }
    qsort(v, n, sizeof *v, cmp_delivery);
    fprintf(f, "\nDuplicates by partition (records):\n");
    for (size_t i = 0; i < n && i < 10; i++) {
        const rm_partition *p = v[i];
        int64_t delivery = tally_records(p, "repeated_content", true), repeated = tally_records(p, "repeated_content", false);
        /* Two log directories may hold the same partition name (copies,
         * several brokers' data side by side): then say which folder. */
        bool twin = false;
        for (size_t k = 0; k < r->npartitions && !twin; k++)
            twin = &r->partitions[k] != p && r->partitions[k].partition == p->partition &&
                   strcmp(r->partitions[k].topic, p->topic) == 0;
        fputs("  ", f);
        es_fputs(p->topic, f);
        fprintf(f, "-%d", p->partition);
        if (twin) fputs(" (", f), es_fputs(p->path, f), fputc(')', f);
        fputs(": ", f);
        if (delivery) {
            fprintf(f, "%" PRId64 " delivery duplicate%s (", delivery, delivery == 1 ? "" : "s");
            int first = 1;
            for (int k = 0; k < p->nduplicates; k++) {
                if (strcmp(p->duplicates[k].name, "repeated_content") == 0) continue;
                fprintf(f, "%s%" PRId64 " %s", first ? "" : ", ", p->duplicates[k].records, p->duplicates[k].name);
                first = 0;
            }
            fputc(')', f);
        }
        if (repeated) fprintf(f, "%s%" PRId64 " repeated content (info)",
                              delivery ? "; " : "", repeated);
        fputc('\n', f);
    }
    if (n > 10) fprintf(f, "  ... and %zu more partitions\n", n - 10);
    free(v);
}

static int cmp_repeated(const void *a, const void *b)
{
    const rr_topic_repeats *x = a, *y = b;
    if (x->repeated != y->repeated) return x->repeated > y->repeated ? -1 : 1;
    return strcmp(x->topic, y->topic);
}

size_t rr_repeat_topics(const rm_report *r, rr_topic_repeats *out, size_t n)
{
    size_t k = 0, cap = 0;
    rr_topic_repeats *all = NULL;
    for (size_t i = 0; i < r->npartitions; i++) {
        const rm_partition *p = &r->partitions[i];
        if (!p->repeats.checked || p->repeats.repeated == 0) continue;
        size_t j = 0;
        while (j < k && strcmp(all[j].topic, p->topic) != 0) j++;
        if (j == k) {
            if (k == cap) {
                rr_topic_repeats *na = realloc(all, (cap = cap ? cap * 2 : 16) * sizeof *na);
                if (!na) break;
                all = na;
            }
            memset(&all[k], 0, sizeof all[k]);
            all[k].topic = p->topic;
            all[k++].rule = p->repeats.rule;
        }
        rr_topic_repeats *t = &all[j];
        t->records += p->repeats.records;
        t->repeated += p->repeats.repeated;
        t->natural += p->repeats.natural;
        t->partitions++;
        t->by_nature += p->repeats.by_nature;
    }
    if (k > 1) qsort(all, k, sizeof *all, cmp_repeated);
    if (k > n) k = n;
    if (k) memcpy(out, all, k * sizeof *out);
    free(all);
    return k;
}

void rr_repeat_line(const rr_topic_repeats *t, char *out, size_t cap)
{
    double pct = t->records ? 100.0 * (double)t->repeated / (double)t->records : 0;
    if (t->rule) {
        snprintf(out, cap, "%s: %.1f%% of %" PRId64 " records repeat an earlier key and value; repetition is normal "
                           "in this topic (rule %s): reported as info, but for a client's retry of a whole batch",
                 t->topic, pct, t->records, t->rule);
        return;
    }
    const char *verdict =
        t->by_nature == t->partitions ? "content repeats by nature here: a new send of the same content is reported as info"
        : t->by_nature == 0           ? "content is otherwise unique here: a repeat is a delivery duplicate unless it recurs by itself or comes later than --dup-window"
                                      : "content repeats by nature in some of its partitions only (see each partition's repeat_profile)";
    snprintf(out, cap, "%s: %.1f%% of %" PRId64 " records repeat an earlier key and value (%" PRId64
                       " as ordinary traffic); %s",
             t->topic, pct, t->records, t->natural, verdict);
}

size_t rr_ranked(const rm_report *r, const char *type, int sev, size_t *idx)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nfindings; i++)
        if (r->findings[i].severity == sev && strcmp(r->findings[i].type, type) == 0) idx[n++] = i;
    for (size_t i = 1; i < n; i++) { /* insertion sort: stable, and lists are short */
        size_t v = idx[i], j = i;
        while (j > 0 && r->findings[idx[j - 1]].impact < r->findings[v].impact) idx[j] = idx[j - 1], j--;
        idx[j] = v;
    }
    return n;
}

/* ---- how the report was made, for every format ------------------------------------ */

/* Append printf-style to out[*at..cap), cut at the end. */
static void add(char *out, size_t cap, size_t *at, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void add(char *out, size_t cap, size_t *at, const char *fmt, ...)
{
    if (*at >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + *at, cap - *at, fmt, ap);
    va_end(ap);
    *at = n < 0 ? cap : *at + (size_t)n < cap ? *at + (size_t)n : cap;
}

/* A value as a shell takes it back: bare when it holds only characters a
 * shell leaves alone, else in single quotes (a quote in it as '\''). */
static void add_arg(char *out, size_t cap, size_t *at, const char *s)
{
    bool bare = *s != '\0';
    for (const char *c = s; *c && bare; c++)
        bare = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr("._:/,+-@=", *c);
    if (bare) {
        add(out, cap, at, "%s", s);
        return;
    }
    add(out, cap, at, "'");
    for (const char *c = s; *c; c++) add(out, cap, at, *c == '\'' ? "'\\''" : "%c", *c);
    add(out, cap, at, "'");
}

void rr_options_line(const rm_report *r, char *out, size_t cap)
{
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->noptions; i++) {
        const rm_option *o = &r->options[i];
        if (!o->given || o->kind == RM_NULL || (o->kind == RM_BOOL && !o->i)) continue;
        /* The option as typed: "dup_window_ms" is --dup-window (milliseconds). */
        char name[64];
        size_t n = strlen(o->name);
        if (n > 3 && strcmp(o->name + n - 3, "_ms") == 0) n -= 3;
        if (n >= sizeof name) n = sizeof name - 1;
        for (size_t k = 0; k < n; k++) name[k] = o->name[k] == '_' ? '-' : o->name[k];
        name[n] = '\0';
        add(out, cap, &at, "%s--%s", at ? " " : "", name);
        if (o->kind == RM_INT) add(out, cap, &at, " %" PRId64, o->i);
        else if (o->kind == RM_STR) add(out, cap, &at, " "), add_arg(out, cap, &at, o->s ? o->s : "");
    }
}

void rr_baseline_line(const rm_report *r, char *out, size_t cap)
{
    size_t at = 0;
    out[0] = '\0';
    const rm_baseline *b = r->baseline;
    if (!b) return;
    const int64_t *nw = b->new_by_severity;
    int64_t fresh = nw[RM_ERROR] + nw[RM_WARNING] + nw[RM_INFO];
    add(out, cap, &at, "against %s (generated %s): %" PRId64 " new", b->path, b->generated_at, fresh);
    if (fresh)
        add(out, cap, &at, " (%" PRId64 " error%s, %" PRId64 " warning%s, %" PRId64 " info)", nw[RM_ERROR],
            nw[RM_ERROR] == 1 ? "" : "s", nw[RM_WARNING], nw[RM_WARNING] == 1 ? "" : "s", nw[RM_INFO]);
    add(out, cap, &at, ", %" PRId64 " still present, %zu gone", b->present, b->gone);
    if (b->not_compared)
        add(out, cap, &at, "; %zu of the baseline's not compared (where this audit did not look, or lists only some "
                           "findings of their type)",
            b->not_compared);
    if (b->unlisted)
        add(out, cap, &at, "; %" PRId64 " of this audit's counted but not listed (--max-examples), not compared",
            b->unlisted);
    if (b->nomitted_types)
        add(out, cap, &at, "; the baseline lists only some of its findings (--max-examples): one not in its list is "
                           "called new");
}

const char *rr_nothing_matched(const rm_report *r)
{
    if (!r->nwarnings || r->by_severity[RM_ERROR] + r->by_severity[RM_WARNING] > 0) return NULL;
    return "Nothing matched: the paths, filters and window given select nothing in the data (see the warning), so "
           "nothing could be found there";
}

/* What the text report ran on and with: inputs, options given, warnings,
 * the baseline. Escaped: paths and patterns are the user's or the data's. */
static void text_run(const rm_report *r, FILE *f)
{
    fputs("Inputs:", f);
    for (size_t i = 0; i < r->ninputs; i++) fputc(' ', f), es_fputs(r->inputs[i], f);
    fputc('\n', f);
    char line[2048];
    rr_options_line(r, line, sizeof line);
    if (line[0]) fputs("Options: ", f), es_fputs(line, f), fputc('\n', f);
    for (size_t i = 0; i < r->nwarnings; i++) fputs("Warning: ", f), es_fputs(r->warnings[i], f), fputc('\n', f);
    rr_baseline_line(r, line, sizeof line);
    if (line[0]) fputs("Baseline: ", f), es_fputs(line, f), fputc('\n', f);
}

#define TEXT_NOTES 10 /* partition notes the text report shows */

/* The baseline's findings gone since (the first ten). */
static void text_gone(const rm_report *r, FILE *f)
{
    const rm_baseline *b = r->baseline;
    if (!b || !b->gone) return;
    fprintf(f, "\nGone since the baseline:\n");
    size_t shown = 0;
    for (size_t i = 0; i < b->nfindings && shown < 10; i++) {
        const rm_base_finding *x = &b->findings[i];
        if (x->state != RM_BASE_GONE) continue;
        fprintf(f, "  %-13s %-7s ", x->id, rm_severity_name(x->severity));
        es_fputs(x->type, f), fputc(' ', f), es_fputs(x->topic, f);
        fprintf(f, "-%d @%" PRId64 ": ", x->partition, x->offset);
        es_fputs(x->message, f);
        fputc('\n', f);
        shown++;
    }
    if (b->gone > shown) fprintf(f, "  ... and %zu more (see --format json)\n", b->gone - shown);
}

/* A finding's command lines to run next (RT_COMMAND: a hanging
 * transaction's abort_command), each on a line under the finding's. */
static void text_commands(const rm_finding *x, FILE *f)
{
    for (int i = 0; i < x->nfields; i++) {
        const rm_field *fd = &x->fields[i];
        const rt_field *spec = rt_field_of(x->tid, fd->key);
        if (!spec || !(spec->flags & RT_COMMAND) || fd->kind != RM_STR || !fd->s) continue;
        fprintf(f, "%16s", "");
        for (const char *c = fd->key; *c; c++) fputc(*c == '_' ? ' ' : *c, f);
        fputs(": ", f), es_fputs(fd->s, f), fputc('\n', f);
    }
}

/* ANSI colours, or nothing. */
static const char *ansi(bool color, const char *code) { return color ? code : ""; }
#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"
static const char *sev_ansi(int s) { return s == RM_ERROR ? "\033[31m" : s == RM_WARNING ? "\033[33m" : "\033[34m"; }

/* What each topic's --identity covered, and the identities to consider. */
static void text_identities(const rm_report *r, FILE *f)
{
    char lines[10][600];
    size_t n = rr_identity_lines(r, lines, 10);
    if (n) fprintf(f, "\nDuplicates by identity:\n");
    for (size_t i = 0; i < n; i++) fputs("  ", f), es_fputs(lines[i], f), fputc('\n', f);
    size_t more;
    n = rr_suggestion_lines(r, lines, 10, &more);
    if (n) fprintf(f, "\nIdentities to consider (a field or header unique in every record sampled):\n");
    for (size_t i = 0; i < n; i++) fputs("  ", f), es_fputs(lines[i], f), fputc('\n', f);
    if (more) fprintf(f, "  ... and %zu more (see --format json: identity_suggestions)\n", more);
}

int rr_text(const rm_report *r, FILE *f, const char *version, int per_type, bool color)
{
    int64_t batches = 0, records = 0, bytes = 0, segments = 0;
    for (size_t i = 0; i < r->npartitions; i++) {
        batches += r->partitions[i].batches, records += r->partitions[i].records;
        bytes += r->partitions[i].bytes, segments += r->partitions[i].segments;
    }
    int64_t e = r->by_severity[RM_ERROR], w = r->by_severity[RM_WARNING], in = r->by_severity[RM_INFO];
    fputs(ansi(color, C_BOLD), f);
    if (rr_nothing_matched(r))
        fprintf(f, "%s%s", ansi(color, sev_ansi(RM_WARNING)), rr_nothing_matched(r));
    else if (e + w == 0 && r->nproblems == 0)
        fprintf(f, "%sClean: no delivery or integrity problem found", ansi(color, "\033[32m"));
    else if (e + w == 0)
        fprintf(f, "%sIncomplete: no delivery or integrity problem found in what could be checked (%zu input%s "
                   "not audited or not fully checked, below)",
                ansi(color, sev_ansi(RM_WARNING)), r->nproblems, r->nproblems == 1 ? "" : "s");
    else
        fprintf(f, "%sFound %" PRId64 " error%s and %" PRId64 " warning%s", ansi(color, sev_ansi(e ? RM_ERROR : RM_WARNING)),
                e, e == 1 ? "" : "s", w, w == 1 ? "" : "s");
    fputs(ansi(color, C_RESET), f);
    if (in) fprintf(f, " (%" PRId64 " informational note%s)", in, in == 1 ? "" : "s");
    fprintf(f, ".\nAudited %zu partition%s, %" PRId64 " segments, %" PRId64 " batches, %" PRId64
               " records, %" PRId64 " bytes (kaudit %s, %s).\n",
            r->npartitions, r->npartitions == 1 ? "" : "s", segments, batches, records, bytes, version, r->generated_at);
    text_run(r, f);
    if (r->ngroups) {
        size_t back = 0;
        for (size_t i = 0; i < r->ngroups; i++) back += r->groups[i].regressions > 0;
        fprintf(f, "Replayed %zu consumer group%s from __consumer_offsets (%zu went back).\n", r->ngroups,
                r->ngroups == 1 ? "" : "s", back);
    }
    /* Names, paths and the words that quote them are escaped (escape.h):
     * a topic or directory name from the data cannot drive the terminal. */
    for (size_t i = 0; i < r->nproblems; i++) fputs("Not audited: ", f), es_fputs(r->problems[i], f), fputc('\n', f);
    /* The partitions' notes: the first ones (a folder of many clusters'
     * directories has a note per same-named partition not compared); all
     * of them are in the JSON and HTML reports. */
    size_t notes = 0;
    for (size_t i = 0; i < r->npartitions; i++)
        for (size_t k = 0; k < r->partitions[i].nnotes; k++, notes++) {
            if (notes >= TEXT_NOTES) continue;
            fputs("Note: ", f);
            es_fputs(r->partitions[i].topic, f);
            fprintf(f, "-%d: ", r->partitions[i].partition);
            es_fputs(r->partitions[i].notes[k], f);
            fputc('\n', f);
        }
    if (notes > TEXT_NOTES)
        fprintf(f, "... and %zu more notes on partitions (see --format json or html)\n", notes - TEXT_NOTES);
    if (r->ncounts == 0) {
        text_identities(r, f); /* clean, and still what the identities covered */
        text_gone(r, f);
        return ferror(f) ? -1 : 0;
    }
    if (r->nincidents) fprintf(f, "\nIncidents:\n");
    for (size_t i = 0; i < r->nincidents && i < 10; i++) {
        const rm_incident *x = &r->incidents[i];
        fprintf(f, "  %-4s %s%-7s%s ", x->id, ansi(color, sev_ansi(x->severity)), rm_severity_name(x->severity),
                ansi(color, C_RESET));
        es_fputs(x->summary, f);
        fputc('\n', f);
    }
    if (r->nincidents > 10) fprintf(f, "  ... and %zu more (see --format json)\n", r->nincidents - 10);
    rr_replica_text(r, f, 10);
    fprintf(f, "\n%-34s %8s %8s %8s\n", "finding", "error", "warning", "info");
    for (int i = 0; i < r->ncounts; i++)
        fprintf(f, "%-34s %8" PRId64 " %8" PRId64 " %8" PRId64 "\n", r->counts[i].type, r->counts[i].by_severity[RM_ERROR],
                r->counts[i].by_severity[RM_WARNING], r->counts[i].by_severity[RM_INFO]);
    rr_topic_repeats tr[10];
    size_t ntr = rr_repeat_topics(r, tr, 10);
    if (ntr) fprintf(f, "\nRepeated content by topic:\n");
    for (size_t i = 0; i < ntr; i++) {
        char line[600];
        rr_repeat_line(&tr[i], line, sizeof line);
        fputs("  ", f), es_fputs(line, f), fputc('\n', f);
    }
    text_identities(r, f);
    text_duplicates(r, f);
    size_t *idx = r->nfindings ? malloc(r->nfindings * sizeof *idx) : NULL;
    for (int t = 0; t < r->ncounts; t++) {
        const char *type = r->counts[t].type;
        int shown = 0;
        fprintf(f, "\n%s:\n", type);
        /* The most severe first: delivery problems before context; the
         * largest (records involved) first within a severity. */
        for (int sev = RM_ERROR; sev >= RM_INFO && idx; sev--) {
            size_t n = rr_ranked(r, type, sev, idx);
            for (size_t k = 0; k < n && shown < per_type; k++) {
                const rm_finding *x = &r->findings[idx[k]];
                const rm_partition *p = &r->partitions[x->partition];
                fprintf(f, "  %-13s %s%-7s%s %s", x->id, ansi(color, sev_ansi(x->severity)),
                        rm_severity_name(x->severity), ansi(color, C_RESET), x->baseline == RM_BASE_NEW ? "new " : "");
                es_fputs(p->topic, f);
                fprintf(f, "-%d @%" PRId64 ": ", p->partition, x->offset);
                es_fputs(x->message, f);
                fputc('\n', f);
                text_commands(x, f);
                shown++;
            }
        }
        int64_t rest = r->counts[t].total - shown;
        if (rest > 0) fprintf(f, "  ... and %" PRId64 " more (see --format json)\n", rest);
    }
    free(idx);
    text_gone(r, f);
    return ferror(f) ? -1 : 0;
}
