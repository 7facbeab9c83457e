/*
 * html.c - the report as one self-contained HTML page for people: inline
 * CSS, inline SVG, one small inline script (sorting and filtering), no
 * request to any other file or host. Everything that comes from the log
 * (topics, keys, values, paths, messages) is escaped as text: first to
 * escape.h's text form (controls and bytes that are not UTF-8 as \xNN,
 * since HTML has no reference for most of them and maps C1 ones to other
 * characters), then HTML's own characters as entities.
 * See render.h; the DOM is a contract tested in tests/test_html.py.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "escape.h"
#include "listing.h"
#include "reader/text.h"
#include "render.h"
#include "types.h"

/* Text content or attribute value, escaped. */
static void esc(FILE *f, const char *s)
{
    const uint8_t *p = (const uint8_t *)s;
    for (size_t n = s ? strlen(s) : 0, i = 0, len; i < n; i += len) {
        uint32_t cp;
        if (es_unit(p + i, n - i, &len, &cp) != ES_PLAIN) {
            es_fwrite(p + i, len, f);
            continue;
        }
        switch (s[i]) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fwrite(s + i, 1, len, f);
        }
    }
}

static void when(FILE *f, int64_t ms)
{
    if (ms < 0) {
        fputs("&ndash;", f);
        return;
    }
    char b[TX_TIME_MAX];
    tx_time_utc(ms, TX_TIME_SPACE | TX_TIME_MS, b, sizeof b);
    fputs(b, f);
}

static const char css[] =
    ":root{--err:#b42318;--warn:#b54708;--info:#175cd3;--ok:#067647;--ink:#101828;--mute:#475467;--line:#d0d5dd;"
    "--bg:#f9fafb}"
    "*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--ink);"
    "margin:0;background:#fff}main{max-width:1180px;margin:0 auto;padding:24px 28px 60px}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:36px 0 8px;padding-top:8px;border-top:1px solid var(--line)}"
    "h3{font-size:15px;margin:18px 0 6px}"
    "#verdict{font-size:18px;font-weight:600;padding:14px 16px;border-radius:8px;margin:14px 0}"
    ".v-clean{background:#ecfdf3;color:var(--ok)}.v-warning{background:#fffaeb;color:var(--warn)}"
    ".v-error{background:#fef3f2;color:var(--err)}"
    "table{border-collapse:collapse;width:100%;margin:8px 0}th,td{text-align:left;padding:5px 8px;"
    "border-bottom:1px solid var(--line);vertical-align:top}th{background:var(--bg);font-weight:600}"
    "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".meta{color:var(--mute)}.meta td:first-child{width:200px;color:var(--mute)}"
    ".sev{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;font-weight:600;color:#fff}"
    ".sev-error{background:var(--err)}.sev-warning{background:var(--warn)}.sev-info{background:var(--info)}"
    ".finding{border:1px solid var(--line);border-left:4px solid var(--info);border-radius:6px;padding:10px 14px;"
    "margin:10px 0;break-inside:avoid}.finding[data-severity=warning]{border-left-color:var(--warn)}"
    ".finding[data-severity=error]{border-left-color:var(--err)}.finding:target{box-shadow:0 0 0 3px #84caff}"
    ".finding h4{margin:0 0 4px;font-size:14px}.finding .why{color:var(--mute);margin:4px 0 8px}"
    ".finding a.id{font-family:ui-monospace,monospace;color:var(--mute);text-decoration:none;margin-right:6px}"
    "dl{display:grid;grid-template-columns:210px 1fr;gap:2px 12px;margin:6px 0 0}dt{color:var(--mute)}"
    "dd{margin:0;font-family:ui-monospace,Menlo,monospace;font-size:12.5px;overflow-wrap:anywhere}"
    "code,.preview{font-family:ui-monospace,Menlo,monospace;font-size:12.5px;background:var(--bg);padding:1px 4px;"
    "border-radius:3px;white-space:pre-wrap;overflow-wrap:anywhere}"
    ".intro{color:#344054;max-width:900px}.omitted{color:var(--mute);font-style:italic}"
    ".base{display:inline-block;padding:0 6px;margin-right:6px;border-radius:10px;font-size:11px;font-weight:600;"
    "border:1px solid var(--line);color:var(--mute)}.base-new{border-color:var(--err);color:var(--err)}"
    ".filters{display:flex;gap:10px;flex-wrap:wrap;align-items:center;margin:8px 0}"
    ".filters select,.filters input{font:inherit;padding:4px 6px;border:1px solid var(--line);border-radius:5px}"
    "#findings-table th{cursor:pointer;user-select:none;white-space:nowrap}#findings-table th:after{content:' \\2195';color:#98a2b3}"
    "#findings-table td{font-size:13px}svg text{font-family:system-ui,sans-serif}"
    ".timeline{width:100%;height:auto;border:1px solid var(--line);border-radius:6px;background:#fff;margin:6px 0}"
    "@media print{main{max-width:none;padding:0}.filters,#table-section{display:none}"
    ".finding{break-inside:avoid}h2{break-after:avoid}a{color:inherit;text-decoration:none}}";

/* Sorting the findings table and filtering table rows and finding cards.
 * Listeners are attached here: the page has no inline event attributes. */
