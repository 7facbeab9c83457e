/*
 * html.c - the report as one self-contained HTML page for people: inline
 * CSS, inline SVG, one small inline script (sorting, filtering, and the
 * findings of long runs built when opened), no request to any other file
 * or host. Everything that comes from the log (topics, keys, values, paths,
 * messages) is escaped as text: first to escape.h's text form (controls and
 * bytes that are not UTF-8 as \xNN, since HTML has no reference for most of
 * them and maps C1 ones to other characters), then HTML's own characters as
 * entities.
 *
 * It stays readable, and quick to open, at 100,000 findings and more:
 * each kind of explanation is written once, in its type's section; the
 * findings table has a row per finding, and consecutive findings of one
 * partition, type and severity (thousands of repeats) share one row with
 * their count and offset range, opening onto a row each; a run longer than
 * RUN_INLINE keeps its rows as text, deflated, in one attribute (base64),
 * which the script inflates (the browser's DecompressionStream) and turns
 * into rows when the run is opened or a link names one of them: a page of
 * 100,000 elements, or of 12 MB of text, takes seconds to open, 2 MB of
 * base64 does not;
 * the timelines draw the density of every listed finding in bins along the
 * offsets; the print stylesheet prints a summary of a few pages. The
 * layout holds at 420 px: long words wrap, wide tables and charts scroll in
 * their own box.
 *
 * See render.h; the DOM is a contract tested in tests/test_html.py and
 * tests/test_report_scale.py.
 */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <zlib.h>

#include "baseline.h"
#include "escape.h"
#include "listing.h"
#include "reader/text.h"
#include "render.h"
#include "types.h"

/* Consecutive findings of one partition, type and severity from this many
 * on share a row of the findings table (a run). */
#define RUN_MIN 3
/* A run of more findings keeps them as text until it is opened (above). */
#define RUN_INLINE 200
/* Findings with their fields shown on demand: the largest of each type and
 * severity (the examples --max-examples keeps, and never more). */
#define DETAILED 100
/* The largest findings of each type and severity named in its section. */
#define LARGEST 5
/* Lists of the header shown whole up to this many entries, else folded. */
#define LIST_OPEN 4
#define NOTES_SHOWN 300
#define TOP_PARTITIONS 20

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
    "margin:0;background:#fff;overflow-wrap:anywhere}main{max-width:1180px;margin:0 auto;padding:24px 28px 60px}"
    "h1{font-size:22px;margin:0 0 4px}"
    "h2{font-size:18px;margin:36px 0 8px;padding-top:8px;border-top:1px solid var(--line)}"
    "h3{font-size:15px;margin:18px 0 6px}"
    "#verdict{font-size:18px;font-weight:600;padding:14px 16px;border-radius:8px;margin:14px 0}"
    ".v-clean{background:#ecfdf3;color:var(--ok)}.v-warning{background:#fffaeb;color:var(--warn)}"
    ".v-error{background:#fef3f2;color:var(--err)}"
    ".scroll{overflow-x:auto;max-width:100%}"
    "table{border-collapse:collapse;width:100%;margin:8px 0}th,td{text-align:left;padding:5px 8px;"
    "border-bottom:1px solid var(--line);vertical-align:top}"
    "th{background:var(--bg);font-weight:600;overflow-wrap:normal}"
    "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;overflow-wrap:normal}"
    ".meta{color:var(--mute)}.meta td:first-child{width:200px;color:var(--mute)}"
    ".meta ul{margin:4px 0;padding-left:18px}"
    ".sev{display:inline-block;white-space:nowrap;overflow-wrap:normal;padding:1px 7px;border-radius:10px;"
    "font-size:12px;font-weight:600;color:#fff}"
    ".sev-error{background:var(--err)}.sev-warning{background:var(--warn)}.sev-info{background:var(--info)}"
    "dl{display:grid;grid-template-columns:minmax(6em,210px) minmax(0,1fr);gap:2px 12px;margin:6px 0 0}"
    "dt{color:var(--mute)}"
    "dd{margin:0;font-family:ui-monospace,Menlo,monospace;font-size:12.5px}"
    "code,.preview{font-family:ui-monospace,Menlo,monospace;font-size:12.5px;background:var(--bg);padding:1px 4px;"
    "border-radius:3px;white-space:pre-wrap}"
    ".intro{color:#344054;max-width:900px}.omitted{color:var(--mute);font-style:italic}"
    ".base{display:inline-block;padding:0 6px;margin-left:6px;border-radius:10px;font-size:11px;font-weight:600;"
    "border:1px solid var(--line);color:var(--mute)}.base-new{border-color:var(--err);color:var(--err)}"
    ".filters{display:flex;gap:10px;flex-wrap:wrap;align-items:center;margin:8px 0}"
    ".filters select,.filters input{font:inherit;padding:4px 6px;border:1px solid var(--line);border-radius:5px;"
    "max-width:100%}"
    "#findings-table>thead th{cursor:pointer;user-select:none;white-space:nowrap}"
    "#findings-table>thead th:after{content:' \\2195';color:#98a2b3}"
    "#findings-table td{font-size:13px}#findings-table td.id{font-family:ui-monospace,Menlo,monospace;font-size:12px;"
    "white-space:nowrap}tr:target,tr.hit{background:#fef0c7}"
    "tr.run>td{background:var(--bg)}details>summary{cursor:pointer}.pager{margin:6px 0;font-size:12px}"
    "table.members{margin:6px 0 0;width:100%}"
    "table.members td{border-bottom:1px dotted var(--line)}a.why{font-size:12px;color:var(--mute);margin-left:4px}"
    "details.more dl{margin:4px 0 8px}.expl{border-left:3px solid var(--line);padding:2px 0 2px 12px;margin:10px 0;"
    "max-width:900px}.expl:target{border-left-color:#84caff}.expl h3{margin:4px 0;font-size:14px}.expl p{margin:4px 0}"
    "ul.largest{margin:4px 0;padding-left:18px}ul.largest li{margin:2px 0}"
    ".bars{display:grid;grid-template-columns:minmax(6em,max-content) minmax(0,1fr);gap:4px 10px;align-items:center;"
    "margin:10px 0;max-width:900px}.bars .track{display:flex;align-items:center;gap:6px;min-width:0}"
    ".bars .bar{display:inline-block;height:14px;border-radius:3px;min-width:2px}.bars .n{font-size:12px;"
    "font-variant-numeric:tabular-nums}"
    "svg text{font-family:system-ui,sans-serif}"
    ".timeline,.replicas{display:block;width:100%;min-width:560px;height:auto;border:1px solid var(--line);"
    "border-radius:6px;background:#fff;margin:6px 0}"
    ".printonly{display:none}"
    "@media (max-width:640px){main{padding:14px 12px 40px}.meta td{display:block;width:auto}"
    ".meta td:first-child{width:auto;border-bottom:0;padding-bottom:0;font-weight:600}"
    "dl{grid-template-columns:minmax(0,1fr)}dd{margin-bottom:4px}"
    /* The findings table as stacked rows: id, severity, partition and
     * offset on a line, the message below. */
    "#findings-table,#findings-table>tbody,#findings-table>tbody>tr,table.members,table.members>tbody,"
    "table.members tr{display:block;width:100%}#findings-table>thead{display:none}"
    "#findings-table>tbody>tr,table.members tr{border-bottom:1px solid var(--line);padding:4px 0}"
    "#findings-table>tbody>tr>td,table.members td{display:inline-block;border:0;padding:2px 8px 2px 0}"
    "#findings-table td.msg{display:block}#findings-table>tbody>tr>td.num:before{content:'offset '}}"
    /* Printed: the summary, a few pages; the timelines, the findings and
     * the long lists stay on screen (and in the JSON report). */
    "@media print{main{max-width:none;padding:0}body{font-size:11px}"
    ".filters,#table-section,#timelines,.history,ul.largest,.noprint{display:none}.printonly{display:block}"
    "#incidents tbody tr:nth-child(n+16),#groups tbody tr:nth-child(n+11),#top-partitions tbody tr:nth-child(n+11),"
    "#repeats li:nth-child(n+6){display:none}"
    ".scroll{overflow:visible}#audited details>:not(summary){display:none}.expl p{font-size:10.5px}"
    "h2{break-after:avoid;margin-top:18px}"
    "tr,.expl{break-inside:avoid}a{color:inherit;text-decoration:none}}";

/* Sorting the findings table and filtering its rows. A long run's rows
 * (data-z) are inflated when it is opened and shown 500 at a time, a page
 * with buttons for the others, built as text (textContent: the text is
 * never parsed as markup); a link to a finding opens what holds it,
 * inflating the runs until one holds it, and shows its page. Listeners are
 * attached here: the page has no inline event attributes. */
