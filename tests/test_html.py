#!/usr/bin/python3
"""test_html.py - `kaudit audit --format html` opened in headless Chromium.

Run from the repository root:

    /usr/bin/python3 tests/test_html.py        # uses ./kaudit, or $KAUDIT

Needs Debian's chromium (/usr/bin/chromium, or $CHROMIUM; tests/deps.sh test
installs it). Without it every browser case fails saying so.

It renders two reports into tests/artifacts/:

    report-clean.html   kaudit audit --format html --fail-on none -o ... fixtures/audit/29-multi-segment-clean
    report-full.html    the same on all of fixtures/audit (every finding type,
                        36-hostile-content's markup in a key, value and header)

and the JSON report of the same input (--format json, same defaults, so the
finding ids agree), then opens each HTML file once in headless Chromium:

    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
             --disable-background-networking --disable-component-update
             --disable-sync --user-data-dir=<fresh temp dir>
             --enable-logging=stderr --v=1 --log-net-log=<file>
             --virtual-time-budget=5000 --window-size=1400,2400
             --screenshot=tests/artifacts/report-<name>.png --dump-dom file://...

(--virtual-time-budget lets the page's timers run before the DOM is dumped;
every run is killed, with its whole process group, after 60 s: an alert()
from markup that escaped its escaping blocks headless Chromium, so a run that
times out says so). The DOM after
scripts ran, Chromium's stderr and its net log are kept next to the report
(report-<name>.dom.html, .chromium.txt, .netlog.json); with KT_TAG set (tests/run_all.sh
sets asan- for the ASan run) the names start report-$KT_TAG<name>.

kaudit runs with SOURCE_DATE_EPOCH set, so a report is the same bytes
whichever build made it, and what Chromium makes of a page is kept in
build/browser-cache/<key>/ (the page itself, opened from there, and the DOM,
stderr, net log, screenshot and exit status of its one run), keyed by the
SHA-256 of the page's bytes, the Chromium binary (size and time) and the
flags above: the plain and the ASan run of this suite (side by side, an
flock per key) and later runs of an unchanged report open the browser once.
Every check runs on every run. KT_NO_CACHE=1 opens the page where kaudit
wrote it, as without the cache.

Cases, one per check group and report (clean, full):

  render        kaudit exits 0 and writes the file; it begins with <!DOCTYPE
                html>; has a print stylesheet (@media print); the full report
                is under 3 MB; the JSON report of the same input is readable.
  browser       Chromium ran (exit 0, within 60 s), dumped the DOM and saved a
                1400x2400 PNG screenshot; the page wrote nothing to the
                console. Chromium logs every console message of a web page at
                INFO, whatever its level, so console.error cannot be told
                from console.log here: any console line whose source is the
                report (an uncaught exception, a console.error, a CSP or load
                error, a stray console.log) fails the case.
  summary       <p id="verdict">: starts with "Clean" for the clean report,
                names the JSON summary.findings_by_severity numbers of errors
                and warnings for the full one (and does not start with
                "Clean"); <table id="counts">: one <tr data-type> per finding
                type present, its td.error/.warning/.info/.total equal to the
                JSON counts (per severity from the listed findings, totals
                from summary.findings_by_type; an empty or dash cell reads 0).
  findings      <table id="findings-table"> has a row per JSON finding, no
                other (tests/html_rows.py: its own <tr id="Fn">, or one of a
                run's: a <tr id="Fn"> of the run's members, or a line of a
                long run's deflated data-z, which the page's script makes a
                row), each holding <a href="#Fn"> (a deflated one gets it
                when built), with data-type/-severity/-topic/-partition (its
                run row's for a run's) equal to the JSON's; a run row's
                data-count is its rows; every href="#..." names an existing
                id or one a run keeps; ids are unique. (Until the findings
                table had runs, each finding was an <article class="finding">
                card and a table row: 100,000 cards made a 337 MB page.)
  controls      <select id="filter-type">, <select id="filter-severity">,
                <input id="filter-topic">, <input id="filter-producer">; in
                the full report a bar chart, id="findings-bar", with a bar
                per type found (data-type) showing its count (until bars were
                HTML, an <svg id="findings-bar">, whose text could not wrap);
                an <svg class="timeline" data-topic data-partition> for every
                partition with findings.
  escaping      (DOM after scripts and kaudit's file itself) exactly one
                <script> element; no attribute named on*; no <img>; no <b>
                holding the header value's "bold"; in the full report the
                hostile key "<script>alert(1)</script>" is some element's text.
  self-contained no <link>, <iframe>, <object>, <embed>, <frame>, <base>; every
                src/srcset/poster/action/formaction is a data: URI, every
                href/xlink:href a #fragment or data: URI (blob: too in the DOM);
                no src=/href= to http(s)://, // or file: and no CSS @import or
                url() other than data: or # in the raw file; while the page
                was open Chromium made no network request on the page's
                behalf (net log: requests whose initiator or isolation key is
                the file:// page; Chromium's own background requests, which
                the flags above do not silence entirely, are ignored) and
                loaded no file but the page (--v=1 "FileURLLoader::Start"
                lines). A canary page checks once that both detectors see
                such loads on this Chromium.

A report without findings (the clean one) may leave out the counts table, the
findings table and the filters (nothing to count or filter); when it has them,
the same rules apply (no rows).

Output: "  FAIL <case>: <reason>" lines on stderr, then exactly one line
"kt: N passed, M failed" on stdout; exit status 1 if any case failed.
"""