static const char script[] =
    "(function(){var d=document;function $(i){return d.getElementById(i)}"
    "var t=$('findings-table');if(!t)return;var b=t.tBodies[0];"
    "Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th,i){th.addEventListener('click',function(){"
    "var rows=Array.prototype.slice.call(b.rows),asc=th.getAttribute('data-asc')!=='1';"
    "th.setAttribute('data-asc',asc?'1':'0');rows.sort(function(x,y){var a=x.cells[i].getAttribute('data-v')||"
    "x.cells[i].textContent,c=y.cells[i].getAttribute('data-v')||y.cells[i].textContent,"
    "n=parseFloat(a),m=parseFloat(c);var r=(!isNaN(n)&&!isNaN(m))?n-m:a.localeCompare(c);return asc?r:-r});"
    "rows.forEach(function(r){b.appendChild(r)})})});"
    "function apply(){var ty=$('filter-type').value,sv=$('filter-severity').value,"
    "tp=$('filter-topic').value.toLowerCase(),pr=$('filter-producer').value.trim();"
    "function ok(e){return(!ty||e.getAttribute('data-type')===ty)&&(!sv||e.getAttribute('data-severity')===sv)&&"
    "(!tp||(e.getAttribute('data-topic')||'').toLowerCase().indexOf(tp)>=0)&&"
    "(!pr||e.getAttribute('data-producer')===pr)}"
    "Array.prototype.forEach.call(d.querySelectorAll('#findings-table tbody tr,article.finding'),function(e){"
    "e.style.display=ok(e)?'':'none'})}"
    "['filter-type','filter-severity','filter-topic','filter-producer'].forEach(function(i){"
    "$(i).addEventListener('input',apply);$(i).addEventListener('change',apply)})})();";

static const char *sev_color(int s)
{
    return s == RM_ERROR ? "#b42318" : s == RM_WARNING ? "#b54708" : "#175cd3";
}

static int worst_of(const rm_count *c)
{
    return c->by_severity[RM_ERROR] ? RM_ERROR : c->by_severity[RM_WARNING] ? RM_WARNING : RM_INFO;
}

/* The table's description of a type name (report/types.h), or NULL. */
static const rt_type *type_info(const char *name)
{
    int id = rt_find(name);
    return id >= 0 ? rt_type_of(id) : NULL;
}

/* The types found, in the table's reading order. */
static int types_in_order(const rm_report *r, const char **out)
{
    int n = 0;
    for (int i = 0; i < RT_COUNT; i++)
        if (rm_count_of(r, rt_type_of(i)->name)) out[n++] = rt_type_of(i)->name;
    return n;
}

static void verdict(const rm_report *r, FILE *f)
{
    int64_t e = r->by_severity[RM_ERROR], w = r->by_severity[RM_WARNING], in = r->by_severity[RM_INFO];
    const char *cls = e ? "v-error" : w || r->nproblems ? "v-warning" : "v-clean";
    fprintf(f, "<p id=\"verdict\" class=\"%s\">", rr_nothing_matched(r) ? "v-warning" : cls);
    if (rr_nothing_matched(r)) {
        esc(f, rr_nothing_matched(r));
        fputs(".</p>\n", f);
        return;
    }
    if (e + w == 0 && r->nproblems) {
        fprintf(f, "Incomplete: no delivery or integrity problem in what could be checked; %zu input%s not "
                   "audited or not fully checked (see <a href=\"#audited\">what was audited</a>).</p>\n",
                r->nproblems, r->nproblems == 1 ? "" : "s");
        return;
    }
    if (e + w == 0) {
        fprintf(f, "Clean: no delivery or integrity problem in %zu partition%s", r->npartitions,
                r->npartitions == 1 ? "" : "s");
        if (in) fprintf(f, " (%" PRId64 " informational note%s)", in, in == 1 ? "" : "s");
        fputs(".</p>\n", f);
        return;
    }
    fprintf(f, "%" PRId64 " error%s and %" PRId64 " warning%s: ", e, e == 1 ? "" : "s", w, w == 1 ? "" : "s");
    const char *order[RM_MAX_TYPES];
    int n = types_in_order(r, order), k = 0, more = 0;
    for (int i = 0; i < n; i++) {
        const rm_count *c = rm_count_of(r, order[i]);
        int64_t ew = c->by_severity[RM_ERROR] + c->by_severity[RM_WARNING];
        if (!ew) continue;
        if (k == 4) {
            more++;
            continue;
        }
        const rt_type *ti = type_info(order[i]);
        fputs(k++ ? ", " : "", f);
        esc(f, ti ? ti->title : order[i]);
        fprintf(f, " (%" PRId64 ")", ew);
    }
    if (more) fprintf(f, " and %d more kind%s", more, more == 1 ? "" : "s");
    if (in) fprintf(f, "; %" PRId64 " informational note%s", in, in == 1 ? "" : "s");
    fputs(".</p>\n", f);
}