static const char script[] =
    "(function(){var d=document,CH=500;function $(i){return d.getElementById(i)}"
    "function el(t,c,x){var e=d.createElement(t);if(c)e.className=c;if(x!=null)e.textContent=x;return e}"
    "function lines(m){if(m._l)return Promise.resolve(m._l);try{var s=atob(m.getAttribute('data-z')),"
    "u=new Uint8Array(s.length);for(var i=0;i<s.length;i++)u[i]=s.charCodeAt(i);"
    "return new Response(new Blob([u]).stream().pipeThrough(new DecompressionStream('deflate'))).text()"
    ".then(function(t){return m._l=t.split('\\n').filter(function(x){return x})})}catch(e){return Promise.reject(e)}}"
    "function page(m,p){return lines(m).then(function(ls){var n=ls.length,last=Math.max(0,Math.ceil(n/CH)-1);"
    "if(!m._tb){var nav=el('div','pager');m._pv=el('button',null,'previous '+CH);m._nx=el('button',null,'next '+CH);"
    "m._pv.type=m._nx.type='button';m._s=el('span');nav.appendChild(m._pv);nav.appendChild(m._s);"
    "nav.appendChild(m._nx);m.appendChild(nav);m._pv.addEventListener('click',function(){page(m,m._p-1)});"
    "m._nx.addEventListener('click',function(){page(m,m._p+1)});var tab=el('table','members');m._tb=el('tbody');"
    "tab.appendChild(m._tb);m.appendChild(tab)}"
    "p=Math.max(0,Math.min(p,last));m._p=p;var fr=d.createDocumentFragment();"
    "for(var i=p*CH;i<Math.min(n,(p+1)*CH);i++){var c=ls[i].split('\\t'),tr=el('tr'),a=el('a',null,c[0]),"
    "t0=el('td','id');tr.id=c[0];a.href='#'+c[0];t0.appendChild(a);"
    "if(c[3])t0.appendChild(el('span','base base-'+c[3],c[3]));tr.appendChild(t0);"
    "tr.appendChild(el('td','num',c[1]));tr.appendChild(el('td','msg',c[2]));fr.appendChild(tr)}"
    "m._tb.textContent='';m._tb.appendChild(fr);m._s.textContent=' rows '+(p*CH+1)+'\\u2013'+Math.min(n,(p+1)*CH)+"
    "' of '+n+' ';m._pv.disabled=p===0;m._nx.disabled=p===last;return ls})"
    "['catch'](function(){if(!m._e)m.appendChild(m._e=el('p','omitted','This browser cannot inflate these rows: '"
    "+'see the JSON report.'))})}"
    "Array.prototype.forEach.call(d.querySelectorAll('details[data-z]'),function(m){"
    "m.addEventListener('toggle',function(){if(m.open&&!m._tb)page(m,0)})});"
    "function show(e){for(var p=e.parentNode;p;p=p.parentNode)if(p.tagName==='DETAILS')p.open=true;"
    "var o=d.querySelector('.hit');if(o)o.classList.remove('hit');e.classList.add('hit');e.scrollIntoView()}"
    "function reveal(){var h=location.hash.slice(1);if(!h)return;try{h=decodeURIComponent(h)}catch(e){}"
    "if($(h))return show($(h));if(!/^F[0-9a-f]{12}$/.test(h))return;var ms=d.querySelectorAll('details[data-z]');"
    "(function next(i){if(i>=ms.length)return;lines(ms[i]).then(function(ls){var k=-1;"
    "for(var j=0;j<ls.length&&k<0;j++)if(ls[j].lastIndexOf(h+'\\t',0)===0)k=j;if(k<0)return next(i+1);"
    "return page(ms[i],Math.floor(k/CH)).then(function(){if($(h))show($(h))})},function(){next(i+1)})})(0)}"
"window.addEventListener('hashchange',reveal);reveal();"
    "var t=$('findings-table');if(!t)return;var b=t.tBodies[0];"
    "Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th,i){th.addEventListener('click',function(){"
    "var rows=Array.prototype.slice.call(b.rows),asc=th.getAttribute('data-asc')!=='1';"
    "th.setAttribute('data-asc',asc?'1':'0');rows.sort(function(x,y){var a=x.cells[i].getAttribute('data-v')||"
    "x.cells[i].textContent,c=y.cells[i].getAttribute('data-v')||y.cells[i].textContent,"
    "n=parseFloat(a),m=parseFloat(c);var r=(!isNaN(n)&&!isNaN(m))?n-m:a.localeCompare(c);return asc?r:-r});"
    "rows.forEach(function(r){b.appendChild(r)})})});"
    "function apply(){var ty=$('filter-type').value,sv=$('filter-severity').value,"
    "tp=$('filter-topic').value.toLowerCase(),pr=$('filter-producer').value.trim();"
    "function ok(e){var ps=' '+(e.getAttribute('data-producers')||e.getAttribute('data-producer')||'')+' ';"
    "return(!ty||e.getAttribute('data-type')===ty)&&(!sv||e.getAttribute('data-severity')===sv)&&"
    "(!tp||(e.getAttribute('data-topic')||'').toLowerCase().indexOf(tp)>=0)&&"
    "(!pr||ps.indexOf(' '+pr+' ')>=0||ps.indexOf(' more ')>=0)}"
    "Array.prototype.forEach.call(b.rows,function(e){e.style.display=ok(e)?'':'none'})}"
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


/* A list of the header: whole when short, else folded under its count and
 * first entries, each entry once. */
static void list_cell(FILE *f, const char *const *v, size_t n, const char *noun)
{
    if (n <= LIST_OPEN) {
        for (size_t i = 0; i < n; i++)
            fputs(i ? ", <code>" : "<code>", f), esc(f, v[i]), fputs("</code>", f);
        return;
    }
    fprintf(f, "<details><summary>%zu %s: <code>", n, noun);
    esc(f, v[0]);
    fputs("</code>, <code>", f);
    esc(f, v[1]);
    fputs("</code>, &hellip;</summary><ul>", f);
    for (size_t i = 0; i < n; i++)
        fputs("<li><code>", f), esc(f, v[i]), fputs("</code></li>", f);
    fputs("</ul></details>", f);
}

/* Rows of sentences (problems, notes): a row each when few, else one row
 * folding them, at most NOTES_SHOWN. */
static void sentence_rows(FILE *f, const char *label, const char *noun, const char *const *v,
                          const char *const *who, const int32_t *part, size_t n)
{
    if (n == 0) return;
    bool fold = n > LIST_OPEN;
    if (fold) fprintf(f, "<tr><td>%s</td><td><details><summary>%zu %s</summary><ul>", label, n, noun);
    for (size_t i = 0; i < n && i < NOTES_SHOWN; i++) {
        fputs(fold ? "<li>" : "<tr><td>", f);
        if (!fold) fprintf(f, "%s</td><td>", label);
        if (who) esc(f, who[i]), fprintf(f, "-%d: ", part[i]);
        esc(f, v[i]);
        fputs(fold ? "</li>" : "</td></tr>\n", f);
    }
    if (fold && n > NOTES_SHOWN) fprintf(f, "<li>and %zu more in the JSON report</li>", n - NOTES_SHOWN);
    if (fold) fputs("</ul></details></td></tr>\n", f);
}

