#!/usr/bin/python3
"""test_report_scale.py - reports stay readable, small and quick at 100,000 findings.

Run from the repository root:

    /usr/bin/python3 tests/test_report_scale.py       # uses ./kaudit, or $KAUDIT

The corpus (../shared/corpus, ~100,000 findings) audited with every finding
listed (--max-examples -1, SOURCE_DATE_EPOCH set), as HTML and as JSON, and
one of its log directories (~16,000 findings) as HTML with --jobs 1 and
--jobs 3. The reports are kept in tests/artifacts/scale-cache/<key>/, keyed by
the binary (path, size, time), the corpus's MANIFEST.tsv and this file, so a
second run of an unchanged binary does not audit again (KT_NO_CACHE=1 audits
anyway). Screenshots and the printed PDF go to tests/artifacts/scale-$KT_TAG*.

Cases:

  budget        the HTML of the whole corpus with every finding is under
                20 MB (it was 337 MB with a card per finding, 77 MB with the
                first runs of the listing).
  json          explanations once: a top-level "explanations" object; every
                finding names one of them (explanation_key), carries no
                "explanation" of its own (this version writes none: its
                explanation is explanations[key] and its explanation_detail,
                docs/report.md "Explanations"), and no explanation_detail
                longer than a sentence; each explanation's text occurs once in
                the file; the same findings and the same explanations as the
                HTML report's.
  anchors       every JSON finding is a row of the HTML findings table, once
                (tests/html_rows.py: its own row, a run's member row, or a line
                of a long run's deflated data-z), with its type, severity, topic
                and partition; some are in runs, some of those deflated; no id
                names two elements.
  explanations  the HTML explains each kind once: an element id="x-KEY" per
                key of the JSON's explanations, inside its type's section,
                holding exactly that text, which occurs once in the file; every
                "why" link names one of them.
  header        the header's lists once each: one row per kind of fact (log
                directory, cluster id, broker id ...), no value twice in a row;
                the log directories listed are directories, among them those
                of every partition of the JSON report.
  timelines     a timeline per partition with findings, whose histogram counts
                every finding of it with an offset, listed or not (the bins'
                titles add up to the JSON's count: every finding is listed
                here).
  print         a print stylesheet (@media print) that hides the findings table
                and the timelines.
  jobs          the HTML of one log directory is the same bytes with --jobs 1
                and --jobs 3.
  browser       in headless Chromium (tests/cdp_pipe.py): the corpus HTML
                loads (load event and a layout) in under 2 s (the best of
                three loads at 1280 px: a busy machine slows one); no console
                error or uncaught exception; at 1280 and 420 px wide no
                horizontal overflow (documentElement.scrollWidth within its
                clientWidth) as loaded, with every fold opened, and with a
                deflated run opened; screenshots at 1280 and 420 px
                (tests/artifacts/scale-*.png); printed to PDF (Letter) in at
                most 10 pages.
  links         report.html#F... of a finding deep in a deflated run, of a run's
                member row and of a finding's own row lands on its row: the row
                exists within 10 s, every <details> around it is open and it is
                in the viewport.

Output: "  FAIL <case>: <reason>" lines on stderr, then "kt: N passed, M failed".
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cdp_pipe  # noqa: E402
import html_rows  # noqa: E402
from test_fixtures import CaseFailed, Harness, kaudit_path, kaudit_problem, short  # noqa: E402
from test_html import parse_html, text_of, png_size  # noqa: E402

REPO = os.path.dirname(HERE)
CORPUS = os.path.join("..", "shared", "corpus")    # from the repository root
JOBS_INPUT = os.path.join(CORPUS, "Danielowo2000__BigDataTechnologies-Version-2")
ARTIFACTS = os.path.join(REPO, "tests", "artifacts")
CACHE = os.path.join(ARTIFACTS, "scale-cache")
TAG = os.environ.get("KT_TAG", "")
EPOCH = "1700000000"
MAX_HTML = 20 * 1000 * 1000
MAX_LOAD_SECONDS = 2.0
MAX_PDF_PAGES = 10
WIDTHS = (1280, 420)
META_KEYS = ("Log directory", "Cluster id (cluster.id)", "Broker id (broker.id)", "Node id (node.id)",
             "meta.properties")


# ---------------------------------------------------------------------------
# The reports, made once per binary
# ---------------------------------------------------------------------------

def cache_key():
    exe = os.path.realpath(kaudit_path())
    st = os.stat(exe)
    h = hashlib.sha256()
    h.update(("%s %d %d\n" % (exe, st.st_size, st.st_mtime_ns)).encode())
    for path in (os.path.join(REPO, CORPUS, "MANIFEST.tsv"), os.path.abspath(__file__)):
        try:
            with open(path, "rb") as f:
                h.update(f.read())
        except OSError:
            h.update(b"-")
    return h.hexdigest()[:24]


REPORTS = {
    # name: arguments after `kaudit audit`
    "corpus.html": ["--format", "html", "--max-examples", "-1", CORPUS],
    "corpus.json": ["--format", "json", "--max-examples", "-1", CORPUS],
    "jobs1.html": ["--format", "html", "--max-examples", "-1", "--jobs", "1", JOBS_INPUT],
    "jobs3.html": ["--format", "html", "--max-examples", "-1", "--jobs", "3", JOBS_INPUT],
}


def make_reports():
    """{name: path} of every report, audited now or found in the cache; raises CaseFailed."""
    problem = kaudit_problem()
    if problem:
        raise CaseFailed(problem)
    if not os.path.isdir(os.path.join(REPO, CORPUS)):
        raise CaseFailed("no corpus at %s" % CORPUS)
    folder = os.path.join(CACHE, cache_key())
    done = os.path.join(folder, "done")
    if os.path.exists(done) and os.environ.get("KT_NO_CACHE", "") in ("", "0"):
        os.utime(folder)
        return {n: os.path.join(folder, n) for n in REPORTS}
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH)
    # Two at a time: the machine has two cores, each audit mostly one.
    procs, errs = [], []
    names = list(REPORTS)
    while names or procs:
        while names and len(procs) < 2:
            n = names.pop(0)
            err = open(os.path.join(folder, n + ".stderr"), "wb")
            p = subprocess.Popen([kaudit_path(), "audit", "--fail-on", "none", "-o", os.path.join(folder, n)]
                                 + REPORTS[n], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=err)
            procs.append((n, p, err, time.time()))
        n, p, err, t0 = procs.pop(0)
        rc = p.wait(timeout=900)
        err.close()
        with open(os.path.join(folder, n + ".seconds"), "w") as f:
            f.write("%.1f\n" % (time.time() - t0))
        # 2: the corpus's Redpanda folders are named and not audited (an
        # incomplete audit); the report is written all the same.
        if rc not in (0, 2) or not os.path.getsize(os.path.join(folder, n)):
            with open(os.path.join(folder, n + ".stderr"), "rb") as f:
                tail = f.read().decode("utf-8", "replace")[-400:]
            errs.append("kaudit audit %s exited %d: %s" % (" ".join(REPORTS[n]), rc, tail))
    # kaudit says which inputs it skipped; anything else on stderr is a failure
    # (a sanitizer report, an assertion).
    for n in REPORTS:
        with open(os.path.join(folder, n + ".stderr"), "rb") as f:
            for line in f.read().decode("utf-8", "replace").splitlines():
                if not line.startswith("kaudit audit: "):
                    errs.append("%s: stderr: %s" % (n, line[:300]))
                    break
    if errs:
        raise CaseFailed("; ".join(errs))
    open(done, "w").close()
    prune(folder)
    return {n: os.path.join(folder, n) for n in REPORTS}


def prune(keep):
    """Entries of the cache (some 125 MB each) unused for a day go, and all but the newest three."""
    try:
        entries = sorted((os.path.join(CACHE, e) for e in os.listdir(CACHE)), key=os.path.getmtime, reverse=True)
    except OSError:
        return
    old = time.time() - 86400
    for i, e in enumerate(entries):
        if e != keep and (i >= 3 or os.path.getmtime(e) < old):
            shutil.rmtree(e, ignore_errors=True)


class Reports(object):
    def __init__(self):
        self.error = None
        self.paths = {}
        try:
            self.paths = make_reports()
            with open(self.paths["corpus.json"], "rb") as f:
                self.json_raw = f.read().decode("utf-8")
            self.json = json.loads(self.json_raw)
            with open(self.paths["corpus.html"], "rb") as f:
                self.html_raw = f.read().decode("utf-8")
            self.tree = parse_html(self.html_raw)
            tables = self.tree.find_all("table", id="findings-table")
            self.rows, self.row_problems = html_rows.rows_of(tables[0]) if len(tables) == 1 else ([], ["%d findings "
                                                                                                       "tables" % len(tables)])
        except CaseFailed as exc:
            self.error = str(exc)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            self.error = "%s: %s" % (type(exc).__name__, exc)

    def need(self):
        if self.error:
            raise CaseFailed("no reports: %s" % self.error)


def html_escape(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("'", "&#39;"))


# ---------------------------------------------------------------------------
# Cases on the files
# ---------------------------------------------------------------------------

def case_budget(case, r):
    r.need()
    size = os.path.getsize(r.paths["corpus.html"])
    sys.stderr.write("  corpus HTML (--max-examples -1): %d bytes; JSON: %d bytes; %d findings\n"
                     % (size, os.path.getsize(r.paths["corpus.json"]), len(r.json.get("findings", []))))
    case.check(size < MAX_HTML, "the corpus HTML takes %d bytes (budget %d)" % (size, MAX_HTML))
    case.check(len(r.json.get("findings", [])) > 50000, "the corpus lists only %d findings: not the scale this "
               "suite is about" % len(r.json.get("findings", [])))


def case_json(case, r):
    r.need()
    ex = r.json.get("explanations")
    if not case.check(isinstance(ex, dict) and ex, "no top-level \"explanations\" object"):
        return
    findings = r.json.get("findings", [])
    unknown, own, long_detail, used = set(), [], [], set()
    for f in findings:
        key = f.get("explanation_key")
        if key not in ex:
            unknown.add(key)
        used.add(key)
        if "explanation" in f:
            own.append(f.get("id"))
        d = f.get("explanation_detail")
        if d is not None and (not isinstance(d, str) or len(d) > 300 or not d):
            long_detail.append(f.get("id"))
    case.check(not unknown, "explanation_key not in explanations: %s" % short(sorted(map(str, unknown))))
    case.check(not own, "%d findings repeat an explanation of their own: %s" % (len(own), short(own[:5])))
    case.check(not long_detail, "explanation_detail empty or longer than a sentence: %s" % short(long_detail[:5]))
    case.eq("explanations written", sorted(ex), sorted(used))
    for key, text in sorted(ex.items()):
        n = r.json_raw.count(json.dumps(text, ensure_ascii=False)[1:-1])
        case.check(n == 1, "the text of explanation %s occurs %d times in the JSON" % (key, n))


def case_anchors(case, r):
    r.need()
    case.check(not r.row_problems, "findings table: %s" % short(r.row_problems, 400))
    want = {f["id"]: f for f in r.json.get("findings", [])}
    got = {}
    for row in r.rows:
        if case.check(row.id not in got, "two rows for %s" % row.id):
            got[row.id] = row
    missing = sorted(set(want) - set(got))
    case.check(not missing, "%d of %d findings have no row in the HTML: %s" % (len(missing), len(want), short(missing)))
    case.check(not set(got) - set(want), "rows of findings the JSON does not list: %s" % short(sorted(set(got) - set(want))))
    bad = []
    for ident in sorted(set(want) & set(got)):
        f, a = want[ident], got[ident].attrs
        for attr, key in (("data-type", "type"), ("data-severity", "severity"), ("data-topic", "topic"),
                          ("data-partition", "partition")):
            if a.get(attr) != str(f[key]):
                bad.append("%s %s=%s, JSON %s" % (ident, attr, a.get(attr), f[key]))
        if not got[ident].linked:
            bad.append("%s: no <a href=\"#%s\">" % (ident, ident))
    case.check(not bad, "%d rows differ from the JSON: %s" % (len(bad), short(bad[:5], 400)))
    where = {}
    for row in r.rows:
        where[row.where] = where.get(row.where, 0) + 1
    sys.stderr.write("  rows: %s\n" % where)
    case.check(where.get("deflated", 0) > 0 and where.get("row", 0) > 0,
               "the corpus should have findings in deflated runs and rows of their own: %s" % where)
    ids = {}
    for n in r.tree.iter():
        if n.get("id") is not None:
            ids[n.get("id")] = ids.get(n.get("id"), 0) + 1
    dup = sorted(i for i, c in ids.items() if c > 1)
    case.check(not dup, "ids used more than once: %s" % short(dup))
    kept = html_rows.deflated_ids(r.tree)
    dangling = sorted({n.get("href") for n in r.tree.iter() if (n.get("href") or "").startswith("#")
                       and n.get("href")[1:] not in ids and n.get("href")[1:] not in kept})
    case.check(not dangling, "links to ids that do not exist: %s" % short(dangling))


def case_explanations(case, r):
    r.need()
    ex = r.json.get("explanations") or {}
    case.check(ex, "the JSON has no explanations")
    for key, text in sorted(ex.items()):
        nodes = [n for n in r.tree.iter() if n.get("id") == "x-" + key]
        if not case.check(len(nodes) == 1, "%d elements id=\"x-%s\" (1 expected)" % (len(nodes), key)):
            continue
        node = nodes[0]
        section = node.parent
        while section is not None and not (section.tag == "section" and "type" in section.classes()):
            section = section.parent
        typ = key.split(".")[0]
        case.check(section is not None and section.get("id") == "type-" + typ,
                   "x-%s is not in the section of type %s" % (key, typ))
        case.check(text in text_of(node).replace("\n", " "), "x-%s does not hold the JSON's text: %s"
                   % (key, short(text_of(node), 200)))
        n = r.html_raw.count(html_escape(text))
        case.check(n == 1, "the text of explanation %s occurs %d times in the HTML" % (key, n))
    whys = {n.get("href")[3:] for n in r.tree.iter() if n.tag == "a" and "why" in n.classes()}
    case.check(whys and whys <= set(ex), "\"why\" links to explanations the JSON does not have: %s"
               % short(sorted(whys - set(ex))))


def case_header(case, r):
    r.need()
    table = r.tree.by_id("audited")
    if not case.check(table is not None, "no <table id=\"audited\">"):
        return
    rows = {}
    for tr in (n for n in table.iter() if n.tag == "tr"):
        cells = [c for c in tr.children if not isinstance(c, str) and c.tag == "td"]
        if len(cells) < 2:
            continue
        label = text_of(cells[0])
        values = [text_of(c) for c in cells[1].iter() if c.tag == "code" and c.parent.tag != "summary"]
        if label in META_KEYS:
            case.check(label not in rows, "two header rows for %s" % label)
            rows[label] = values
    case.check("Log directory" in rows, "no \"Log directory\" row: %s" % sorted(rows))
    for label, values in sorted(rows.items()):
        dup = sorted({v for v in values if values.count(v) > 1})
        case.check(not dup, "%s lists %s more than once" % (label, short(dup)))
    listed = set(rows.get("Log directory", []))
    dirs = {os.path.dirname(p["path"]) for p in r.json.get("partitions", [])}
    case.check(dirs <= listed, "log directories of partitions missing from the header: %s" % short(sorted(dirs - listed)))
    odd = sorted(d for d in listed if not os.path.isdir(os.path.join(REPO, d)))
    case.check(not odd, "the header lists log directories that are none: %s" % short(odd))


def case_timelines(case, r):
    r.need()
    listed = {}
    for f in r.json.get("findings", []):
        if f.get("offset", -1) >= 0:
            k = (f["topic"], str(f["partition"]), os.path.dirname(f["path"]))
            listed[k] = listed.get(k, 0) + 1
    # The timelines in page order, as the partitions (JSON order) with findings.
    svgs = [n for n in r.tree.iter() if n.tag == "svg" and "timeline" in n.classes()]
    by_part = {}
    for n in svgs:
        total = 0
        for t in (x for x in n.iter() if x.tag == "title"):
            m = re.match(r"offsets -?\d+\.\.-?\d+: (\d+) findings?$", text_of(t))
            if m:
                total += int(m.group(1))
        by_part.setdefault((n.get("data-topic"), n.get("data-partition")), []).append(total)
    want = {}
    for (topic, part, _d), n in listed.items():
        want.setdefault((topic, part), []).append(n)
    missing = sorted(k for k in want if k not in by_part)
    case.check(not missing, "partitions with listed findings but no timeline: %s" % short(missing))
    wrong = ["%s-%s: the histograms count %s, the JSON lists %s" % (k[0], k[1], sorted(by_part[k]), sorted(v))
             for k, v in sorted(want.items()) if k in by_part and sorted(x for x in by_part[k] if x) != sorted(v)]
    case.check(not wrong, "timelines do not count every finding: %s" % short(wrong[:4], 500))


def case_print(case, r):
    r.need()
    styles = "\n".join("".join(c for c in n.children if isinstance(c, str)) for n in r.tree.iter() if n.tag == "style")
    m = re.search(r"@media print\s*\{(.*)", styles, re.S)
    if case.check(m is not None, "no print stylesheet (@media print)"):
        body = m.group(1)
        for sel in ("#table-section", "#timelines"):
            case.check(re.search(re.escape(sel) + r"[^{}]*\{[^}]*display:\s*none", body) is not None,
                       "the print stylesheet does not hide %s" % sel)


def case_jobs(case, r):
    r.need()
    with open(r.paths["jobs1.html"], "rb") as a, open(r.paths["jobs3.html"], "rb") as b:
        one, three = a.read(), b.read()
    case.check(len(one) > 0, "the --jobs 1 report is empty")
    case.check(one == three, "the HTML differs between --jobs 1 and --jobs 3 (%d and %d bytes)" % (len(one), len(three)))
    case.check(b" data-z=\"" in one, "the --jobs check has no deflated run to compare")


# ---------------------------------------------------------------------------
# Cases in the browser
# ---------------------------------------------------------------------------

OVERFLOW = "JSON.stringify([document.documentElement.scrollWidth, document.documentElement.clientWidth])"
OPEN_FOLDS = ("(function(){var n=0;document.querySelectorAll('details:not([data-z])').forEach(function(d){"
              "if(!d.open){d.open=true;n++}});return n})()")
OPEN_RUN = ("(function(){var d=document.querySelector('details[data-z]');if(!d)return false;d.open=true;"
            "return true})()")
RUN_BUILT = "!!document.querySelector('details[data-z] table.members tr')"


def file_url(path):
    import urllib.request
    return "file://" + urllib.request.pathname2url(os.path.abspath(path))


def case_browser(case, r):
    r.need()
    if not os.access(cdp_pipe.CHROMIUM, os.X_OK):
        raise CaseFailed("no chromium at %s (sh tests/deps.sh test)" % cdp_pipe.CHROMIUM)
    url = file_url(r.paths["corpus.html"])
    with cdp_pipe.Browser() as b:
        times = []
        for width in WIDTHS:
            page = b.open(url, width)
            times.append(page.seconds)
            sw, cw = json.loads(page.eval(OVERFLOW))
            case.check(sw <= cw, "at %d px the page is %d px wide (overflows its %d px)" % (width, sw, cw))
            png = os.path.join(ARTIFACTS, "scale-%s%d.png" % (TAG, width))
            page.screenshot(png)
            size = png_size(png)
            case.check(size is not None and size[0] == width, "the %d px screenshot is %s" % (width, size))
            if width == WIDTHS[0]:
                data = page.pdf(os.path.join(ARTIFACTS, "scale-%sprint.pdf" % TAG))
                pages = len(re.findall(rb"/Type\s*/Page(?!s)", data))
                sys.stderr.write("  printed: %d pages\n" % pages)
                case.check(0 < pages <= MAX_PDF_PAGES, "printed to %d pages (at most %d)" % (pages, MAX_PDF_PAGES))
            if width == 420:
                page.eval("document.getElementById('all-findings').scrollIntoView()")
                page.screenshot(os.path.join(ARTIFACTS, "scale-%s420-findings.png" % TAG))
            opened = page.eval(OPEN_FOLDS)
            sw, cw = json.loads(page.eval(OVERFLOW))
            case.check(sw <= cw, "at %d px with its %s folds open the page is %d px wide (%d)" % (width, opened, sw, cw))
            case.check(page.eval(OPEN_RUN), "no deflated run to open")
            built = page.wait_for(RUN_BUILT, 20)
            case.check(built, "opening a deflated run built no row within 20 s")
            sw, cw = json.loads(page.eval(OVERFLOW))
            case.check(sw <= cw, "at %d px with a run open the page is %d px wide (%d)" % (width, sw, cw))
            problems = page.problems()
            case.check(not problems, "at %d px the page logged: %s" % (width, short(problems[:3], 400)))
            page.close()
        for _ in range(2):
            page = b.open(url, WIDTHS[0])
            times.append(page.seconds)
            page.close()
    sys.stderr.write("  loads: %s s\n" % ", ".join("%.2f" % t for t in times))
    case.check(min(times) < MAX_LOAD_SECONDS, "the corpus HTML took %.2f s to load at best (budget %.1f s; loads: %s)"
               % (min(times), MAX_LOAD_SECONDS, ", ".join("%.2f" % t for t in times)))


def case_links(case, r):
    r.need()
    if not os.access(cdp_pipe.CHROMIUM, os.X_OK):
        raise CaseFailed("no chromium at %s (sh tests/deps.sh test)" % cdp_pipe.CHROMIUM)
    picks = {}
    deflated = [row for row in r.rows if row.where == "deflated"]
    if deflated:
        picks["deflated"] = deflated[len(deflated) * 3 // 4].id
    for where in ("member", "row"):
        rows = [row for row in r.rows if row.where == where]
        if rows:
            picks[where] = rows[len(rows) // 2].id
    case.check(set(picks) == {"deflated", "member", "row"}, "the corpus lacks a kind of row: %s" % sorted(picks))
    url = file_url(r.paths["corpus.html"])
    landed = ("(function(){var e=document.getElementById('%s');if(!e)return null;for(var p=e.parentNode;p;"
              "p=p.parentNode)if(p.tagName==='DETAILS'&&!p.open)return 'closed';var b=e.getBoundingClientRect();"
              "return JSON.stringify([e.tagName,b.top,b.bottom,innerHeight])})()")
    with cdp_pipe.Browser() as b:
        for where, ident in sorted(picks.items()):
            page = b.open(url + "#" + ident, 1280)
            v = page.wait_for(landed % ident, 10)
            if case.check(v and v != "closed", "%s row %s: %s within 10 s" % (where, ident,
                                                                               "not open" if v else "no element")):
                tag, top, bottom, height = json.loads(v)
                case.eq("%s row %s: element" % (where, ident), tag, "TR")
                case.check(bottom > 0 and top < height, "%s row %s is not in view (top %s, bottom %s, viewport %s)"
                           % (where, ident, top, bottom, height))
            problems = page.problems()
            case.check(not problems, "#%s: the page logged: %s" % (ident, short(problems[:3], 400)))
            page.close()


CASES = (("budget", case_budget), ("json", case_json), ("anchors", case_anchors),
         ("explanations", case_explanations), ("header", case_header), ("timelines", case_timelines),
         ("print", case_print), ("jobs", case_jobs), ("browser", case_browser), ("links", case_links))


def main():
    os.chdir(REPO)
    os.makedirs(ARTIFACTS, exist_ok=True)
    t0 = time.time()
    r = Reports()
    sys.stderr.write("  reports ready in %.1f s\n" % (time.time() - t0))
    h = Harness()
    for name, fn in CASES:
        t = time.time()
        h.run(name, fn, r)
        sys.stderr.write("  %s: %.1f s\n" % (name, time.time() - t))
    return h.done()


if __name__ == "__main__":
    sys.exit(main())