static void audited(const rm_report *r, FILE *f, const char *version)
{
    int64_t seg = 0, bat = 0, rec = 0, ctl = 0, bytes = 0, tmin = -1, tmax = -1;
    for (size_t i = 0; i < r->npartitions; i++) {
        const rm_partition *p = &r->partitions[i];
        seg += p->segments, bat += p->batches, rec += p->records, ctl += p->control_records, bytes += p->bytes;
        if (p->min_timestamp >= 0 && (tmin < 0 || p->min_timestamp < tmin)) tmin = p->min_timestamp;
        if (p->max_timestamp > tmax) tmax = p->max_timestamp;
    }
    fputs("<table class=\"meta\" id=\"audited\"><tbody>\n<tr><td>Inputs</td><td>", f);
    for (size_t i = 0; i < r->ninputs; i++) {
        fputs(i ? "<br>" : "", f);
        fputs("<code>", f);
        esc(f, r->inputs[i]);
        fputs("</code>", f);
    }
    fputs("</td></tr>\n", f);
    char line[2048];
    rr_options_line(r, line, sizeof line);
    fputs("<tr><td>Options</td><td>", f);
    if (line[0]) fputs("<code>", f), esc(f, line), fputs("</code>", f);
    else fputs("the defaults", f);
    fputs("</td></tr>\n", f);
    for (size_t i = 0; i < r->nwarnings; i++) {
        fputs("<tr><td>Warning</td><td>", f);
        esc(f, r->warnings[i]);
        fputs("</td></tr>\n", f);
    }
    rr_baseline_line(r, line, sizeof line);
    if (line[0]) {
        fputs("<tr><td>Baseline</td><td>", f);
        esc(f, line);
        fputs(r->baseline->gone ? " (<a href=\"#gone\">gone</a>)</td></tr>\n" : "</td></tr>\n", f);
    }
    fprintf(f, "<tr><td>Partitions</td><td>%zu (%" PRId64 " segments, %" PRId64 " batches, %" PRId64
               " records, %" PRId64 " control records, %" PRId64 " bytes)</td></tr>\n",
            r->npartitions, seg, bat, rec, ctl, bytes);
    fputs("<tr><td>Written between</td><td>", f);
    when(f, tmin);
    fputs(" and ", f);
    when(f, tmax);
    fputs(" (batch timestamps)</td></tr>\n", f);
    /* One row per kind of fact; long lists (many log directories) cut. */
    for (size_t i = 0; i < r->nmeta; i++) {
        bool first = i == 0 || strcmp(r->meta[i - 1].key, r->meta[i].key) != 0;
        if (!first) continue;
        size_t n = 0;
        for (size_t j = i; j < r->nmeta; j++) n += strcmp(r->meta[j].key, r->meta[i].key) == 0;
        fputs("<tr><td>", f);
        esc(f, r->meta[i].key);
        fputs("</td><td>", f);
        size_t shown = 0;
        for (size_t j = i; j < r->nmeta && shown < 6; j++) {
            if (strcmp(r->meta[j].key, r->meta[i].key) != 0) continue;
            fputs(shown++ ? ", <code>" : "<code>", f);
            esc(f, r->meta[j].value);
            fputs("</code>", f);
        }
        if (n > shown) fprintf(f, " and %zu more", n - shown);
        fputs("</td></tr>\n", f);
    }
    for (size_t i = 0; i < r->nproblems; i++) {
        fputs("<tr><td>Not audited</td><td>", f);
        esc(f, r->problems[i]);
        fputs("</td></tr>\n", f);
    }
    for (size_t i = 0; i < r->npartitions; i++)
        for (size_t k = 0; k < r->partitions[i].nnotes; k++) {
            fputs("<tr><td>Note</td><td>", f);
            esc(f, r->partitions[i].topic);
            fprintf(f, "-%d: ", r->partitions[i].partition);
            esc(f, r->partitions[i].notes[k]);
            fputs("</td></tr>\n", f);
        }
    fputs("<tr><td>Report</td><td>kaudit ", f);
    esc(f, version);
    fputs(", generated ", f);
    esc(f, r->generated_at);
    fputs("</td></tr>\n</tbody></table>\n", f);
}

static void counts_table(const rm_report *r, FILE *f, const char **order, int n)
{
    fputs("<table id=\"counts\"><thead><tr><th>Finding</th><th class=\"num\">error</th><th class=\"num\">warning</th>"
          "<th class=\"num\">info</th><th class=\"num\">total</th></tr></thead><tbody>\n",
          f);
    for (int i = 0; i < n; i++) {
        const rm_count *c = rm_count_of(r, order[i]);
        const rt_type *ti = type_info(order[i]);
        fputs("<tr data-type=\"", f);
        esc(f, order[i]);
        fputs("\"><td class=\"type\"><a href=\"#type-", f);
        esc(f, order[i]);
        fputs("\">", f);
        esc(f, ti ? ti->title : order[i]);
        fprintf(f, "</a> <code>%s</code></td><td class=\"num error\">%" PRId64 "</td><td class=\"num warning\">%" PRId64
                   "</td><td class=\"num info\">%" PRId64 "</td><td class=\"num total\">%" PRId64 "</td></tr>\n",
                order[i], c->by_severity[RM_ERROR], c->by_severity[RM_WARNING], c->by_severity[RM_INFO], c->total);
    }
    fputs("</tbody></table>\n", f);
}

/* Horizontal bars of findings by type, coloured by the worst severity. */
static void bar_chart(const rm_report *r, FILE *f, const char **order, int n)
{
    int64_t max = 1;
    for (int i = 0; i < n; i++)
        if (rm_count_of(r, order[i])->total > max) max = rm_count_of(r, order[i])->total;
    int h = 24 * n + 10;
    fprintf(f, "<svg id=\"findings-bar\" viewBox=\"0 0 900 %d\" width=\"900\" height=\"%d\" role=\"img\" "
               "aria-label=\"findings by type\">\n", h, h);
    for (int i = 0; i < n; i++) {
        const rm_count *c = rm_count_of(r, order[i]);
        /* Linear, so lengths compare honestly; the count is printed beside. */
        int w = (int)((double)c->total / (double)max * 560) + 2, y = 5 + 24 * i;
        fprintf(f, "<text x=\"250\" y=\"%d\" text-anchor=\"end\" font-size=\"12\">", y + 14);
        esc(f, order[i]);
        fprintf(f, "</text><rect x=\"258\" y=\"%d\" width=\"%d\" height=\"16\" rx=\"3\" fill=\"%s\"><title>%" PRId64
                   "</title></rect><text x=\"%d\" y=\"%d\" font-size=\"12\">%" PRId64 "</text>\n",
                y + 2, w, sev_color(worst_of(c)), c->total, 264 + w, y + 14, c->total);
    }
    fputs("</svg>\n", f);
}

static int64_t field_int(const rm_finding *x, const char *key, int64_t dflt)
{
    const rm_field *fd = rm_find_field(x, key);
    return fd && fd->kind == RM_INT ? fd->i : dflt;
}

/* Where offset `off` falls on a lane drawn from `left` over `width` pixels
 * for offsets [lo, hi); offsets outside are pinned to the ends. */
static int xpos(int64_t off, int64_t lo, int64_t hi, int left, int width)
{
    if (off < lo) off = lo;
    if (off > hi) off = hi;
    double span = (double)hi - (double)lo; /* in doubles: offsets from the file may be anything */
    return span > 0 ? left + (int)(((double)off - (double)lo) / span * width) : left;
}

static int64_t next_of(int64_t off) { return off < INT64_MAX ? off + 1 : off; }

/* One partition: a lane per producer id over the offset range, each
 * finding a marker on its producer's lane (or the log's), duplicates as an
 * arc from the original to the copy, open transactions as a bar. */
/* The offsets a partition's timeline spans: its log, and every finding of
 * it with the originals duplicates point back to. */
typedef struct tl_span {
    bool any;              /* the partition has findings: it gets a timeline */
    int64_t lo, hi;
} tl_span;