static void audited(const rm_report *r, FILE *f, const char *version)
{
    int64_t seg = 0, bat = 0, rec = 0, ctl = 0, bytes = 0, tmin = -1, tmax = -1;
    size_t nnotes = 0;
    for (size_t i = 0; i < r->npartitions; i++) {
        const rm_partition *p = &r->partitions[i];
        seg += p->segments, bat += p->batches, rec += p->records, ctl += p->control_records,
            bytes += p->bytes;
        if (p->min_timestamp >= 0 && (tmin < 0 || p->min_timestamp < tmin)) tmin = p->min_timestamp;
        if (p->max_timestamp > tmax) tmax = p->max_timestamp;
        nnotes += p->nnotes;
    }
    fputs("<table class=\"meta\" id=\"audited\"><tbody>\n<tr><td>Inputs</td><td>", f);
    list_cell(f, (const char *const *)r->inputs, r->ninputs, "inputs");
    fputs("</td></tr>\n", f);
    char line[2048];
    rr_options_line(r, line, sizeof line);
    fputs("<tr><td>Options</td><td>", f);
    if (line[0])
        fputs("<code>", f), esc(f, line), fputs("</code>", f);
    else
        fputs("the defaults", f);
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
    fprintf(f,
            "<tr><td>Partitions</td><td>%zu (%" PRId64 " segments, %" PRId64 " batches, %" PRId64
            " records, %" PRId64 " control records, %" PRId64 " bytes)</td></tr>\n",
            r->npartitions, seg, bat, rec, ctl, bytes);
    fputs("<tr><td>Written between</td><td>", f);
    when(f, tmin);
    fputs(" and ", f);
    when(f, tmax);
    fputs(" (batch timestamps)</td></tr>\n", f);
    /* One row per kind of fact (log directories, cluster ids, broker
     * ids), each value once, wherever the engine recorded it. */
    const char **vals = r->nmeta ? malloc(r->nmeta * sizeof *vals) : NULL;
    for (size_t i = 0; vals && i < r->nmeta; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(r->meta[j].key, r->meta[i].key) == 0;
        if (seen) continue;
        size_t n = 0;
        for (size_t j = i; j < r->nmeta; j++) {
            if (strcmp(r->meta[j].key, r->meta[i].key) != 0) continue;
            bool again = false;
            for (size_t k = 0; k < n && !again; k++)
                again = strcmp(vals[k], r->meta[j].value) == 0;
            if (!again) vals[n++] = r->meta[j].value;
        }
        fputs("<tr><td>", f);
        esc(f, r->meta[i].key);
        fputs("</td><td>", f);
        list_cell(f, vals, n, "distinct");
        fputs("</td></tr>\n", f);
    }
    free(vals);
    sentence_rows(f, "Not audited", "inputs not audited or not fully checked",
                  (const char *const *)r->problems, NULL, NULL, r->nproblems);
    const char **notes = nnotes ? malloc(nnotes * sizeof *notes) : NULL,
               **who = nnotes ? malloc(nnotes * sizeof *who) : NULL;
    int32_t *part = nnotes ? malloc(nnotes * sizeof *part) : NULL;
    if (notes && who && part) {
        size_t n = 0;
        for (size_t i = 0; i < r->npartitions; i++)
            for (size_t k = 0; k < r->partitions[i].nnotes; k++)
                notes[n] = r->partitions[i].notes[k], who[n] = r->partitions[i].topic,
                part[n++] = r->partitions[i].partition;
        sentence_rows(f, "Note", "notes (what changed while it was read, copies not compared)", notes, who,
                      part, n);
    }
    free(notes);
    free(who);
    free(part);
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


/* Bars of findings by type, coloured by the worst severity: HTML, so the
 * labels stay readable at any width. */
static void bar_chart(const rm_report *r, FILE *f, const char **order, int n)
{
    int64_t max = 1;
    for (int i = 0; i < n; i++)
        if (rm_count_of(r, order[i])->total > max) max = rm_count_of(r, order[i])->total;
    fputs("<div id=\"findings-bar\" class=\"bars\" role=\"img\" aria-label=\"findings by type\">\n", f);
    for (int i = 0; i < n; i++) {
        const rm_count *c = rm_count_of(r, order[i]);
        /* Linear, so lengths compare honestly; the count is printed beside. */
        double pct = (double)c->total / (double)max * 85.0;
        fprintf(f,
                "<span class=\"label\">%s</span><span class=\"track\" data-type=\"%s\"><span class=\"bar\" "
                "style=\"width:%.1f%%;background:%s\"></span><span class=\"n\">%" PRId64 "</span></span>\n",
                order[i], order[i], pct, sev_color(worst_of(c)), c->total);
    }
    fputs("</div>\n", f);
}

/* A partition's findings, counted (listed or not), by severity. */
static void partition_counts(const rm_partition *p, int64_t by[3])
{
    by[0] = by[1] = by[2] = 0;
    for (int k = 0; k < p->nby_type; k++)
        for (int s = 0; s < 3; s++)
            by[s] += p->by_type[k].by_severity[s];
}

static int cmp_ranked_part(const void *a, const void *b, void *ctx)
{
    const rm_report *r = ctx;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int64_t bx[3], by[3];
    partition_counts(&r->partitions[x], bx);
    partition_counts(&r->partitions[y], by);
    for (int s = RM_ERROR; s >= RM_INFO; s--)
        if (bx[s] != by[s]) return bx[s] > by[s] ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* The partitions with the most findings (every one counted, listed or
 * not): the most errors first, then warnings, then notes. */
static void top_partitions(const rm_report *r, FILE *f, const int64_t *listed)
{
    size_t *v = malloc((r->npartitions + 1) * sizeof *v), n = 0;
    for (size_t i = 0; v && i < r->npartitions; i++) {
        int64_t by[3];
        partition_counts(&r->partitions[i], by);
        if (by[0] + by[1] + by[2] > 0) v[n++] = i;
    }
    if (!v || n == 0) {
        free(v);
        return;
    }
    qsort_r(v, n, sizeof *v, cmp_ranked_part, (void *)r);
    fputs("<section id=\"top-partitions\"><h2>Partitions with the most findings</h2>\n<div "
          "class=\"scroll\"><table>"
          "<thead><tr><th>partition</th><th class=\"num\">error</th><th class=\"num\">warning</th><th "
          "class=\"num\">info"
          "</th><th class=\"num\">total</th><th class=\"num\">listed</th></tr></thead><tbody>\n",
          f);
    for (size_t i = 0; i < n && i < TOP_PARTITIONS; i++) {
        const rm_partition *p = &r->partitions[v[i]];
        int64_t by[3];
        partition_counts(p, by);
        fprintf(f, "<tr><td><a href=\"#tl-%zu\">", v[i]);
        esc(f, p->topic);
        fprintf(f, "-%d</a> <span class=\"noprint\"><code>", p->partition);
        esc(f, p->path);
        fprintf(f,
                "</code></span></td><td class=\"num\">%" PRId64 "</td><td class=\"num\">%" PRId64
                "</td><td class=\"num\">%" PRId64 "</td><td class=\"num\">%" PRId64
                "</td><td class=\"num\">%" PRId64 "</td></tr>\n",
                by[RM_ERROR], by[RM_WARNING], by[RM_INFO], by[0] + by[1] + by[2], listed ? listed[v[i]] : 0);
    }
    fputs("</tbody></table></div>\n", f);
    if (n > TOP_PARTITIONS)
        fprintf(f, "<p class=\"omitted\">and %zu more partitions with findings.</p>\n", n - TOP_PARTITIONS);
    fputs("</section>\n", f);
    free(v);
}

/* ---- one pass over every listed finding, before anything is drawn ---------- */

#define RUN_PRODUCERS 8

/* A row group of the findings table: consecutive findings (report order)
 * of one partition, type and severity. Fewer than RUN_MIN are rows of
 * their own; more are a run. */
typedef struct hrun {
    size_t partition;
    int tid, severity;
    int64_t count;
    int64_t first_offset, last_offset;
    int64_t producers[RUN_PRODUCERS]; /* distinct, in order; -1 (none) not counted */
    int nproducers;
    bool more_producers;
    int64_t by_expl[RT_MAX_EXPLANATIONS]; /* how many read each of the type's explanations */
} hrun;

/* The offsets a partition's timeline spans: its log, and every finding of
 * it with the originals duplicates point back to. */
typedef struct tl_span {
    bool any; /* a finding of it is listed */
    int64_t lo, hi;
} tl_span;

typedef struct survey {
    tl_span *span;                               /* per partition */
    int64_t *listed;                             /* per partition */
    int64_t expl[RT_COUNT][RT_MAX_EXPLANATIONS]; /* listed findings reading each explanation */
    hrun *runs;
    size_t nruns, capruns;
    bool failed; /* out of memory, or the listing could not be read */
} survey;

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

static void run_add(survey *v, const rm_finding *x, int k)
{
    hrun *u = v->nruns ? &v->runs[v->nruns - 1] : NULL;
    if (!u || u->partition != x->partition || u->tid != x->tid || u->severity != x->severity) {
        if (v->nruns == v->capruns) {
            size_t cap = v->capruns ? v->capruns * 2 : 64;
            hrun *nr = realloc(v->runs, cap * sizeof *nr);
            if (!nr) {
                v->failed = true;
                return;
            }
            v->runs = nr, v->capruns = cap;
        }
        u = &v->runs[v->nruns++];
        memset(u, 0, sizeof *u);
        u->partition = x->partition, u->tid = x->tid, u->severity = x->severity;
        u->first_offset = x->offset;
    }
    u->count++;
    u->last_offset = x->offset;
    u->by_expl[k]++;
    if (x->producer_id < 0) return;
    bool known = false;
    for (int i = 0; i < u->nproducers && !known; i++)
        known = u->producers[i] == x->producer_id;
    if (known) return;
    if (u->nproducers < RUN_PRODUCERS)
        u->producers[u->nproducers++] = x->producer_id;
    else
        u->more_producers = true;
}

/* Spans, row groups and explanations of every listed finding. */
static void survey_all(const rm_report *r, survey *v)
{
    memset(v, 0, sizeof *v);
    v->span = calloc(r->npartitions + 1, sizeof *v->span);
    v->listed = calloc(r->npartitions + 1, sizeof *v->listed);
    rm_iter *it = v->span && v->listed ? rm_iter_open(r, false) : NULL;
    const rm_finding *x;
    while (it && (x = rm_iter_next(it))) {
        int k = 0;
        rt_explain(x, &k, NULL);
        span_add(r, &v->span[x->partition], x);
        v->listed[x->partition]++;
        v->expl[x->tid][k]++;
        run_add(v, x, k);
    }
    v->failed |= !it || rm_iter_failed(it);
    rm_iter_close(it);
}

static void survey_free(survey *v)
{
    free(v->span);
    free(v->listed);
    free(v->runs);
}

/* ---- timelines -------------------------------------------------------------- */

#define TL_BINS  120
#define TL_LANES 12 /* producer lanes drawn; the others' findings go to the log's */
#define TL_MARKS 40 /* duplicate arcs and open transactions drawn per partition, the worst first */

/* Findings of one lane in one bin of offsets. */
typedef struct tl_bin {
    int64_t n;
    int worst;      /* the highest severity among them */
    char first[24]; /* the first one's id: where the bin links */
} tl_bin;

/* A duplicate's arc or an open transaction's bar. */
typedef struct tl_mark {
    int severity, lane, olane;
    int64_t offset, original;
    bool txn;
    char id[24];
} tl_mark;

typedef struct tl_state {
    tl_bin bins[TL_LANES + 1][TL_BINS]; /* lane 0: the log (no producer, or one not drawn) */
    tl_mark marks[TL_MARKS];
    int nmarks;
} tl_state;

static int lane_of(const rm_partition *p, size_t lanes, int64_t pid)
{
    for (size_t k = 0; pid >= 0 && k < lanes; k++)
        if (p->producers[k].producer_id == pid) return (int)k + 1;
    return 0;
}

static int bin_of(int64_t off, int64_t lo, int64_t hi)
{
    if (off <= lo) return 0;
    if (off >= hi) return TL_BINS - 1;
    int b = (int)(((double)off - (double)lo) / ((double)hi - (double)lo) * TL_BINS);
    return b < 0 ? 0 : b >= TL_BINS ? TL_BINS - 1 : b;
}

/* Keep a mark, the worst severities first, the first among equals. */
static void mark_add(tl_state *s, const tl_mark *m)
{
    if (s->nmarks < TL_MARKS) {
        s->marks[s->nmarks++] = *m;
        return;
    }
    int low = 0;
    for (int i = 1; i < s->nmarks; i++)
        if (s->marks[i].severity <= s->marks[low].severity) low = i;
    if (m->severity > s->marks[low].severity) s->marks[low] = *m;
}

/* The histogram of every finding counted in partition p (rm_density,
 * listed or not) over [lo, hi), each bin linked to the first finding listed
 * in it when there is one; false when p has none with an offset. */
static bool density_histogram(FILE *f, const rm_partition *p, const tl_state *s, int64_t lo, int64_t hi, int left,
                              int width, int top, int h)
{
    const rm_density *d = p->density;
    int64_t n[RM_DENSITY_BINS], max = 0;
    for (int i = 0; d && i < RM_DENSITY_BINS; i++) {
        n[i] = d->n[RM_ERROR][i] + d->n[RM_WARNING][i] + d->n[RM_INFO][i];
        if (n[i] > max) max = n[i];
    }
    if (!max) return false;
    for (int i = 0; i < RM_DENSITY_BINS; i++) {
        if (!n[i]) continue;
        /* the bin's offsets [a, b), within the timeline's span */
        int64_t a = d->base + (int64_t)i * d->width, b = d->width > INT64_MAX - a ? INT64_MAX : a + d->width;
        int64_t ca = a < lo ? lo : a > hi ? hi : a, cb = b > hi ? hi : b < lo ? lo : b;
        int x0 = xpos(ca, lo, hi, left, width), x1 = xpos(cb, lo, hi, left, width);
        int worst = d->n[RM_ERROR][i] ? RM_ERROR : d->n[RM_WARNING][i] ? RM_WARNING : RM_INFO;
        int bh = 2 + (int)((h - 2) * sqrt((double)n[i] / (double)max));
        const char *first = NULL;
        for (int t = bin_of(ca, lo, hi); t <= bin_of(cb > ca ? cb - 1 : ca, lo, hi) && !first; t++)
            for (int l = 0; l <= TL_LANES && !first; l++)
                if (s->bins[l][t].n) first = s->bins[l][t].first;
        if (first) fprintf(f, "<a href=\"#%s\">", first);
        fprintf(f,
                "<g><title>offsets %" PRId64 "..%" PRId64 ": %" PRId64 " finding%s</title><rect x=\"%d\" y=\"%d\" "
                "width=\"%d\" height=\"%d\" fill=\"%s\"/></g>%s\n",
                a, b - 1, n[i], n[i] == 1 ? "" : "s", x0, top + h - bh, x1 - x0 > 1 ? x1 - x0 - 1 : 1, bh,
                sev_color(worst), first ? "</a>" : "");
    }
    return true;
}

/* Partition pi's timeline over `span`: the density of its listed findings
 * along the offsets (every one of them, in TL_BINS bins: all findings, then
 * a lane per producer id), duplicates joined to their originals and open
 * transactions shaded (the worst TL_MARKS), consumer groups going back over
 * its offsets; its findings come from *cur on while they are pi's (report
 * order: rm_iter). */
static void timeline(const rm_report *r, FILE *f, size_t pi, const tl_span *span, int64_t listed, rm_iter *it,
                     const rm_finding **cur, const rm_finding *const *backs, size_t nbacks, tl_state *s)
{
    const rm_partition *p = &r->partitions[pi];
    int64_t lo = span->lo, hi = span->hi;
    if (hi <= lo) hi = next_of(lo);
    size_t lanes = p->nproducers < TL_LANES ? p->nproducers : TL_LANES;
    memset(s, 0, sizeof *s);
    for (; *cur && (*cur)->partition == pi; *cur = rm_iter_next(it)) {
        const rm_finding *x = *cur;
        if (x->offset < 0) continue;
        int lane = lane_of(p, lanes, x->producer_id), b = bin_of(x->offset, lo, hi);
        tl_bin *c = &s->bins[lane][b];
        if (c->n++ == 0)
            memcpy(c->first, x->id, sizeof c->first), c->worst = x->severity;
        else if (x->severity > c->worst)
            c->worst = x->severity;
        int64_t orig = field_int(x, "original_offset", -1);
        if ((x->tid == RT_DUPLICATE && orig >= 0) || x->tid == RT_OPEN_TRANSACTION) {
            tl_mark m = {x->severity, lane, lane_of(p, lanes, field_int(x, "original_producer_id", -1)),
                         x->offset,   orig, x->tid == RT_OPEN_TRANSACTION,
                         ""};
            memcpy(m.id, x->id, sizeof m.id);
            mark_add(s, &m);
        }
    }
    int64_t total[TL_BINS] = {0}, tmax = 1, lmax = 1;
    int worst[TL_BINS];
    const char *first[TL_BINS];
    for (int b = 0; b < TL_BINS; b++) {
        worst[b] = -1, first[b] = NULL;
        for (size_t l = 0; l <= lanes; l++) {
            const tl_bin *c = &s->bins[l][b];
            if (!c->n) continue;
            total[b] += c->n;
            if (c->n > lmax) lmax = c->n;
            if (c->worst > worst[b]) worst[b] = c->worst;
            if (!first[b]) first[b] = c->first; /* the log's lane first: any one of the bin's */
        }
        if (total[b] > tmax) tmax = total[b];
    }
    int top = 40, dens_h = 34, lane_top = top + dens_h + 10, lane_h = 20, left = 170,
        width = 1000 - left - 20;
    int extra = nbacks ? 1 : 0;
    int h = lane_top + lane_h * (int)(lanes + 1 + (size_t)extra) + 30;
    double bw = (double)width / TL_BINS;
#define X(off) xpos((off), lo, hi, left, width)
    int64_t counted[3];
    partition_counts(p, counted);
    fprintf(f, "<div class=\"scroll\" id=\"tl-%zu\"><svg class=\"timeline\" data-topic=\"", pi);
    esc(f, p->topic);
    fprintf(f, "\" data-partition=\"%d\" viewBox=\"0 0 1000 %d\" role=\"img\" aria-label=\"timeline\">\n",
            p->partition, h);
    fputs("<text x=\"10\" y=\"20\" font-size=\"13\" font-weight=\"600\">", f);
    esc(f, p->topic);
    fprintf(f, "-%d</text><text x=\"990\" y=\"20\" font-size=\"11\" text-anchor=\"end\" fill=\"#475467\">",
            p->partition);
    when(f, p->min_timestamp);
    fputs(" &rarr; ", f);
    when(f, p->max_timestamp);
    int64_t all = counted[0] + counted[1] + counted[2];
    fprintf(f,
            "</text>\n<text x=\"10\" y=\"36\" font-size=\"11\" fill=\"#475467\">%" PRId64 " finding%s listed",
            listed, listed == 1 ? "" : "s");
    if (all > listed) fprintf(f, " of %" PRId64 " counted (--max-examples)", all);
    fputs("</text>\n", f);
    /* Every finding, as a histogram over the offsets: counted (listed or
     * not) where the model kept their density, else those listed. */
    fprintf(
        f,
        "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\" fill=\"#475467\">all findings</text>"
        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#f9fafb\"/>\n",
        left - 8, top + dens_h - 4, left, top, width, dens_h);
    if (!density_histogram(f, p, s, lo, hi, left, width, top, dens_h))
        for (int b = 0; b < TL_BINS; b++) {
            if (!total[b]) continue;
            int bh = 2 + (int)((dens_h - 2) * sqrt((double)total[b] / (double)tmax));
            int x0 = left + (int)(b * bw), x1 = left + (int)((b + 1) * bw);
            int64_t o0 = lo + (int64_t)((double)(hi - lo) * b / TL_BINS),
                    o1 = lo + (int64_t)((double)(hi - lo) * (b + 1) / TL_BINS) - 1;
            if (o1 < o0) o1 = o0;
            fprintf(f,
                    "<a href=\"#%s\"><title>offsets %" PRId64 "..%" PRId64 ": %" PRId64
                    " finding%s</title><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/></a>\n",
                    first[b], o0, o1, total[b], total[b] == 1 ? "" : "s", x0, top + dens_h - bh,
                    x1 - x0 > 1 ? x1 - x0 - 1 : 1, bh, sev_color(worst[b]));
        }
    /* The log's lane, then one per producer: where each wrote, and the
     * density of its findings. */
    for (size_t l = 0; l <= lanes; l++) {
        int ly = lane_top + lane_h * (int)l;
        if (l == 0)
            fprintf(f,
                    "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\" fill=\"#475467\">log</text>"
                    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"10\" fill=\"#eaecf0\"/>\n",
                    left - 8, ly + 9, left, ly, width);
        else {
            const rm_producer *y = &p->producers[l - 1];
            fprintf(
                f,
                "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\" fill=\"#475467\">pid %" PRId64
                " e%d</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"10\" "
                "fill=\"#d1e9ff\"><title>producer %" PRId64 ": offsets %" PRId64 "..%" PRId64
                "</title></rect>\n",
                left - 8, ly + 9, y->producer_id, y->epoch, X(y->first_offset), ly,
                X(next_of(y->last_offset)) - X(y->first_offset) + 1, y->producer_id, y->first_offset,
                y->last_offset);
        }
        for (int b = 0; b < TL_BINS; b++) {
            const tl_bin *c = &s->bins[l][b];
            if (!c->n) continue;
            int x0 = left + (int)(b * bw), x1 = left + (int)((b + 1) * bw);
            double op = 0.35 + 0.65 * sqrt((double)c->n / (double)lmax);
            fprintf(f,
                    "<a href=\"#%s\"><title>%" PRId64
                    " finding%s</title><rect x=\"%d\" y=\"%d\" width=\"%d\" "
                    "height=\"10\" fill=\"%s\" opacity=\"%.2f\"/></a>\n",
                    c->first, c->n, c->n == 1 ? "" : "s", x0, ly, x1 - x0 > 2 ? x1 - x0 - 1 : 2,
                    sev_color(c->worst), op);
        }
    }
    if (p->nproducers > lanes)
        fprintf(f,
                "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#475467\">+%zu more producers (on the log's "
                "lane)</text>\n",
                left, lane_top + lane_h * (int)(lanes + 1) + 9, p->nproducers - lanes);
    for (int i = 0; i < s->nmarks; i++) {
        const tl_mark *m = &s->marks[i];
        int ly = lane_top + lane_h * m->lane, oy = lane_top + lane_h * m->olane;
        const char *col = sev_color(m->severity);
        fprintf(f, "<a href=\"#%s\"><title>%s at offset %" PRId64 "</title>", m->id, m->id, m->offset);
        if (m->txn)
            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"10\" fill=\"%s\" opacity=\"0.35\"/>",
                    X(m->offset), ly, X(hi) - X(m->offset) + 1, col);
        else {
            int x0 = X(m->original), x1 = X(m->offset), mid = (x0 + x1) / 2, peak = (oy < ly ? oy : ly) - 16;
            fprintf(f,
                    "<path d=\"M%d %d Q%d %d %d %d\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" "
                    "opacity=\"0.8\"/>"
                    "<circle cx=\"%d\" cy=\"%d\" r=\"3\" fill=\"#fff\" stroke=\"%s\" stroke-width=\"1.5\"/>",
                    x0, oy + 5, mid, peak, x1, ly + 5, col, x0, oy + 5, col);
        }
        fputs("</a>\n", f);
    }
    if (nbacks) {
        int gy = lane_top + lane_h * (int)(lanes + 1);
        fprintf(f,
                "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\" fill=\"#475467\">groups</text>"
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"10\" fill=\"#f2f4f7\"/>\n",
                left - 8, gy + 9, left, gy, width);
        for (size_t k = 0; k < nbacks; k++) {
            const rm_finding *x = backs[k];
            const rm_field *g = rm_find_field(x, "group");
            int x0 = X(field_int(x, "from_offset", 0)), x1 = X(field_int(x, "to_offset", 0)),
                mid = (x0 + x1) / 2;
            fprintf(f, "<a href=\"#%s\"><title>%s: group ", x->id, x->id);
            esc(f, g && g->s ? g->s : "?");
            fprintf(f,
                    " went back from offset %" PRId64 " to %" PRId64
                    "</title><path d=\"M%d %d Q%d %d %d %d\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"/>"
                    "<circle cx=\"%d\" cy=\"%d\" r=\"5\" fill=\"%s\" stroke=\"#fff\"/></a>\n",
                    field_int(x, "from_offset", 0), field_int(x, "to_offset", 0), x0, gy + 5, mid, gy + 22,
                    x1, gy + 5, sev_color(x->severity), x1, gy + 5, sev_color(x->severity));
        }
    }
    int ay = lane_top + lane_h * (int)(lanes + 1 + (size_t)extra) + 14;
    fprintf(f,
            "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#475467\">offset %" PRId64 "</text>"
            "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\" fill=\"#475467\">offset %" PRId64
            "</text>\n",
            left, ay, lo, left + width, ay, hi > INT64_MIN ? hi - 1 : hi);
    fputs("</svg></div>\n", f);
#undef X
}
/* The partition a consumer_offset_regression's group reads, when it was
 * audited (its consumed_path), else (size_t)-1. */
static size_t consumed_at(const rm_report *r, const rm_finding *x)
{
    const rm_field *path = x->tid == RT_CONSUMER_OFFSET_REGRESSION ? rm_find_field(x, "consumed_path") : NULL;
    for (size_t i = 0; path && path->s && i < r->npartitions; i++)
        if (strcmp(r->partitions[i].path, path->s) == 0) return i;
    return (size_t)-1;
}

/* A timeline per partition with findings, listed or only counted: one pass
 * over every finding (from memory or the spill alike). */
static void timelines(const rm_report *r, FILE *f, const survey *v)
{
    /* Consumer groups going back over a partition's offsets (the examples
     * kept), drawn on that partition's timeline: backs[first[pi]..). */
    size_t *first = calloc(r->npartitions + 2, sizeof *first), *at = malloc((r->nfindings + 1) * sizeof *at);
    const rm_finding **backs = malloc((r->nfindings + 1) * sizeof *backs);
    tl_span *span = malloc((r->npartitions + 1) * sizeof *span);
    tl_state *s = malloc(sizeof *s);
    if (!first || !at || !backs || !span || !s || !v->span || !v->listed) goto out;
    memcpy(span, v->span, r->npartitions * sizeof *span);
    for (size_t k = 0; k < r->nfindings; k++)
        if ((at[k] = consumed_at(r, &r->findings[k])) != (size_t)-1) first[at[k] + 2]++;
    for (size_t pi = 0; pi < r->npartitions; pi++)
        first[pi + 2] += first[pi + 1];
    for (size_t k = 0; k < r->nfindings; k++) { /* in report order within each partition */
        if (at[k] == (size_t)-1) continue;
        const rm_finding *x = &r->findings[k];
        backs[first[at[k] + 1]++] = x;
        tl_span *sp = &span[at[k]];
        int64_t from = field_int(x, "from_offset", 0), to = field_int(x, "to_offset", 0);
        if (!sp->any) {
            const rm_partition *p = &r->partitions[at[k]];
            sp->any = true;
            sp->lo = p->log_start_offset < 0 ? 0 : p->log_start_offset, sp->hi = p->log_end_offset;
        }
        if (to < sp->lo) sp->lo = to < 0 ? 0 : to;
        if (from >= sp->hi) sp->hi = next_of(from);
    }
    rm_iter *it = rm_iter_open(r, false);
    const rm_finding *x = it ? rm_iter_next(it) : NULL;
    for (size_t pi = 0; pi < r->npartitions; pi++) {
        int64_t by[3];
        partition_counts(&r->partitions[pi], by);
        if (!span[pi].any && by[0] + by[1] + by[2] == 0) continue;
        if (!span[pi].any) {
            const rm_partition *p = &r->partitions[pi];
            span[pi].lo = p->log_start_offset < 0 ? 0 : p->log_start_offset, span[pi].hi = p->log_end_offset;
        }
        /* Its own findings come from the iterator while they are pi's. */
        timeline(r, f, pi, &span[pi], v->listed[pi], it, &x, backs + first[pi], first[pi + 1] - first[pi], s);
    }
    rm_iter_close(it);
out:
    free(first);
    free(at);
    free(backs);
    free(span);
    free(s);
}

/* ---- the findings -------------------------------------------------------------- */

/* The ids of the findings shown with their fields (DETAILED of each type
 * and severity, the largest), sorted for bsearch. */
typedef struct detailed {
    char (*ids)[24];
    size_t n;
} detailed;

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void detailed_make(const rm_report *r, detailed *dt, const char **order, int ntypes)
{
    dt->n = 0;
    dt->ids = r->nfindings ? malloc(r->nfindings * sizeof *dt->ids) : NULL;
    size_t *idx = r->nfindings ? malloc(r->nfindings * sizeof *idx) : NULL;
    for (int t = 0; dt->ids && idx && t < ntypes; t++)
        for (int s = RM_ERROR; s >= RM_INFO; s--) {
            size_t k = rr_ranked(r, order[t], s, idx);
            for (size_t i = 0; i < k && i < DETAILED; i++)
                memcpy(dt->ids[dt->n++], r->findings[idx[i]].id, 24);
        }
    free(idx);
    if (dt->n) qsort(dt->ids, dt->n, sizeof *dt->ids, cmp_id);
}

static bool is_detailed(const detailed *dt, const rm_finding *x)
{
    return dt->n && bsearch(x->id, dt->ids, dt->n, sizeof *dt->ids, cmp_id) != NULL;
}

/* "new" or "present" against the baseline, nothing without one. */
static void base_badge(FILE *f, const rm_finding *x)
{
    if (x->baseline != RM_BASE_NONE)
        fprintf(f, "<span class=\"base base-%s\">%s</span>", rm_baseline_word(x->baseline),
                rm_baseline_word(x->baseline));
}

/* A link to the explanation a finding reads, in its type's section. */
static void why_link(FILE *f, const rm_finding *x, int k)
{
    fprintf(f, "<a class=\"why\" href=\"#x-%s\">why</a>", rt_explanation_of(x->tid, k).key);
}

/* A finding's fields, on demand: where, producer, incident, each field of
 * its type, and its own words of explanation (its evidence). */
static void finding_details(const rm_report *r, FILE *f, const rm_finding *x, const char *detail)
{
    const rm_partition *p = &r->partitions[x->partition];
    fputs("<details class=\"more\"><summary>details</summary><dl><dt>where</dt><dd>", f);
    esc(f, p->topic);
    fprintf(f, "-%d @ offset %" PRId64 " (", p->partition, x->offset);
    esc(f, p->path);
    fputs(")</dd>", f);
    if (x->producer_id >= 0)
        fprintf(f, "<dt>producer</dt><dd>id %" PRId64 ", epoch %d</dd>", x->producer_id, x->producer_epoch);
    if (x->incident[0])
        fprintf(f, "<dt>incident</dt><dd><a href=\"#%s\">%s</a></dd>", x->incident, x->incident);
    if (detail) fputs("<dt>evidence</dt><dd>", f), esc(f, detail), fputs("</dd>", f);
    for (int i = 0; i < x->nfields; i++) {
        const rm_field *fd = &x->fields[i];
        if (fd->words_only) continue;
        fputs("<dt>", f);
        for (const char *c = fd->key; *c; c++)
            fputc(*c == '_' ? ' ' : *c, f);
        fputs("</dt><dd>", f);
        /* Kafka's -1 sentinels: no producer id, epoch, sequence, timestamp. */
        bool sentinel =
            fd->kind == RM_INT && fd->i == -1 &&
            (strstr(fd->key, "producer") || strstr(fd->key, "epoch") || strstr(fd->key, "sequence") ||
             strstr(fd->key, "timestamp") || strstr(fd->key, "size"));
        if (sentinel) {
            fputs(strstr(fd->key, "size") ? "null" : "none", f);
            fputs("</dd>", f);
            continue;
        }
        bool preview = strstr(fd->key, "preview") != NULL;
        if (preview) fputs("<span class=\"preview\">", f);
        if (fd->kind == RM_STR)
            esc(f, fd->s);
        else if (fd->kind == RM_BOOL)
            fputs(fd->i ? "true" : "false", f);
        else if (fd->kind == RM_NULL)
            fputs("unknown", f);
        else if (strstr(fd->key, "timestamp") && fd->i >= 0) {
            fprintf(f, "%" PRId64 " (", fd->i);
            when(f, fd->i);
            fputc(')', f);
        } else
            fprintf(f, "%" PRId64, fd->i);
        if (preview) fputs("</span>", f);
        fputs("</dd>", f);
    }
    fputs("</dl></details>", f);
}

/* The message cell of a finding shown as an element: its message, the
 * link to its explanation, its fields when it is detailed. */
static void message_cell(const rm_report *r, FILE *f, const rm_finding *x, const detailed *dt)
{
    int k = 0;
    char *detail = NULL;
    bool more = is_detailed(dt, x);
    if (rt_explain(x, &k, more ? &detail : NULL) < 0) detail = NULL;
    fputs("<td class=\"msg\">", f);
    esc(f, x->message);
    why_link(f, x, k);
    if (more) finding_details(r, f, x, detail);
    free(detail);
    fputs("</td>", f);
}

static void row_attrs(const rm_report *r, FILE *f, size_t pi, int tid, int severity)
{
    const rm_partition *p = &r->partitions[pi];
    fprintf(f, " data-type=\"%s\" data-severity=\"%s\" data-topic=\"", rt_type_of(tid)->name,
            rm_severity_name(severity));
    esc(f, p->topic);
    fprintf(f, "\" data-partition=\"%d\"", p->partition);
}

static void partition_cell(const rm_report *r, FILE *f, size_t pi)
{
    const rm_partition *p = &r->partitions[pi];
    fputs("<td>", f);
    esc(f, p->topic);
    fprintf(f, "-%d</td>", p->partition);
}

/* A finding's own row: id, severity, partition, offset, message. */
static void finding_row(const rm_report *r, FILE *f, const rm_finding *x, size_t row, const detailed *dt)
{
    fprintf(f, "<tr id=\"%s\"", x->id);
    row_attrs(r, f, x->partition, x->tid, x->severity);
    if (x->producer_id >= 0) fprintf(f, " data-producer=\"%" PRId64 "\"", x->producer_id);
    if (x->baseline != RM_BASE_NONE) fprintf(f, " data-baseline=\"%s\"", rm_baseline_word(x->baseline));
    fprintf(f, "><td class=\"id\" data-v=\"%zu\"><a href=\"#%s\">%s</a>", row, x->id, x->id);
    base_badge(f, x);
    fprintf(f, "</td><td data-v=\"%d\"><span class=\"sev sev-%s\">%s</span></td>", 2 - x->severity,
            rm_severity_name(x->severity), rm_severity_name(x->severity));
    partition_cell(r, f, x->partition);
    fprintf(f, "<td class=\"num\">%" PRId64 "</td>", x->offset);
    message_cell(r, f, x, dt);
    fputs("</tr>\n", f);
}

/* A FILE whose bytes are deflated (zlib's format, which the browser's
 * DecompressionStream("deflate") reads) and written to `out` in base64:
 * a long run's rows. The same bytes in give the same bytes out. */
typedef struct zfile {
    z_stream z;
    FILE *out;
    unsigned char held[3]; /* bytes waiting for base64's group of three */
    int nheld;
    bool failed;
} zfile;

static void b64_put(zfile *zf, const unsigned char *p, size_t n, bool last)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char quad[4];
    for (size_t i = 0; i < n; i++) {
        zf->held[zf->nheld++] = p[i];
        if (zf->nheld < 3) continue;
        quad[0] = abc[zf->held[0] >> 2], quad[1] = abc[((zf->held[0] & 3) << 4) | (zf->held[1] >> 4)];
        quad[2] = abc[((zf->held[1] & 15) << 2) | (zf->held[2] >> 6)], quad[3] = abc[zf->held[2] & 63];
        fwrite(quad, 1, 4, zf->out);
        zf->nheld = 0;
    }
    if (!last || !zf->nheld) return;
    unsigned char b1 = zf->nheld > 1 ? zf->held[1] : 0;
    quad[0] = abc[zf->held[0] >> 2], quad[1] = abc[((zf->held[0] & 3) << 4) | (b1 >> 4)];
    quad[2] = zf->nheld > 1 ? abc[(b1 & 15) << 2] : '=', quad[3] = '=';
    fwrite(quad, 1, 4, zf->out);
    zf->nheld = 0;
}