import json
import os
import re
import shutil
import signal
import struct
import fcntl
import hashlib
import subprocess
import sys
import tempfile
import time
import urllib.request
from html.parser import HTMLParser

sys.dont_write_bytecode = True   # leave no __pycache__ in the work tree

from test_fixtures import CaseFailed, Harness, kaudit_path, kaudit_problem, short
import html_rows

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARTIFACTS = os.path.join(REPO, "tests", "artifacts")
TAG = os.environ.get("KT_TAG", "")   # tests/run_all.sh names the ASan run's artifacts apart
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_TIMEOUT = 60
KAUDIT_TIMEOUT = 300
MAX_REPORT_BYTES = 3 * 1024 * 1024
WINDOW = (1400, 2400)
SEVERITIES = ("error", "warning", "info")

REPORTS = (
    # name, input, is the full report
    ("clean", "fixtures/audit/29-multi-segment-clean", False),
    ("full", "fixtures/audit", True),
)

HOSTILE_KEY = "<script>alert(1)</script>"
HOSTILE_HEADER_TEXT = "bold"

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REPORT_EPOCH = "1700000000"                 # SOURCE_DATE_EPOCH for every report made here
BROWSER_CACHE = os.path.join(REPO, "build", "browser-cache")
BROWSER_CACHE_DAYS = 1                      # entries unused longer are removed


def no_chromium():
    """A sentence when the browser cannot be run, else None."""
    if not os.path.exists(CHROMIUM):
        return ("chromium is not installed (%s is missing): install Debian's chromium "
                "(sh tests/deps.sh test, or apt-get install -y chromium)" % CHROMIUM)
    if not os.access(CHROMIUM, os.X_OK):
        return "chromium %s is not executable" % CHROMIUM
    return None


# ---------------------------------------------------------------------------
# A small DOM from html.parser
# ---------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta",
        "param", "source", "track", "wbr"}


class Node(object):
    def __init__(self, tag, attrs, parent):
        self.tag = tag
        self.attrs = attrs              # list of (name, value), value None for a bare attribute
        self.parent = parent
        self.children = []              # Node or str

    def get(self, name, default=None):
        for k, v in self.attrs:
            if k == name:
                return "" if v is None else v
        return default

    def classes(self):
        return (self.get("class") or "").split()

    def text(self):
        out = []
        for c in self.children:
            if isinstance(c, str):
                out.append(c)
            elif c.tag not in ("script", "style"):
                out.append(c.text())
        return "".join(out)

    def iter(self):
        yield self
        for c in self.children:
            if not isinstance(c, str):
                for n in c.iter():
                    yield n

    def find_all(self, tag=None, **attrs):
        out = []
        for n in self.iter():
            if tag is not None and n.tag != tag:
                continue
            if all(n.get(k.replace("_", "-")) == v for k, v in attrs.items()):
                out.append(n)
        return out

    def by_id(self, ident):
        hits = [n for n in self.iter() if n.get("id") == ident]
        return hits[0] if hits else None