static void span_add(const rm_report *r, tl_span *s, const rm_finding *x)
{
    const rm_partition *p = &r->partitions[x->partition];
    if (!s->any) {
        s->any = true;
        s->lo = p->log_start_offset < 0 ? 0 : p->log_start_offset, s->hi = p->log_end_offset;
    }
    int64_t o = field_int(x, "original_offset", x->offset);
    if (o >= 0 && o < s->lo) s->lo = o;
    if (x->offset >= s->hi) s->hi = next_of(x->offset);
}

/* Partition pi's timeline over `span`, drawing the findings from *cur on
 * while they are pi's (they come in report order: rm_iter). */
static void timeline(const rm_report *r, FILE *f, size_t pi, const tl_span *span, rm_iter *it, const rm_finding **cur,
                     const rm_finding *const *backs, size_t nbacks)
{
    const rm_partition *p = &r->partitions[pi];
    int64_t lo = span->lo, hi = span->hi;
    if (hi <= lo) hi = next_of(lo);
    size_t lanes = p->nproducers < 12 ? p->nproducers : 12;
    int top = 46, lane_h = 22, left = 170, width = 1000 - left - 20;
    /* Below the producers, a lane for the consumer groups that went back
     * over this partition's offsets. */
    int extra = nbacks ? 1 + (p->nproducers > lanes) : 0;
    int h = top + lane_h * (int)(lanes + 1 + (size_t)extra) + 30;
#define X(off) xpos((off), lo, hi, left, width)
    fprintf(f, "<svg class=\"timeline\" data-topic=\"");
    esc(f, p->topic);
    fprintf(f, "\" data-partition=\"%d\" viewBox=\"0 0 1000 %d\" role=\"img\" aria-label=\"timeline\">\n", p->partition, h);
    /* the log lane, then one per producer */
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\" fill=\"#475467\">log</text>"
               "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"10\" fill=\"#eaecf0\"/>\n",
            left - 8, top + 9, left, top, width);
    for (size_t k = 0; k < lanes; k++) {
        const rm_producer *y = &p->producers[k];
        int ly = top + lane_h * (int)(k + 1);
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\" fill=\"#475467\">pid %" PRId64
                   " e%d</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"10\" fill=\"#d1e9ff\"><title>producer %" PRId64
                   ": offsets %" PRId64 "..%" PRId64 "</title></rect>\n",
                left - 8, ly + 9, y->producer_id, y->epoch, X(y->first_offset), ly,
                X(next_of(y->last_offset)) - X(y->first_offset) + 1, y->producer_id, y->first_offset, y->last_offset);
    }
    if (p->nproducers > lanes)
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#475467\">+%zu more producers</text>\n", left,
                top + lane_h * (int)(lanes + 1) + 9, p->nproducers - lanes);
    for (; *cur && (*cur)->partition == pi; *cur = rm_iter_next(it)) {
        const rm_finding *x = *cur;
        if (x->offset < 0) continue;
        int ly = top;
        for (size_t k = 0; k < lanes; k++)
            if (p->producers[k].producer_id == x->producer_id) ly = top + lane_h * (int)(k + 1);
        const char *col = sev_color(x->severity);
        fprintf(f, "<a href=\"#%s\"><title>%s %s at offset %" PRId64 "</title>", x->id, x->id, x->type, x->offset);
        int64_t orig = field_int(x, "original_offset", -1), opid = field_int(x, "original_producer_id", -1);
        if (strcmp(x->type, "duplicate") == 0 && orig >= 0) {
            int oy = top;
            for (size_t k = 0; k < lanes; k++)
                if (p->producers[k].producer_id == opid) oy = top + lane_h * (int)(k + 1);
            int x0 = X(orig), x1 = X(x->offset), mid = (x0 + x1) / 2, peak = (oy < ly ? oy : ly) - 28;
            fprintf(f, "<path d=\"M%d %d Q%d %d %d %d\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" "
                       "opacity=\"0.8\"/><circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"#fff\" stroke=\"%s\" "
                       "stroke-width=\"1.5\"/>",
                    x0, oy + 5, mid, peak, x1, ly + 5, col, x0, oy + 5, col);
        }
        if (strcmp(x->type, "open_transaction") == 0)
            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"10\" fill=\"%s\" opacity=\"0.35\"/>", X(x->offset),
                    ly, X(hi) - X(x->offset) + 1, col);
        fprintf(f, "<circle cx=\"%d\" cy=\"%d\" r=\"5\" fill=\"%s\" stroke=\"#fff\"/></a>\n", X(x->offset), ly + 5, col);
    }
    if (nbacks) {
        int gy = top + lane_h * (int)(lanes + (size_t)extra);
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\" fill=\"#475467\">groups</text>"
                   "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"10\" fill=\"#f2f4f7\"/>\n",
                left - 8, gy + 9, left, gy, width);
        for (size_t k = 0; k < nbacks; k++) {
            const rm_finding *x = backs[k];
            const rm_field *g = rm_find_field(x, "group");
            int x0 = X(field_int(x, "from_offset", 0)), x1 = X(field_int(x, "to_offset", 0)), mid = (x0 + x1) / 2;
            fprintf(f, "<a href=\"#%s\"><title>%s: group ", x->id, x->id);
            esc(f, g && g->s ? g->s : "?");
            fprintf(f, " went back from offset %" PRId64 " to %" PRId64 "</title><path d=\"M%d %d Q%d %d %d %d\" "
                       "fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" marker-end=\"none\"/><circle cx=\"%d\" "
                       "cy=\"%d\" r=\"5\" fill=\"%s\" stroke=\"#fff\"/></a>\n",
                    field_int(x, "from_offset", 0), field_int(x, "to_offset", 0), x0, gy + 5, mid, gy + 22, x1, gy + 5,
                    sev_color(x->severity), x1, gy + 5, sev_color(x->severity));
        }
    }
    int ay = top + lane_h * (int)(lanes + 1 + (size_t)extra) + 14;
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#475467\">offset %" PRId64 "</text>"
               "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\" fill=\"#475467\">offset %" PRId64 "</text>\n",
            left, ay, lo, left + width, ay, hi > INT64_MIN ? hi - 1 : hi);
    fputs("<text x=\"10\" y=\"20\" font-size=\"13\" font-weight=\"600\">", f);
    esc(f, p->topic);
    fprintf(f, "-%d</text><text x=\"990\" y=\"20\" font-size=\"11\" text-anchor=\"end\" fill=\"#475467\">", p->partition);
    when(f, p->min_timestamp);
    fputs(" &rarr; ", f);
    when(f, p->max_timestamp);
    fputs("</text>\n</svg>\n", f);