/* Deflate what is pending with `flush`, writing the output as it comes. */
static void z_pump(zfile *zf, int flush)
{
    unsigned char buf[16384];
    do {
        zf->z.next_out = buf, zf->z.avail_out = sizeof buf;
        int rc = deflate(&zf->z, flush);
        if (rc == Z_STREAM_ERROR) {
            zf->failed = true;
            return;
        }
        b64_put(zf, buf, sizeof buf - zf->z.avail_out, false);
    } while (zf->z.avail_out == 0);
}

static ssize_t z_write(void *cookie, const char *p, size_t n)
{
    zfile *zf = cookie;
    zf->z.next_in = (Bytef *)(uintptr_t)p, zf->z.avail_in = (uInt)n;
    z_pump(zf, Z_NO_FLUSH);
    return zf->failed ? -1 : (ssize_t)n;
}

static int z_close(void *cookie)
{
    zfile *zf = cookie;
    zf->z.next_in = NULL, zf->z.avail_in = 0;
    if (!zf->failed) z_pump(zf, Z_FINISH);
    b64_put(zf, NULL, 0, true);
    deflateEnd(&zf->z);
    return zf->failed ? EOF : 0;
}

/* A deflating FILE over out (z_close ends the stream); NULL when out of
 * memory. The caller's zf must outlive it. */