class TreeBuilder(HTMLParser):
    def __init__(self):
        HTMLParser.__init__(self, convert_charrefs=True)
        self.root = Node("#document", [], None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse_html(text):
    b = TreeBuilder()
    b.feed(text)
    b.close()
    return b.root


def text_of(node):
    return re.sub(r"\s+", " ", node.text()).strip()


def number_in(text, what):
    """The integer a count cell shows; an empty or dash cell reads 0."""
    t = text.replace(",", "").replace("\u202f", "").replace("\u00a0", "").strip()
    if t in ("", "-", "\u2013", "\u2014"):
        return 0
    m = re.fullmatch(r"\d+", t)
    if not m:
        raise ValueError("%s: %r is not a number" % (what, text))
    return int(t)


# ---------------------------------------------------------------------------
# Running kaudit and Chromium
# ---------------------------------------------------------------------------

def run_kaudit(args, what):
    problem = kaudit_problem()
    if problem:
        raise CaseFailed(problem)
    cmd = [kaudit_path()] + args
    try:
        proc = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=KAUDIT_TIMEOUT, env=dict(os.environ, SOURCE_DATE_EPOCH=REPORT_EPOCH))
    except subprocess.TimeoutExpired:
        raise CaseFailed("%s: kaudit timed out after %d s" % (what, KAUDIT_TIMEOUT))
    err = proc.stderr.decode("utf-8", "replace").strip()
    if proc.returncode != 0:
        raise CaseFailed("%s: `%s` exited with %d (0 expected with --fail-on none); stderr: %s"
                         % (what, " ".join(args), proc.returncode, short(err, 300)))
    return proc.stdout


def run_chromium(url, png, user_dir, netlog, out_path, err_path):
    """Chromium on url; returns its exit status, or None when it was killed at the timeout."""
    cmd = [CHROMIUM] + CHROMIUM_FLAGS + [
        "--user-data-dir=" + user_dir, "--enable-logging=stderr", "--v=1",
        "--log-net-log=" + netlog, "--virtual-time-budget=5000",
        "--window-size=%d,%d" % WINDOW, "--screenshot=" + png, "--dump-dom", url]
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(cmd, cwd=REPO, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                start_new_session=True)
        try:
            return proc.wait(timeout=CHROMIUM_TIMEOUT)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)   # the group Chromium and its children run in
            except OSError:
                pass
            proc.wait()
            reap_group(proc.pid)
            return None


def cache_enabled():
    return os.environ.get("KT_NO_CACHE", "") in ("", "0")


def browser_key(page_bytes):
    """What Chromium's view of a page depends on: its bytes, the browser, how it is run."""
    st = os.stat(os.path.realpath(CHROMIUM))
    d = hashlib.sha256(page_bytes)
    d.update(("\n%d %d\n%r %r\n" % (st.st_size, st.st_mtime_ns, CHROMIUM_FLAGS, WINDOW)).encode())
    return d.hexdigest()


def prune_browser_cache(keep):
    try:
        names = os.listdir(BROWSER_CACHE)
    except OSError:
        return
    old = time.time() - BROWSER_CACHE_DAYS * 86400
    for name in names:
        path = os.path.join(BROWSER_CACHE, name)
        if name != keep and os.path.isdir(path) and os.path.getmtime(path) < old:
            shutil.rmtree(path, ignore_errors=True)
            try:
                os.remove(path + ".lock")
            except OSError:
                pass


def become_subreaper():
    """Orphaned Chromium helpers become our children (Linux), so a killed run leaves no zombies."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)    # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def reap_group(pgid, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            pid, _status = os.waitpid(-pgid, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)


def file_url(path):
    return "file://" + urllib.request.pathname2url(os.path.abspath(path))


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def read_netlog(path):
    """The net log's events and constants; tolerates a log cut short by a kill."""
    with open(path, "r", encoding="utf-8", errors="replace") as f:
        text = f.read()
    try:
        data = json.loads(text)
    except ValueError:
        lines = text.rstrip().splitlines()
        while lines:
            try:
                data = json.loads("\n".join(lines).rstrip().rstrip(",") + "]}")
                break
            except ValueError:
                lines.pop()
        else:
            raise ValueError("the net log %s cannot be read" % path)
    return data.get("constants", {}), data.get("events", [])


def page_requests(netlog):
    """URLs Chromium requested over the network on behalf of a file:// document."""
    constants, events = read_netlog(netlog)
    names = {v: k for k, v in constants.get("logEventTypes", {}).items()}
    out = []
    for e in events:
        if names.get(e.get("type")) != "URL_REQUEST_START_JOB":
            continue
        p = e.get("params") or {}
        if "url" not in p:
            continue
        initiator = p.get("initiator", "")
        from_page = (initiator not in ("", "not an origin")
                     or "file://" in p.get("network_isolation_key", "")
                     or "file://" in p.get("site_for_cookies", ""))
        if from_page:
            out.append(p["url"])
    return out


LOG_LINE = re.compile(r"^\[\d+:\d+:\d{4}/\d{6}\.\d+:")