#undef X
}

/* A timeline per partition with findings: one pass over every finding for
 * the spans, one to draw (from memory or the spill alike). */
/* The partition a consumer_offset_regression's group reads, when it was
 * audited (its consumed_path), else (size_t)-1. */
static size_t consumed_at(const rm_report *r, const rm_finding *x)
{
    const rm_field *path = x->tid == RT_CONSUMER_OFFSET_REGRESSION ? rm_find_field(x, "consumed_path") : NULL;
    for (size_t i = 0; path && path->s && i < r->npartitions; i++)
        if (strcmp(r->partitions[i].path, path->s) == 0) return i;
    return (size_t)-1;
}

static void timelines(const rm_report *r, FILE *f)
{
    tl_span *span = calloc(r->npartitions + 1, sizeof *span);
    /* Consumer groups going back over a partition's offsets (the examples
     * kept), drawn on that partition's timeline: backs[first[pi]..). */
    size_t *first = calloc(r->npartitions + 2, sizeof *first), *at = malloc((r->nfindings + 1) * sizeof *at);
    const rm_finding **backs = malloc((r->nfindings + 1) * sizeof *backs);
    if (!span || !first || !at || !backs) goto out;
    for (size_t k = 0; k < r->nfindings; k++)
        if ((at[k] = consumed_at(r, &r->findings[k])) != (size_t)-1) first[at[k] + 2]++;
    for (size_t pi = 0; pi < r->npartitions; pi++) first[pi + 2] += first[pi + 1];
    for (size_t k = 0; k < r->nfindings; k++) { /* in report order within each partition */
        if (at[k] == (size_t)-1) continue;
        const rm_finding *x = &r->findings[k];
        backs[first[at[k] + 1]++] = x;
        tl_span *s = &span[at[k]];
        int64_t from = field_int(x, "from_offset", 0), to = field_int(x, "to_offset", 0);
        if (!s->any) {
            const rm_partition *p = &r->partitions[at[k]];
            s->any = true;
            s->lo = p->log_start_offset < 0 ? 0 : p->log_start_offset, s->hi = p->log_end_offset;
        }
        if (to < s->lo) s->lo = to < 0 ? 0 : to;
        if (from >= s->hi) s->hi = next_of(from);
    }
    rm_iter *it = rm_iter_open(r, false);
    const rm_finding *x;
    while (it && (x = rm_iter_next(it))) span_add(r, &span[x->partition], x);
    rm_iter_close(it);
    it = rm_iter_open(r, false);
    x = it ? rm_iter_next(it) : NULL;
    for (size_t pi = 0; pi < r->npartitions; pi++) {
        if (!span[pi].any) continue;
        /* Its own findings come from the iterator while they are pi's. */
        timeline(r, f, pi, &span[pi], it, &x, backs + first[pi], first[pi + 1] - first[pi]);
    }
    rm_iter_close(it);
out:
    free(span);
    free(first);
    free(at);
    free(backs);
}

/* "new" or "present" against the baseline, nothing without one. */
static void base_badge(FILE *f, const rm_finding *x)
{
    if (x->baseline != RM_BASE_NONE)
        fprintf(f, "<span class=\"base base-%s\">%s</span>", rm_baseline_word(x->baseline), rm_baseline_word(x->baseline));
}

static void finding_card(const rm_report *r, FILE *f, const rm_finding *x)
{
    const rm_partition *p = &r->partitions[x->partition];
    fprintf(f, "<article class=\"finding\" id=\"%s\" data-type=\"%s\" data-severity=\"%s\" data-topic=\"", x->id, x->type,
            rm_severity_name(x->severity));
    esc(f, p->topic);
    fprintf(f, "\" data-partition=\"%d\"", p->partition);
    if (x->producer_id >= 0) fprintf(f, " data-producer=\"%" PRId64 "\"", x->producer_id);
    if (x->baseline != RM_BASE_NONE) fprintf(f, " data-baseline=\"%s\"", rm_baseline_word(x->baseline));
    fprintf(f, ">\n<h4><a class=\"id\" href=\"#%s\">%s</a>", x->id, x->id);
    base_badge(f, x);
    fprintf(f, "<span class=\"sev sev-%s\">%s</span> ", rm_severity_name(x->severity), rm_severity_name(x->severity));
    esc(f, x->message);
    fputs("</h4>\n<p class=\"why\">", f);
    esc(f, x->explanation);
    fputs("</p>\n<dl><dt>where</dt><dd>", f);
    esc(f, p->topic);
    fprintf(f, "-%d @ offset %" PRId64 " (", p->partition, x->offset);
    esc(f, p->path);
    fputs(")</dd>", f);
    if (x->producer_id >= 0)
        fprintf(f, "<dt>producer</dt><dd>id %" PRId64 ", epoch %d</dd>", x->producer_id, x->producer_epoch);
    if (x->incident[0]) fprintf(f, "<dt>incident</dt><dd><a href=\"#%s\">%s</a></dd>", x->incident, x->incident);
    for (int i = 0; i < x->nfields; i++) {
        const rm_field *fd = &x->fields[i];
        if (fd->words_only) continue;
        fputs("<dt>", f);
        for (const char *c = fd->key; *c; c++) fputc(*c == '_' ? ' ' : *c, f);
        fputs("</dt><dd>", f);
        /* Kafka's -1 sentinels: no producer id, epoch, sequence, timestamp. */
        bool sentinel = fd->kind == RM_INT && fd->i == -1 &&
                        (strstr(fd->key, "producer") || strstr(fd->key, "epoch") || strstr(fd->key, "sequence") ||
                         strstr(fd->key, "timestamp") || strstr(fd->key, "size"));
        if (sentinel) {
            fputs(strstr(fd->key, "size") ? "null" : "none", f);
            fputs("</dd>", f);
            continue;
        }
        bool preview = strstr(fd->key, "preview") != NULL;
        if (preview) fputs("<span class=\"preview\">", f);
        if (fd->kind == RM_STR) esc(f, fd->s);
        else if (fd->kind == RM_BOOL) fputs(fd->i ? "true" : "false", f);
        else if (fd->kind == RM_NULL) fputs("unknown", f);
        else if (strstr(fd->key, "timestamp") && fd->i >= 0) {
            fprintf(f, "%" PRId64 " (", fd->i);
            when(f, fd->i);
            fputc(')', f);
        } else fprintf(f, "%" PRId64, fd->i);
        if (preview) fputs("</span>", f);
        fputs("</dd>", f);
    }
    fputs("</dl>\n</article>\n", f);
}