static FILE *z_open(zfile *zf, FILE *out)
{
    memset(zf, 0, sizeof *zf);
    zf->out = out;
    if (deflateInit(&zf->z, 6) != Z_OK) return NULL;
    FILE *z = fopencookie(zf, "w", (cookie_io_functions_t){NULL, z_write, NULL, z_close});
    if (!z)
        deflateEnd(&zf->z);
    else
        setvbuf(z, NULL, _IOFBF, 1 << 16);
    return z;
}

/* A run: one row with its count and range, opening onto a row per
 * finding; past RUN_INLINE those rows are text in data-z (z_open: a line
 * each, its id, offset, message and baseline word with a tab between, in
 * escape.h's text form, which writes no tab or newline of the data as
 * such; the script shows them as text, never as markup) that the script
 * builds when the run is opened. Its findings come from the iterator. */
static void run_rows(const rm_report *r, FILE *f, const hrun *u, size_t row, rm_iter *it,
                     const rm_finding **cur, const detailed *dt)
{
    const char *type = rt_type_of(u->tid)->name;
    fputs("<tr class=\"run\"", f);
    row_attrs(r, f, u->partition, u->tid, u->severity);
    if (u->nproducers == 1 && !u->more_producers)
        fprintf(f, " data-producer=\"%" PRId64 "\"", u->producers[0]);
    else if (u->nproducers) {
        fputs(" data-producers=\"", f);
        for (int i = 0; i < u->nproducers; i++)
            fprintf(f, "%s%" PRId64, i ? " " : "", u->producers[i]);
        fputs(u->more_producers ? " more\"" : "\"", f);
    }
    fprintf(f,
            " data-count=\"%" PRId64 "\"><td class=\"id\" data-v=\"%zu\">%" PRId64
            " findings</td><td data-v=\"%d\">"
            "<span class=\"sev sev-%s\">%s</span></td>",
            u->count, row, u->count, 2 - u->severity, rm_severity_name(u->severity),
            rm_severity_name(u->severity));
    partition_cell(r, f, u->partition);
    fprintf(
        f, "<td class=\"num\" data-v=\"%" PRId64 "\">%" PRId64 "..%" PRId64 "</td><td class=\"msg\"><details",
        u->first_offset, u->first_offset, u->last_offset);
    zfile zf;
    FILE *z = u->count > RUN_INLINE ? z_open(&zf, f) : NULL;
    bool lazy = z != NULL;
    const rm_finding *x = *cur;
    if (lazy) {
        fprintf(f, " data-rows=\"%" PRId64 "\" data-z=\"", u->count);
        for (int64_t i = 0; i < u->count && x; i++, x = rm_iter_next(it)) {
            fprintf(z, "%s\t%" PRId64 "\t", x->id, x->offset);
            es_fputs(x->message, z);
            if (x->baseline != RM_BASE_NONE) fprintf(z, "\t%s", rm_baseline_word(x->baseline));
            fputc('\n', z);
        }
        if (fclose(z) != 0) fputs(" ", f); /* an unreadable stream: the script says so */
        fputc('"', f);
    }
    fprintf(f, "><summary>%" PRId64 " %s findings at offsets %" PRId64 "..%" PRId64 " (", u->count, type,
            u->first_offset, u->last_offset);
    bool first = true;
    for (int k = 0; k < rt_explanation_count(u->tid); k++) {
        if (!u->by_expl[k]) continue;
        const char *key = rt_explanation_of(u->tid, k).key, *dot = strchr(key, '.');
        fprintf(f, "%s%" PRId64 " <a href=\"#x-%s\">%s</a>", first ? "" : ", ", u->by_expl[k], key,
                dot ? dot + 1 : key);
        first = false;
    }
    fputs(")</summary>", f);
    if (lazy)
        fputs("<p class=\"omitted\">A row each when opened (the page's script builds them, 500 at a time); every "
              "one is in the JSON report.</p>",
              f);
    else {
        fputs("<table class=\"members\"><tbody>\n", f);
        for (int64_t i = 0; i < u->count && x; i++, x = rm_iter_next(it)) {
            fprintf(f, "<tr id=\"%s\"", x->id);
            if (x->producer_id >= 0) fprintf(f, " data-producer=\"%" PRId64 "\"", x->producer_id);
            if (x->baseline != RM_BASE_NONE) fprintf(f, " data-baseline=\"%s\"", rm_baseline_word(x->baseline));
            fprintf(f, "><td class=\"id\"><a href=\"#%s\">%s</a>", x->id, x->id);
            base_badge(f, x);
            fprintf(f, "</td><td class=\"num\">%" PRId64 "</td>", x->offset);
            message_cell(r, f, x, dt);
            fputs("</tr>\n", f);
        }
        fputs("</tbody></table>", f);
    }
    fputs("</details></td></tr>\n", f);
    *cur = x;
}