def log_entries(err_path):
    """Chromium's stderr as whole log entries (a message may span lines)."""
    entries = []
    with open(err_path, "r", encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if LOG_LINE.match(line) or not entries:
                entries.append(line)
            else:
                entries[-1] += "\n" + line
    return entries


def console_lines(entries, url):
    """Console messages of the page: source the page (or no source), or naming it with "Uncaught"."""
    out = []
    for e in entries:
        if re.match(r"^\[[^\]]*:CONSOLE[:(]", e):
            m = re.search(r", source: (\S*) \(\d+\)\s*$", e)
            source = m.group(1) if m else ""
            if not (source.split("#")[0] in ("", url) or source.startswith("file:")):
                continue        # Chromium's own pages (chrome://...)
        elif not ("Uncaught" in e and url in e):
            continue
        out.append(re.sub(r"^\[[^\]]*\]\s*", "", e))
    return out


def file_loads(entries):
    out = []
    for e in entries:
        m = re.search(r"FileURLLoader::Start: (\S+)", e)
        if m:
            out.append(m.group(1))
    return out


def foreign_loads(entries, netlog, url):
    """(network requests of the page, files loaded other than the page itself)."""
    net = [u for u in page_requests(netlog) if not u.startswith("data:")]
    files = [u for u in file_loads(entries) if u.split("#")[0] != url]
    return net, files


_CANARY = None


def canary_problem():
    """None when the net log and --v=1 log see a page's foreign loads here, else why not."""
    global _CANARY
    if _CANARY is not None:
        return _CANARY or None
    tmp = tempfile.mkdtemp(prefix="kaudit-html-canary-")
    try:
        page = os.path.join(tmp, "canary.html")
        with open(page, "w") as f:
            f.write('<!DOCTYPE html><html><head><title>canary</title></head><body>'
                    '<img src="other-file.png" alt="">'
                    '<script>fetch("http://canary.invalid/ping").catch(function () {});</script>'
                    '</body></html>')
        url = file_url(page)
        netlog, err = os.path.join(tmp, "netlog.json"), os.path.join(tmp, "stderr.txt")
        rc = run_chromium(url, os.path.join(tmp, "canary.png"), os.path.join(tmp, "profile"),
                          netlog, os.path.join(tmp, "dom.html"), err)
        if rc != 0:
            _CANARY = "chromium exited with %s on the canary page" % rc
        else:
            net, files = foreign_loads(log_entries(err), netlog, url)
            missing = []
            if not any("canary.invalid" in u for u in net):
                missing.append("the canary's fetch of http://canary.invalid/ is not in the net log")
            if not any(u.endswith("/other-file.png") for u in files):
                missing.append("the canary's <img src=other-file.png> is not among the FileURLLoader lines")
            _CANARY = "; ".join(missing)
    except (OSError, ValueError) as exc:
        _CANARY = "canary page: %s" % exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return _CANARY or None


# ---------------------------------------------------------------------------
# One report
# ---------------------------------------------------------------------------

class Report(object):
    def __init__(self, name, path, full):
        self.name, self.path, self.full = name, path, full
        base = os.path.join(ARTIFACTS, "report-" + TAG + name)
        self.html_path = base + ".html"
        self.json_path = base + ".json"
        self.png = base + ".png"
        self.dom_path = base + ".dom.html"
        self.err_path = base + ".chromium.txt"
        self.netlog = base + ".netlog.json"
        self.url = file_url(self.html_path)
        self.raw = None             # kaudit's HTML as text
        self.raw_tree = None
        self.json = None            # kaudit's JSON report of the same input
        self.render_error = None
        self.dom = None             # the DOM Chromium dumped, parsed
        self.dom_text = None
        self.entries = []
        self.browser_error = None
        self.chromium_rc = None

    # -- rendering --------------------------------------------------------

    def render(self):
        for p in (self.html_path, self.json_path):
            if os.path.exists(p):
                os.remove(p)
        try:
            run_kaudit(["audit", "--format", "html", "--fail-on", "none", "-o", self.html_path, self.path],
                       "html report")
            if not os.path.isfile(self.html_path):
                raise CaseFailed("kaudit exited 0 but wrote no %s" % os.path.relpath(self.html_path, REPO))
            with open(self.html_path, "rb") as f:
                data = f.read()
            try:
                self.raw = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise CaseFailed("the HTML report is not UTF-8: %s" % exc)
            self.raw_tree = parse_html(self.raw)
            out = run_kaudit(["audit", "--format", "json", "--fail-on", "none", self.path], "json report")
            with open(self.json_path, "wb") as f:
                f.write(out)
            try:
                self.json = json.loads(out.decode("utf-8"))
            except ValueError as exc:
                raise CaseFailed("the JSON report of %s cannot be read: %s" % (self.path, exc))
        except CaseFailed as exc:
            self.render_error = str(exc)

    def need_raw(self):
        if self.raw is None or self.json is None:
            raise CaseFailed("no report to look at (%s)" % (self.render_error or "see the render case"))

    # -- the browser ------------------------------------------------------

    def open(self):
        for p in (self.png, self.dom_path, self.err_path, self.netlog):
            if os.path.exists(p):
                os.remove(p)        # no stale screenshot from an earlier run
        if self.raw is None:
            self.browser_error = "no report to open (%s)" % (self.render_error or "see the render case")
            return
        problem = no_chromium()
        if problem:
            self.browser_error = problem
            return
        if cache_enabled():
            self.open_cached()
        else:
            self.chromium_rc = self.run_browser(self.url, self.png, self.netlog, self.dom_path, self.err_path)
        self.entries = log_entries(self.err_path)
        if self.chromium_rc is None:
            self.browser_error = ("chromium did not finish within %d s (killed): an endless script, or an "
                                  "alert()/confirm()/prompt() dialog, which blocks headless Chromium (markup "
                                  "from the log run as script?)" % CHROMIUM_TIMEOUT)
            return
        if self.chromium_rc != 0:
            tail = [e for e in self.entries if ":ERROR:" in e or ":FATAL:" in e][-3:]
            self.browser_error = "chromium exited with %d; last errors: %s" % (self.chromium_rc, short(tail, 400))
            return
        with open(self.dom_path, "r", encoding="utf-8", errors="replace") as f:
            self.dom_text = f.read()
        if "<html" not in self.dom_text.lower():
            self.browser_error = "chromium's --dump-dom printed no document: %s" % short(self.dom_text, 200)
            return
        self.dom = parse_html(self.dom_text)

    @staticmethod
    def run_browser(url, png, netlog, dom_path, err_path):
        profile = tempfile.mkdtemp(prefix="kaudit-html-profile-")
        try:
            return run_chromium(url, png, profile, netlog, dom_path, err_path)
        finally:
            shutil.rmtree(profile, ignore_errors=True)

    def open_cached(self):
        """Chromium's one run on a page of these bytes (module doc), copied to
        the artifacts; the page is opened from the cache entry, whose URL the
        checks then use."""
        with open(self.html_path, "rb") as f:
            page_bytes = f.read()
        key = browser_key(page_bytes)
        entry = os.path.join(BROWSER_CACHE, key)
        page = os.path.join(entry, "report.html")
        files = {"png": "screenshot.png", "dom_path": "dom.html", "err_path": "chromium.txt",
                 "netlog": "netlog.json"}
        os.makedirs(BROWSER_CACHE, exist_ok=True)
        with open(entry + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            rc_path = os.path.join(entry, "rc")
            if not os.path.exists(rc_path):
                shutil.rmtree(entry, ignore_errors=True)
                os.makedirs(entry)
                with open(page, "wb") as f:
                    f.write(page_bytes)
                rc = self.run_browser(file_url(page), *(os.path.join(entry, files[k])
                                                         for k in ("png", "netlog", "dom_path", "err_path")))
                with open(rc_path + ".tmp", "w") as f:
                    f.write("killed" if rc is None else str(rc))
                os.replace(rc_path + ".tmp", rc_path)
            with open(rc_path) as f:
                text = f.read().strip()
            os.utime(entry)
        self.chromium_rc = None if text == "killed" else int(text)
        for attr, name in files.items():
            if os.path.exists(os.path.join(entry, name)):
                shutil.copyfile(os.path.join(entry, name), getattr(self, attr))
        self.url = file_url(page)
        prune_browser_cache(key)

    def need_dom(self):
        if self.dom is None:
            raise CaseFailed(self.browser_error or "no DOM")

    # -- facts from the JSON report ----------------------------------------

    def findings(self):
        return self.json.get("findings") or []

    def omitted(self):
        return self.json.get("findings_omitted") or {}

    def summary(self):
        return self.json.get("summary") or {}


# ---------------------------------------------------------------------------
# The check groups
# ---------------------------------------------------------------------------

def case_render(case, r):
    if r.render_error:
        raise CaseFailed(r.render_error)
    size = os.path.getsize(r.html_path)
    case.check(size > 0, "the report file is empty")
    if r.full:
        case.check(size < MAX_REPORT_BYTES, "the full report takes %d bytes (limit %d)" % (size, MAX_REPORT_BYTES))
    case.check(re.match(r"\s*<!doctype html>", r.raw, re.I) is not None,
               "the file does not begin with <!DOCTYPE html> (quirks mode): %s" % short(r.raw[:80]))
    case.check("@media print" in r.raw, "no print stylesheet: the file has no \"@media print\"")
    for key in ("summary", "findings"):
        case.check(key in r.json, "the JSON report of %s has no \"%s\"" % (r.path, key))


def case_browser(case, r):
    if r.dom is None and r.chromium_rc is None:
        raise CaseFailed(r.browser_error or "chromium did not run")
    case.eq("chromium exit status", r.chromium_rc, 0)
    size = png_size(r.png) if os.path.exists(r.png) else None
    if case.check(size is not None, "no PNG screenshot at %s" % os.path.relpath(r.png, REPO)):
        case.eq("screenshot size", list(size), list(WINDOW))
    case.check(r.dom is not None, r.browser_error or "no DOM")
    console = console_lines(r.entries, r.url)
    case.check(not console, "the page wrote %d console message(s) (an error, an uncaught exception or "
               "another message; Chromium does not log their level): %s"
               % (len(console), short(console[:3], 600)))


def severity_counts(r):
    """type -> {severity: listed count}; type -> total from the summary."""
    by = {}
    for f in r.findings():
        by.setdefault(f.get("type"), {s: 0 for s in SEVERITIES})
        if f.get("severity") in SEVERITIES:
            by[f["type"]][f["severity"]] += 1
    totals = {t: n for t, n in (r.summary().get("findings_by_type") or {}).items() if n}
    return by, totals


def case_summary(case, r):
    r.need_raw()
    r.need_dom()
    sev = r.summary().get("findings_by_severity") or {}
    verdict = r.dom.find_all("p", id="verdict")
    if case.check(len(verdict) == 1, "%d <p id=\"verdict\"> elements (1 expected)" % len(verdict)):
        text = text_of(verdict[0])
        if not r.full:
            case.check(text.startswith("Clean"), "the clean report's verdict does not start with \"Clean\": %s"
                       % short(text))
        else:
            case.check(not text.startswith("Clean"), "the verdict says clean with findings: %s" % short(text))
            for s in ("error", "warning"):
                want = sev.get(s)
                got = {int(n.replace(",", "")) for n in re.findall(r"(\d[\d,]*)\s+%ss?\b" % s, text, re.I)}
                ok = got == {want} or (want == 0 and not got)     # "no warnings" may go unsaid
                case.check(ok, "the verdict should name %s %s(s) (summary.findings_by_severity); "
                           "it names %s: %s" % (want, s, sorted(got) or "none", short(text, 300)))
    by, totals = severity_counts(r)
    tables = r.dom.find_all("table", id="counts")
    if not tables and not totals and not r.findings():
        case.check(True, "")        # nothing found: the counts table may be left out
        return
    if not case.check(len(tables) == 1, "%d <table id=\"counts\"> elements (1 expected)" % len(tables)):
        return
    rows = [n for n in tables[0].iter() if n.tag == "tr" and n.get("data-type") is not None]
    seen = {}
    for row in rows:
        t = row.get("data-type")
        if not case.check(t not in seen, "two rows for type %s in the counts table" % t):
            continue
        seen[t] = row
    case.eq("types in the counts table", sorted(seen), sorted(totals))
    omitted = r.omitted()
    for t, row in sorted(seen.items()):
        if t not in totals:
            continue
        cells = {}
        for col in SEVERITIES + ("total",):
            hits = [n for n in row.iter() if n.tag == "td" and col in n.classes()]
            if not case.check(len(hits) == 1, "counts row %s: %d <td class=\"%s\"> (1 expected)" % (t, len(hits), col)):
                continue
            try:
                cells[col] = number_in(text_of(hits[0]), "counts row %s, %s" % (t, col))
            except ValueError as exc:
                case.fail(str(exc))
        if "total" in cells:
            case.eq("counts row %s: total" % t, cells["total"], totals[t])
        listed = by.get(t, {s: 0 for s in SEVERITIES})
        if not omitted.get(t):
            for s in SEVERITIES:
                if s in cells:
                    case.eq("counts row %s: %s" % (t, s), cells[s], listed[s])
        elif all(s in cells for s in SEVERITIES):
            # Some of this type were not listed: the split is only bounded.
            case.eq("counts row %s: error+warning+info" % t, sum(cells[s] for s in SEVERITIES), totals[t])
            for s in SEVERITIES:
                case.check(cells[s] >= listed[s], "counts row %s: %s %d, but %d are listed"
                           % (t, s, cells[s], listed[s]))


def case_findings(case, r):
    r.need_raw()
    r.need_dom()
    want = {f["id"]: f for f in r.findings()}
    case.check(len(want) == len(r.findings()), "the JSON report repeats a finding id")
    tables = r.dom.find_all("table", id="findings-table")
    if not tables and not want:
        case.check(True, "")        # nothing found: the findings table may be left out
    elif case.check(len(tables) == 1, "%d <table id=\"findings-table\"> (1 expected)" % len(tables)):
        rows, problems = html_rows.rows_of(tables[0])
        case.check(not problems, "findings table: %s" % short(problems, 400))
        got = {}
        for row in rows:
            if case.check(row.id not in got, "two findings-table rows for %s" % row.id):
                got[row.id] = row
        missing = sorted(set(want) - set(got))
        extra = sorted(set(got) - set(want), key=str)
        case.check(not missing, "%d JSON finding(s) have no findings-table row: %s" % (len(missing), short(missing)))
        case.check(not extra, "findings-table rows not in the JSON report: %s" % short(extra))
        for ident in sorted(set(want) & set(got)):
            f, row = want[ident], got[ident]
            case.check(row.linked, "findings-table row %s has no <a href=\"#%s\">" % (ident, ident))
            for attr, key in (("data-type", "type"), ("data-severity", "severity"), ("data-topic", "topic"),
                              ("data-partition", "partition")):
                case.eq("%s %s" % (ident, attr), row.attrs.get(attr), None if f.get(key) is None else str(f[key]))
    ids = {}
    for n in r.dom.iter():
        ident = n.get("id")
        if ident is not None:
            ids[ident] = ids.get(ident, 0) + 1
    dup = sorted(i for i, c in ids.items() if c > 1)
    case.check(not dup, "ids used more than once: %s" % short(dup))
    kept = html_rows.deflated_ids(r.dom)
    dangling = sorted({n.get("href") for n in r.dom.iter()
                       if (n.get("href") or "").startswith("#") and n.get("href")[1:] not in ids
                       and n.get("href")[1:] not in kept})
    case.check(not dangling, "links to ids that do not exist: %s" % short(dangling))


def case_controls(case, r):
    r.need_raw()
    r.need_dom()
    filters = (("select", "filter-type"), ("select", "filter-severity"),
               ("input", "filter-topic"), ("input", "filter-producer"))
    present = [ident for _tag, ident in filters if r.dom.by_id(ident) is not None]
    if not present and not r.findings() and r.dom.by_id("findings-table") is None:
        filters = ()                # nothing found, no table: nothing to filter
    for tag, ident in filters:
        node = r.dom.by_id(ident)
        if case.check(node is not None, "no <%s id=\"%s\">" % (tag, ident)):
            case.check(node.tag == tag, "#%s is a <%s>, not a <%s>" % (ident, node.tag, tag))
    svgs = [n for n in r.dom.iter() if n.tag == "svg"]
    bar = [n for n in r.dom.iter() if n.get("id") == "findings-bar"]
    if r.full and case.check(len(bar) == 1, "%d elements id=\"findings-bar\" (1 expected in the full report)"
                             % len(bar)):
        totals = {t: n for t, n in (r.summary().get("findings_by_type") or {}).items() if n}
        bars = {}
        for n in bar[0].iter():
            if n.get("data-type") is not None:
                bars[n.get("data-type")] = text_of(n)
        case.eq("types in the bar chart", sorted(bars), sorted(totals))
        for t, text in sorted(bars.items()):
            if t in totals:
                case.eq("bar %s: count" % t, text, str(totals[t]))
    timelines = {(n.get("data-topic"), n.get("data-partition")) for n in svgs if "timeline" in n.classes()}
    need = sorted({(f.get("topic"), str(f.get("partition"))) for f in r.findings()})
    without = [p for p in need if p not in timelines]
    case.check(not without, "%d of %d partitions with findings have no <svg class=\"timeline\" data-topic "
               "data-partition>: %s" % (len(without), len(need), short(without, 300)))
    case.check(need or not r.full, "the full report's JSON has no findings")


def escaping_checks(case, tree, where):
    scripts = [n for n in tree.iter() if n.tag == "script"]
    case.check(len(scripts) == 1, "%s: %d <script> elements (only the report's own expected)" % (where, len(scripts)))
    handlers = sorted({"<%s %s>" % (n.tag, k) for n in tree.iter() for k, _v in n.attrs if k.startswith("on")})
    case.check(not handlers, "%s: event handler attributes: %s" % (where, short(handlers, 300)))
    imgs = [n for n in tree.iter() if n.tag == "img"]
    case.check(not imgs, "%s: %d <img> element(s): %s" % (where, len(imgs), short([n.attrs for n in imgs[:3]], 300)))
    bold = [n for n in tree.iter() if n.tag == "b" and text_of(n) == HOSTILE_HEADER_TEXT]
    case.check(not bold, "%s: the header value <b>bold</b> became a <b> element" % where)


def case_escaping(case, r):
    r.need_raw()
    escaping_checks(case, r.raw_tree, "kaudit's file")
    if r.full:
        case.check("<script>alert(1)" not in r.raw, "the raw file holds the key's <script> unescaped")
    r.need_dom()
    escaping_checks(case, r.dom, "DOM")
    if r.full:
        hosts = [n for n in r.dom.iter() if n.tag not in ("script", "style") and HOSTILE_KEY in n.text()]
        case.check(hosts, "the hostile key %s is not the text of any element" % HOSTILE_KEY)


LOCAL_OK = ("data:",)
URL_ATTRS = {"src": ("data:",), "srcset": ("data:",), "poster": ("data:",), "action": ("data:",),
             "formaction": ("data:",), "background": ("data:",),
             "href": ("#", "data:"), "xlink:href": ("#", "data:")}
FORBIDDEN_TAGS = ("link", "iframe", "frame", "object", "embed", "base")


def self_contained_checks(case, tree, where, extra_ok=()):
    tags = sorted({n.tag for n in tree.iter() if n.tag in FORBIDDEN_TAGS})
    case.check(not tags, "%s: %s" % (where, ", ".join("<%s>" % t for t in tags)))
    refresh = [n for n in tree.iter() if n.tag == "meta" and (n.get("http-equiv") or "").lower() == "refresh"]
    case.check(not refresh, "%s: <meta http-equiv=refresh>" % where)
    bad = []
    for n in tree.iter():
        for k, v in n.attrs:
            ok = URL_ATTRS.get(k)
            if ok is None or v is None:
                continue
            if not v.strip().lower().startswith(ok + tuple(extra_ok)):
                bad.append("<%s %s=%s>" % (n.tag, k, v[:80]))
    case.check(not bad, "%s: references outside the file: %s" % (where, short(sorted(set(bad)), 400)))


def case_self_contained(case, r):
    r.need_raw()
    self_contained_checks(case, r.raw_tree, "kaudit's file")
    remote = sorted(set(m.group(0) for m in re.finditer(
        r"""(?i)\b(?:src|href|srcset|poster|action)\s*=\s*["']?\s*(?:https?:|//|file:|ftp:|wss?:)[^"'\s>]{0,60}""", r.raw)))
    case.check(not remote, "the raw file points outside itself: %s" % short(remote, 400))
    css = "\n".join(["".join(c for c in n.children if isinstance(c, str))
                     for n in r.raw_tree.iter() if n.tag == "style"]
                    + [v for n in r.raw_tree.iter() for k, v in n.attrs if k == "style" and v])
    case.check(not re.search(r"(?i)@import", css), "the stylesheet has a CSS @import")
    urls = sorted(set(m.group(0) for m in re.finditer(r"""(?i)\burl\(\s*(?!["']?\s*(?:data:|#))[^)]{0,60}\)""", css)))
    case.check(not urls, "CSS url() outside the file: %s" % short(urls, 300))
    r.need_dom()
    self_contained_checks(case, r.dom, "DOM", extra_ok=("blob:",))
    canary = canary_problem()
    if canary:
        case.fail("the network check cannot be trusted on this chromium: %s" % canary)
        return
    try:
        net, files = foreign_loads(r.entries, r.netlog, r.url)
    except (OSError, ValueError) as exc:
        raise CaseFailed("cannot read what chromium loaded: %s" % exc)
    case.check(not net, "the page made network requests: %s" % short(sorted(set(net)), 400))
    case.check(not files, "the page loaded other files: %s" % short(sorted(set(files)), 400))
    case.check(any(u.split("#")[0] == r.url for u in file_loads(r.entries)),
               "the --v=1 log does not show the page itself being loaded (FileURLLoader::Start %s)" % r.url)


CASES = (("render", case_render), ("browser", case_browser), ("summary", case_summary),
         ("findings", case_findings), ("controls", case_controls), ("escaping", case_escaping),
         ("self-contained", case_self_contained))


def main():
    os.chdir(REPO)
    os.makedirs(ARTIFACTS, exist_ok=True)
    become_subreaper()
    problem = no_chromium()
    if problem:
        sys.stderr.write("test_html: %s\n" % problem)
    h = Harness()
    for name, path, full in REPORTS:
        r = Report(name, path, full)
        r.render()
        r.open()
        for cname, fn in CASES:
            h.run("%s %s" % (name, cname), fn, r)
    return h.done()


if __name__ == "__main__":
    sys.exit(main())