/* What happened, in incidents a person acts on (the worst first). */
static void incidents(const rm_report *r, FILE *f)
{
    if (!r->nincidents) return;
    fputs("<section id=\"incidents\"><h2>Incidents</h2>\n<p class=\"intro\">Findings grouped by what a person "
          "acts on: one producer restart wherever it replayed, one retry storm, one application's resends.</p>\n"
          "<table><thead><tr><th>id</th><th>severity</th><th>what happened</th><th class=\"num\">findings</th>"
          "<th class=\"num\">records</th></tr></thead><tbody>\n",
          f);
    for (size_t i = 0; i < r->nincidents; i++) {
        const rm_incident *x = &r->incidents[i];
        fprintf(f, "<tr id=\"%s\"><td>%s</td><td><span class=\"sev sev-%s\">%s</span></td><td>", x->id, x->id,
                rm_severity_name(x->severity), rm_severity_name(x->severity));
        esc(f, x->summary ? x->summary : "");
        fprintf(f, "</td><td class=\"num\">%" PRId64 "</td><td class=\"num\">%" PRId64 "</td></tr>\n", x->findings,
                x->records);
    }
    fputs("</tbody></table></section>\n", f);
}

/* One event of a group's history: a GroupMetadata record, or a commit that
 * went back (a kept finding). */
typedef struct gevent {
    int64_t ts;
    const rm_generation *gen;
    const rm_finding *back;
} gevent;

static int cmp_gevent(const void *a, const void *b)
{
    const gevent *x = a, *y = b;
    if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
    return (x->back != NULL) - (y->back != NULL); /* a rebalance before the commit at the same time */
}

#define GROUPS_SHOWN 200

/* Consumer groups: a line each, and for those whose commits went back,
 * their history in time order, rebalances beside the commits, so that a
 * reader sees what came before each one. */
static void groups(const rm_report *r, FILE *f)
{
    if (!r->ngroups) return;
    fputs("<section id=\"groups\"><h2>Consumer groups</h2>\n<p class=\"intro\">Replayed from the "
          "<code>__consumer_offsets</code> partitions audited: each group's generations (a rebalance starts one; "
          "0 members: the group was empty) and its committed offsets.</p>\n<table><thead><tr><th>group</th>"
          "<th>coordinator partition</th><th class=\"num\">generations</th><th class=\"num\">commits</th>"
          "<th class=\"num\">went back</th><th class=\"num\">partitions read</th></tr></thead><tbody>\n",
          f);
    for (size_t i = 0; i < r->ngroups && i < GROUPS_SHOWN; i++) {
        const rm_cgroup *g = &r->groups[i];
        const rm_partition *p = &r->partitions[g->partition];
        fputs("<tr><td>", f);
        esc(f, g->name);
        if (g->deleted) fputs(" (deleted)", f);
        fputs("</td><td>", f);
        esc(f, p->topic);
        fprintf(f, "-%d</td><td class=\"num\">%" PRId64 "</td><td class=\"num\">%" PRId64 "</td><td class=\"num\">%" PRId64
                   "</td><td class=\"num\">%zu</td></tr>\n",
                p->partition, g->gens_total, g->commits, g->regressions, g->npos);
    }
    fputs("</tbody></table>\n", f);
    if (r->ngroups > GROUPS_SHOWN)
        fprintf(f, "<p class=\"omitted\">%zu more groups in the JSON report.</p>\n", r->ngroups - GROUPS_SHOWN);
    for (size_t i = 0; i < r->ngroups; i++) {
        const rm_cgroup *g = &r->groups[i];
        if (!g->regressions) continue;
        size_t n = 0, cap = g->ngens + r->nfindings;
        gevent *ev = malloc((cap ? cap : 1) * sizeof *ev);
        if (!ev) continue;
        for (size_t k = 0; k < g->ngens; k++) ev[n++] = (gevent){ g->gens[k].timestamp, &g->gens[k], NULL };
        for (size_t k = 0; k < r->nfindings; k++) {
            const rm_finding *x = &r->findings[k];
            const rm_field *name = rm_find_field(x, "group");
            if (x->tid != RT_CONSUMER_OFFSET_REGRESSION || x->partition != g->partition || !name || !name->s ||
                strcmp(name->s, g->name) != 0)
                continue;
            ev[n++] = (gevent){ field_int(x, "commit_timestamp", -1), NULL, x };
        }
        qsort(ev, n, sizeof *ev, cmp_gevent);
        fputs("<h3>", f);
        esc(f, g->name);
        fputs("</h3>\n<ul class=\"history\">\n", f);
        for (size_t k = 0; k < n; k++) {
            fputs("<li>", f);
            when(f, ev[k].ts);
            const rm_generation *x = ev[k].gen;
            if (x && x->members == 0)
                fprintf(f, " &mdash; generation %d: empty (%d member%s left)", x->generation, x->left,
                        x->left == 1 ? "" : "s");
            else if (x)
                fprintf(f, " &mdash; generation %d: %d member%s (a rebalance: %d joined, %d left)", x->generation,
                        x->members, x->members == 1 ? "" : "s", x->joined, x->left);
            else {
                fprintf(f, " &mdash; <a href=\"#%s\">%s</a> ", ev[k].back->id, ev[k].back->id);
                esc(f, ev[k].back->message);
            }
            fputs("</li>\n", f);
        }
        fputs("</ul>\n", f);
        free(ev);
    }
    fputs("</section>\n", f);
}