static void findings_table(const rm_report *r, FILE *f, const char **order, int n, const survey *v,
                           const detailed *dt)
{
    fputs("<section id=\"table-section\"><h2 id=\"all-findings\">All listed findings</h2>\n"
          "<p class=\"intro\">A row per finding; consecutive findings of one partition, type and severity share "
          "a row that opens onto theirs. Each id is an anchor (<code>report.html#F&hellip;</code>); "
          "&ldquo;why&rdquo; links to its explanation, &ldquo;details&rdquo; shows the fields of the largest of "
          "each type and severity (every finding's are in the JSON report).</p>\n<div class=\"filters\">"
          "<label>type <select id=\"filter-type\"><option value=\"\">all</option>",
          f);
    for (int i = 0; i < n; i++)
        fprintf(f, "<option value=\"%s\">%s</option>", order[i], order[i]);
    fputs("</select></label><label>severity <select id=\"filter-severity\"><option value=\"\">all</option>"
          "<option>error</option><option>warning</option><option>info</option></select></label>"
          "<label>topic <input id=\"filter-topic\" type=\"search\" placeholder=\"contains\"></label>"
          "<label>producer id <input id=\"filter-producer\" type=\"search\" placeholder=\"exact\"></label>"
          "</div>\n<div class=\"scroll\"><table id=\"findings-table\"><thead><tr><th>id</th><th>severity</th>"
          "<th>partition</th>"
          "<th class=\"num\">offset</th><th>message</th></tr></thead><tbody>\n",
          f);
    rm_iter *it = rm_iter_open(r, true);
    const rm_finding *x = it ? rm_iter_next(it) : NULL;
    size_t row = 0;
    for (size_t g = 0; g < v->nruns && x; g++) {
        const hrun *u = &v->runs[g];
        if (u->count >= RUN_MIN) {
            run_rows(r, f, u, row++, it, &x, dt);
            continue;
        }
        for (int64_t i = 0; i < u->count && x; i++, x = rm_iter_next(it))
            finding_row(r, f, x, row++, dt);
    }
    rm_iter_close(it);
    fputs("</tbody></table></div></section>\n", f);
}

/* A section per finding type: what it means, each of its explanations
 * once (anchored x-KEY, where every finding's "why" links), how many, and
 * the largest listed. */
static void type_sections(const rm_report *r, FILE *f, const char **order, int n, const survey *v)
{
    size_t *idx = r->nfindings ? malloc(r->nfindings * sizeof *idx) : NULL;
    for (int t = 0; t < n; t++) {
        int tid = rt_find(order[t]);
        const rt_type *ti = tid >= 0 ? rt_type_of(tid) : NULL;
        const rm_count *c = rm_count_of(r, order[t]);
        fprintf(f, "<section class=\"type\" id=\"type-%s\"><h2>", order[t]);
        esc(f, ti ? ti->title : order[t]);
        fprintf(f, " <code>%s</code></h2>\n", order[t]);
        if (ti) fputs("<p class=\"intro\">", f), esc(f, ti->summary), fputs("</p>\n", f);
        fprintf(f,
                "<p>%" PRId64 " finding%s (%" PRId64 " error, %" PRId64 " warning, %" PRId64
                " info), %" PRId64 " listed",
                c->total, c->total == 1 ? "" : "s", c->by_severity[RM_ERROR], c->by_severity[RM_WARNING],
                c->by_severity[RM_INFO], c->kept);
        if (c->total > c->kept)
            fprintf(f, "; %" PRId64 " more counted but not listed (--max-examples)", c->total - c->kept);
        fputs(".</p>\n", f);
        for (int k = 0; tid >= 0 && k < rt_explanation_count(tid); k++) {
            if (!v->expl[tid][k]) continue;
            rt_explanation e = rt_explanation_of(tid, k);
            int64_t readers = v->expl[tid][k];
            bool again = false; /* variants that read the same: one explanation */
            for (int j = 0; j < k && !again; j++)
                again = v->expl[tid][j] && strcmp(rt_explanation_of(tid, j).key, e.key) == 0;
            if (again) continue;
            for (int j = k + 1; j < rt_explanation_count(tid); j++)
                if (strcmp(rt_explanation_of(tid, j).key, e.key) == 0) readers += v->expl[tid][j];
            fprintf(f, "<div class=\"expl\" id=\"x-%s\"><h3><code>%s</code> (%" PRId64 " listed)</h3><p>",
                    e.key, e.key, readers);
            esc(f, e.text);
            fputs("</p></div>\n", f);
        }
        /* The largest listed, the most severe first. */
        bool any = false;
        for (int s = RM_ERROR; s >= RM_INFO && idx; s--) {
            size_t k = rr_ranked(r, order[t], s, idx);
            for (size_t i = 0; i < k && i < LARGEST; i++) {
                const rm_finding *x = &r->findings[idx[i]];
                if (!any) fputs("<p class=\"noprint\">The largest:</p><ul class=\"largest\">\n", f);
                any = true;
                fprintf(f, "<li><a href=\"#%s\">%s</a> <span class=\"sev sev-%s\">%s</span> ", x->id, x->id,
                        rm_severity_name(x->severity), rm_severity_name(x->severity));
                esc(f, r->partitions[x->partition].topic);
                fprintf(f, "-%d: ", r->partitions[x->partition].partition);
                esc(f, x->message);
                fputs("</li>\n", f);
            }
        }
        if (any) fputs("</ul>\n", f);
        fputs("</section>\n", f);
    }
    free(idx);
}
/* What happened, in incidents a person acts on (the worst first). */
static void incidents(const rm_report *r, FILE *f)
{
    if (!r->nincidents) return;
    fputs("<section id=\"incidents\"><h2>Incidents</h2>\n<p class=\"intro\">Findings grouped by what a person "
          "acts on: one producer restart wherever it replayed, one retry storm, one application's resends.</p>\n"
          "<div class=\"scroll\"><table><thead><tr><th>id</th><th>severity</th><th>what happened</th>"
          "<th class=\"num\">findings</th>"
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
    fputs("</tbody></table></div></section>\n", f);
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
          "0 members: the group was empty) and its committed offsets.</p>\n<div class=\"scroll\"><table><thead>"
          "<tr><th>group</th>"
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
    fputs("</tbody></table></div>\n", f);
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
        fputs("<h3 class=\"history\">", f);
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
        fprintf(f, "<div class=\"scroll\"><svg class=\"replicas\" viewBox=\"0 0 1000 84\" role=\"img\" "
                   "aria-label=\"replicas\">\n");
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
                   "y=\"78\" font-size=\"11\" text-anchor=\"end\" fill=\"#475467\">offset %" PRId64 "</text></svg></div>\n",
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

/* What each topic's --identity covered. */
/* A section `id` titled `title` (both ours: not escaped) listing `n`
 * lines, and how many more were left out and `where` they are. */
static void line_section(FILE *f, const char *id, const char *title, char (*lines)[600], size_t n, size_t more,
                         const char *where)
{
    if (!n) return;
    fprintf(f, "<section id=\"%s\"><h2>%s</h2>\n<ul>\n", id, title);
    for (size_t i = 0; i < n; i++) {
        fputs("<li>", f);
        esc(f, lines[i]);
        fputs("</li>\n", f);
    }
    if (more) fprintf(f, "<li>... and %zu more (%s)</li>\n", more, where);
    fputs("</ul></section>\n", f);
}

static void identities(const rm_report *r, FILE *f)
{
    char lines[20][600];
    line_section(f, "identity", "Duplicates by identity", lines, rr_identity_lines(r, lines, 20), 0, NULL);
}

/* The identities the topics' samples suggest. */
static void suggestions(const rm_report *r, FILE *f)
{
    char lines[20][600];
    size_t more;
    size_t n = rr_suggestion_lines(r, lines, 20, &more);
    line_section(f, "identity-suggestions", "Identities to consider", lines, n, more,
                 "the JSON report's identity_suggestions");
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
    survey v;
    survey_all(r, &v);
    detailed dt;
    detailed_make(r, &dt, order, n);
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
          "<title>kaudit report</title><style>",
          f);
    fputs(css, f);
    fputs("</style></head><body><main>\n<h1>Kafka log audit</h1>\n", f);
    verdict(r, f);
    if (r->nfindings || r->ncounts)
        fputs("<p class=\"printonly\">The printed summary: counts, incidents, the partitions with the most findings "
              "and what each kind of finding means. The timelines and every finding are on screen and in the "
              "JSON report.</p>\n",
              f);
    incidents(r, f);
    audited(r, f, version);
    if (n) {
        fputs("<h2 id=\"overview\">Findings by type</h2>\n<div class=\"scroll\">", f);
        counts_table(r, f, order, n);
        fputs("</div>\n", f);
        bar_chart(r, f, order, n);
        top_partitions(r, f, v.listed);
    }
    identities(r, f);
    suggestions(r, f);
    repeats(r, f);
    replicas(r, f);
    groups(r, f);
    if (n) {
        fputs("<section id=\"timelines\"><h2>Where they are</h2>\n<p class=\"intro\">Each partition with findings "
              "along its offsets. The histogram counts every finding, listed or not, in bins (red error, orange "
              "warning, blue info; click a bin for its first listed finding); below it a lane per producer id "
              "with the density of its listed findings; arcs join a duplicate to its original, a shaded bar is a "
              "transaction left open (the worst 40 of each partition).</p>\n",
              f);
        timelines(r, f, &v);
        fputs("</section>\n", f);
    }
    type_sections(r, f, order, n, &v);
    gone(r, f);
    if (r->nfindings) findings_table(r, f, order, n, &v, &dt);
    if (v.failed)
        fputs("<p class=\"omitted\">The list of findings could not be read to the end (out of memory, or the "
              "scratch file): this page lacks some.</p>\n",
              f);
    fputs("</main><script>", f);
    fputs(script, f);
    fputs("</script></body></html>\n", f);
    free(dt.ids);
    bool failed = v.failed;
    survey_free(&v);
    return ferror(f) || failed ? -1 : 0;
}