/* Copies of a partition on two brokers that part or lag: a strip each, the
 * common prefix and each copy's own tail along the offsets. */
static void replicas(const rm_report *r, FILE *f)
{
    bool any = false;
    for (size_t i = 0; i < r->nfindings; i++) {
        const rm_finding *x = &r->findings[i];
        if (x->tid != RT_REPLICA_DIVERGENCE && x->tid != RT_REPLICA_BEHIND) continue;
        if (!any) {
            fputs("<section id=\"replicas\"><h2>Replicas</h2>\n<p class=\"intro\">Copies of a partition on several "
                  "brokers, compared batch by batch: the offsets they share (grey), and what each holds alone past "
                  "the point where they part.</p>\n",
                  f);
            any = true;
        }
        const rm_partition *p = &r->partitions[x->partition];
        const rm_field *other = rm_find_field(x, "other_path");
        bool fork = x->tid == RT_REPLICA_DIVERGENCE;
        int64_t split = fork ? field_int(x, "diverge_offset", 0) : field_int(x, "log_end_offset", 0);
        int64_t end = field_int(x, "log_end_offset", 0), oend = field_int(x, "other_log_end_offset", 0);
        int64_t lo = p->log_start_offset < 0 ? 0 : p->log_start_offset, hi = end > oend ? end : oend;
        if (hi <= lo) hi = lo + 1;
        int left = 170, width = 1000 - left - 20;
#define SX(off) xpos((off), lo, hi, left, width)
        fputs("<h3>", f);
        esc(f, p->topic);
        fprintf(f, "-%d: <a href=\"#%s\">%s</a> %s at offset %" PRId64 "</h3>\n", p->partition, x->id, x->id,
                fork ? "the copies part" : "one copy is behind", split);
        fprintf(f, "<svg class=\"replicas\" viewBox=\"0 0 1000 84\" role=\"img\" aria-label=\"replicas\">\n");
        const char *names[2] = { p->path, other && other->s ? other->s : "?" };
        int64_t ends[2] = { end, oend };
        for (int row = 0; row < 2; row++) {
            int y = 10 + row * 30;
            int64_t broker = field_int(x, row ? "other_broker_id" : "broker_id", -1);
            if (broker >= 0)
                fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\" fill=\"#475467\">broker %" PRId64
                           "</text>",
                        left - 8, y + 13, broker);
            else
                fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\" fill=\"#475467\">%s</text>",
                        left - 8, y + 13, row ? "other copy" : "this copy");
            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"16\" fill=\"#d0d5dd\"><title>", SX(lo), y,
                    SX(split) - SX(lo) + 1);
            esc(f, names[row]);
            fprintf(f, ": offsets %" PRId64 "..%" PRId64 " shared</title></rect>", lo, split - 1);
            if (ends[row] > split) {
                fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"16\" fill=\"%s\"><title>", SX(split), y,
                        SX(ends[row]) - SX(split) + 1, fork ? (row ? "#fda29b" : "#fec84b") : "#b2ddff");
                esc(f, names[row]);
                fprintf(f, ": offsets %" PRId64 "..%" PRId64 " %s</title></rect>", split, ends[row] - 1,
                        fork ? "only here" : "ahead");
            }
            fputc('\n', f);
        }
        fprintf(f, "<text x=\"%d\" y=\"78\" font-size=\"11\" fill=\"#475467\">offset %" PRId64 "</text><text x=\"%d\" "
                   "y=\"78\" font-size=\"11\" text-anchor=\"middle\" fill=\"#475467\">%" PRId64 "</text><text x=\"%d\" "
                   "y=\"78\" font-size=\"11\" text-anchor=\"end\" fill=\"#475467\">offset %" PRId64 "</text></svg>\n",
                left, lo, SX(split), split, left + width, hi - 1);
#undef SX
        char story[4096];
        rr_replica_story(r, x, story, sizeof story);
        fputs("<p>", f);
        esc(f, story);
        fputs("</p>\n", f);
    }
    if (any) fputs("</section>\n", f);
}

/* How each topic's content repeats: why its repeats are or are not alarms. */
static void repeats(const rm_report *r, FILE *f)
{
    rr_topic_repeats tr[20];
    size_t n = rr_repeat_topics(r, tr, 20);
    if (!n) return;
    fputs("<section id=\"repeats\"><h2>Repeated content by topic</h2>\n<ul>\n", f);
    for (size_t i = 0; i < n; i++) {
        char line[600];
        rr_repeat_line(&tr[i], line, sizeof line);
        fputs("<li>", f);
        esc(f, line);
        fputs("</li>\n", f);
    }
    fputs("</ul></section>\n", f);
}

static void findings_table(const rm_report *r, FILE *f, const char **order, int n)
{
    fputs("<section id=\"table-section\"><h2 id=\"all-findings\">All listed findings</h2>\n<div class=\"filters\">"
          "<label>type <select id=\"filter-type\"><option value=\"\">all</option>",
          f);
    for (int i = 0; i < n; i++) fprintf(f, "<option value=\"%s\">%s</option>", order[i], order[i]);
    fputs("</select></label><label>severity <select id=\"filter-severity\"><option value=\"\">all</option>"
          "<option>error</option><option>warning</option><option>info</option></select></label>"
          "<label>topic <input id=\"filter-topic\" type=\"search\" placeholder=\"contains\"></label>"
          "<label>producer id <input id=\"filter-producer\" type=\"search\" placeholder=\"exact\"></label></div>\n"
          "<table id=\"findings-table\"><thead><tr><th>id</th><th>type</th><th>severity</th><th>topic</th>"
          "<th class=\"num\">partition</th><th class=\"num\">offset</th><th class=\"num\">producer</th><th>message</th>"
          "</tr></thead><tbody>\n",
          f);
    rm_iter *it = rm_iter_open(r, true);
    const rm_finding *x;
    for (size_t i = 0; it && (x = rm_iter_next(it)); i++) {
        const rm_partition *p = &r->partitions[x->partition];
        fprintf(f, "<tr data-id=\"%s\" data-type=\"%s\" data-severity=\"%s\" data-topic=\"", x->id, x->type,
                rm_severity_name(x->severity));
        esc(f, p->topic);
        fputc('"', f);
        if (x->producer_id >= 0) fprintf(f, " data-producer=\"%" PRId64 "\"", x->producer_id);
        if (x->baseline != RM_BASE_NONE) fprintf(f, " data-baseline=\"%s\"", rm_baseline_word(x->baseline));
        fprintf(f, "><td data-v=\"%zu\"><a href=\"#%s\">%s</a>", i, x->id, x->id);
        base_badge(f, x);
        fprintf(f, "</td><td>%s</td><td data-v=\"%d\">%s</td><td>", x->type, 2 - x->severity,
                rm_severity_name(x->severity));
        esc(f, p->topic);
        fprintf(f, "</td><td class=\"num\">%d</td><td class=\"num\">%" PRId64 "</td><td class=\"num\">", p->partition,
                x->offset);
        if (x->producer_id >= 0) fprintf(f, "%" PRId64, x->producer_id);
        fputs("</td><td>", f);
        esc(f, x->message);
        fputs("</td></tr>\n", f);
    }
    rm_iter_close(it);
    fputs("</tbody></table></section>\n", f);
}

#define GONE_SHOWN 500

/* The baseline's findings that are gone, as its report said them. */
static void gone(const rm_report *r, FILE *f)
{
    const rm_baseline *b = r->baseline;
    if (!b || !b->gone) return;
    fputs("<section id=\"gone\"><h2>Gone since the baseline</h2>\n<p class=\"intro\">Findings of the baseline "
          "report that this audit no longer finds where it looked, as the baseline said them.</p>\n<table><thead>"
          "<tr><th>id</th><th>type</th><th>severity</th><th>topic</th><th class=\"num\">partition</th>"
          "<th class=\"num\">offset</th><th>message</th></tr></thead><tbody>\n",
          f);
    size_t shown = 0;
    for (size_t i = 0; i < b->nfindings && shown < GONE_SHOWN; i++) {
        const rm_base_finding *x = &b->findings[i];
        if (x->state != RM_BASE_GONE) continue;
        fprintf(f, "<tr data-baseline=\"gone\"><td>%s</td><td>", x->id);
        esc(f, x->type);
        fprintf(f, "</td><td>%s</td><td>", rm_severity_name(x->severity));
        esc(f, x->topic);
        fprintf(f, "</td><td class=\"num\">%d</td><td class=\"num\">%" PRId64 "</td><td>", x->partition, x->offset);
        esc(f, x->message);
        fputs("</td></tr>\n", f);
        shown++;
    }
    fputs("</tbody></table>\n", f);
    if (b->gone > shown) fprintf(f, "<p class=\"omitted\">%zu more in the JSON report.</p>\n", b->gone - shown);
    fputs("</section>\n", f);
}

int rr_html(const rm_report *r, FILE *f, const char *version)
{
    const char *order[RM_MAX_TYPES];
    int n = types_in_order(r, order);
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
          "<title>kaudit report</title><style>",
          f);
    fputs(css, f);
    fputs("</style></head><body><main>\n<h1>Kafka log audit</h1>\n", f);
    verdict(r, f);
    incidents(r, f);
    audited(r, f, version);
    repeats(r, f);
    replicas(r, f);
    groups(r, f);
    if (n) {
        fputs("<h2 id=\"overview\">Findings by type</h2>\n", f);
        counts_table(r, f, order, n);
        bar_chart(r, f, order, n);
        fputs("<h2 id=\"timelines\">Where they are</h2>\n<p class=\"intro\">One lane per producer id along the "
              "partition's offsets. Dots are findings (red error, orange warning, blue info; click one); arcs join a "
              "duplicate to its original; a shaded bar is a transaction left open.</p>\n",
              f);
        timelines(r, f);
    }
    size_t *idx = r->nfindings ? malloc(r->nfindings * sizeof *idx) : NULL;
    for (int t = 0; t < n; t++) {
        const rt_type *ti = type_info(order[t]);
        const rm_count *c = rm_count_of(r, order[t]);
        fprintf(f, "<section class=\"type\" id=\"type-%s\"><h2>", order[t]);
        esc(f, ti ? ti->title : order[t]);
        fprintf(f, " <code>%s</code></h2>\n", order[t]);
        if (ti) {
            fputs("<p class=\"intro\">", f);
            esc(f, ti->summary);
            fputs("</p>\n", f);
        }
        /* The most severe first, as people read them; the largest first. */
        int64_t cards = 0;
        for (int s = RM_ERROR; s >= RM_INFO && idx; s--) {
            size_t k = rr_ranked(r, order[t], s, idx);
            for (size_t i = 0; i < k; i++) finding_card(r, f, &r->findings[idx[i]]);
            cards += (int64_t)k;
        }
        /* Listed past the report's memory: the largest as cards, all in the table. */
        if (rm_spilled(r) && cards < c->kept)
            fprintf(f, "<p class=\"omitted\">The %" PRId64 " largest shown here; all %" PRId64 " %s findings are in "
                       "the table below.</p>\n",
                    cards, c->kept, order[t]);
        if (c->total > c->kept)
            fprintf(f, "<p class=\"omitted\">%" PRId64 " more %s finding%s counted but not listed "
                       "(--max-examples).</p>\n",
                    c->total - c->kept, order[t], c->total - c->kept == 1 ? "" : "s");
        fputs("</section>\n", f);
    }
    free(idx);
    gone(r, f);
    if (r->nfindings) findings_table(r, f, order, n);
    fputs("</main><script>", f);
    fputs(script, f);
    fputs("</script></body></html>\n", f);
    return ferror(f) ? -1 : 0;
}
