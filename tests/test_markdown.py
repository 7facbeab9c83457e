#!/usr/bin/env python3
"""test_markdown.py - `kaudit audit --format markdown` renders as intended
on GitHub and GitLab: rendered by cmark-gfm (Debian's cmark-gfm, the
renderer GitHub's is a fork of) with its table extension, the Markdown of
real audits must give

  * a <table> of counts by type and severity, and one ranking the
    partitions with the most findings, neither inside a list item (a table
    right after a list renders as the text of its last item), and no table
    syntax left as text;
  * numbers equal to the JSON report of the same audit (--max-examples -1,
    every finding listed): counts by type and severity, each partition's
    findings by severity, ranked the most errors first, then warnings, then
    notes, then report order;
  * findings listed with their message, partition and previews exactly as
    the JSON says (in the text form of docs/report.md), and for every type a
    row saying how many more there are;
  * no element but those the renderer writes for our own syntax (no link,
    emphasis, strikethrough, raw HTML from a name), even for a partition
    directory whose name is made of Markdown;
  * at most 65,536 characters (GitHub's limit on a comment), also for the
    corpus with --max-examples -1 and a log directory of 480 partitions with
    249-character topic names, where the last line says how many findings
    were left out and that the JSON and HTML reports hold them.

A missing cmark-gfm (sh tests/deps.sh test) is a failure, never a skip.
KAUDIT names the binary (default ./kaudit). Ends with "kt: N passed, M
failed"; exit status 1 if any check failed.
"""

import glob
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True   # leave no __pycache__ in the work tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from checks import check, done
from kt_kaudit import REPO, Failed, run, short

CORPUS = os.path.join(os.path.dirname(REPO), "shared", "corpus")
LIMIT = 65536
CMARK = shutil.which("cmark-gfm")
SEV = ("error", "warning", "info")
# What cmark-gfm writes for the syntax kaudit uses; anything else (a, em,
# strong around data, del, img, raw HTML) came from the data.
ALLOWED = {"h2", "h3", "p", "strong", "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "code"}

BIDI = {0x061C, 0x200E, 0x200F} | set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))


def text_form(s):
    """docs/report.md's text form of a string as JSON gives it: controls and
    bidirectional controls as \\xNN of their UTF-8 bytes (a byte that is not
    UTF-8 is the text \\xNN in JSON already)."""
    out = []
    for ch in s:
        cp = ord(ch)
        if cp < 0x20 or 0x7F <= cp <= 0x9F or cp in BIDI:
            out.append("".join("\\x%02x" % b for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


class Page(html.parser.HTMLParser):
    """The rendered HTML: every table (its ancestors, header and rows of
    cell texts, and the <code> texts of each cell), list items, tags."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.tables, self.items, self.tags, self.paragraphs = [], [], [], set(), []
        self.cell = self.row = self.table = self.code = self.item = self.para = None

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag == "table":
            self.table = {"inside": list(self.stack), "head": [], "rows": []}
            self.tables.append(self.table)
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = {"text": "", "code": []}
        elif tag == "code":
            self.code = ""
        elif tag == "li":
            self.item = ""
        elif tag == "p":
            self.para = ""
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(self.cell)
            self.cell = None
        elif tag == "tr" and self.row is not None and self.table is not None:
            (self.table["head"] if "thead" in self.stack else self.table["rows"]).append(self.row)
            self.row = None
        elif tag == "code" and self.code is not None:
            if self.cell is not None:
                self.cell["code"].append(self.code)
            self.code = None
        elif tag == "li" and self.item is not None:
            self.items.append(self.item)
            self.item = None
        elif tag == "p" and self.para is not None:
            self.paragraphs.append(self.para)
            self.para = None
        elif tag == "table":
            self.table = None

    def handle_data(self, data):
        for attr in ("code", "item", "para"):
            if getattr(self, attr) is not None:
                setattr(self, attr, getattr(self, attr) + data)
        if self.cell is not None:
            self.cell["text"] += data


def render(name, md):
    """cmark-gfm's HTML of md (a str), parsed; None when it failed (said)."""
    if not CMARK:
        check("%s: cmark-gfm installed (sh tests/deps.sh test)" % name, False, "no cmark-gfm on PATH")
        return None
    p = subprocess.run([CMARK, "-e", "table", "-e", "autolink", "-e", "strikethrough", "-e", "tagfilter"],
                       input=md.encode("utf-8"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    check("%s: cmark-gfm renders it" % name, p.returncode == 0, p.stderr.decode("utf-8", "replace")[-300:])
    page = Page()
    page.feed(p.stdout.decode("utf-8"))
    page.close()
    return page


def head(table):
    return [c["text"].strip() for c in table["head"][0]] if table["head"] else []


def find_table(page, columns):
    tables = [t for t in page.tables if head(t) == columns]
    return tables[0] if len(tables) == 1 else None


def audit(args):
    """(exit status, Markdown or JSON text) of kaudit audit ARGS."""
    rc, out, err = run(["audit", "-q", "--fail-on", "none"] + args)
    return rc, out.decode("utf-8")


def partition_label(p, partitions):
    twins = sum(1 for q in partitions if q["topic"] == p["topic"] and q["partition"] == p["partition"])
    label = "%s-%d" % (text_form(p["topic"]), p["partition"])
    return label + (" (%s)" % text_form(p["path"]) if twins > 1 else "")


def expected_ranking(report):
    """[(label, [errors, warnings, infos])] as the Markdown ranks them."""
    parts = report["partitions"]
    index = {}
    for i, p in enumerate(parts):
        index.setdefault((p["topic"], p["partition"], p["path"]), i)
    counts = {}
    for f in report["findings"]:
        i = index[(f["topic"], f["partition"], f["path"])]
        counts.setdefault(i, [0, 0, 0])[SEV.index(f["severity"])] += 1
    order = sorted(counts, key=lambda i: (-counts[i][0], -counts[i][1], -counts[i][2], i))
    return [(partition_label(parts[i], parts), counts[i]) for i in order]


def num(cell):
    try:
        return int(cell["text"].strip())
    except ValueError:
        return None


def check_document(name, md, report, full):
    """Every check of one Markdown document against the JSON report of the
    same audit. `full`: the Markdown was made with --max-examples -1 (its
    finding ids are the JSON's)."""
    check("%s: at most %d characters" % (name, LIMIT), len(md) <= LIMIT and len(md.encode("utf-8")) <= LIMIT,
          "%d characters, %d bytes" % (len(md), len(md.encode("utf-8"))))
    page = render(name, md)
    if page is None:
        return
    stray = page.tags - ALLOWED
    check("%s: no element but ours (no link, emphasis, strikethrough or HTML from the data)" % name, not stray,
          ", ".join(sorted(stray)))
    check("%s: no table syntax left as text" % name,
          not any("|---" in p or "| ---" in p for p in page.paragraphs + page.items), short(page.paragraphs))
    for t in page.tables:
        check("%s: table %s not inside a list item or paragraph" % (name, head(t)),
              "li" not in t["inside"] and "p" not in t["inside"], " > ".join(t["inside"]))
    # The inputs not audited, each a list item in the text form.
    problems = report["problems"]
    shown = [i for i in page.items if i.startswith("Not audited: ")]
    check("%s: problems listed (at most 20)" % name, len(shown) == min(len(problems), 20) or
          len(md) > LIMIT - 2048, "%d of %d" % (len(shown), len(problems)))
    for item, p in zip(shown, problems):
        check("%s: problem %r shown as its text form" % (name, p[:60]), item == "Not audited: " + text_form(p),
              short(item))
    types = report["summary"]["findings_by_type"]
    if not types:
        check("%s: no findings, no counts table" % name, find_table(page, ["finding", "error", "warning", "info"])
              is None)
        return
    # Counts by type and severity.
    by = {}
    for f in report["findings"]:
        by.setdefault(f["type"], [0, 0, 0])[SEV.index(f["severity"])] += 1
    counts = find_table(page, ["finding", "error", "warning", "info"])
    check("%s: a table of counts" % name, counts is not None, short([head(t) for t in page.tables]))
    if counts:
        got = {}
        for row in counts["rows"]:
            code = row[0]["code"]
            got[code[0] if code else row[0]["text"]] = [num(c) for c in row[1:4]]
        check("%s: counts by type equal the JSON's findings" % name, got == by, "%s != %s" % (got, by))
        check("%s: counts by type equal the JSON's summary" % name,
              {t: sum(v) for t, v in got.items()} == types, "%s != %s" % (got, types))
        check("%s: counts by severity equal the JSON's summary" % name,
              [sum(v[i] for v in got.values()) for i in range(3)] ==
              [report["summary"]["findings_by_severity"][s] for s in SEV])
    # The partitions with the most findings.
    ranking = find_table(page, ["partition", "error", "warning", "info", "findings"])
    check("%s: a table ranking the partitions" % name, ranking is not None, short([head(t) for t in page.tables]))
    if ranking:
        want = expected_ranking(report)
        rows = [r for r in ranking["rows"] if not r[0]["text"].startswith("... and ")]
        got = [(r[0]["text"].strip(), [num(c) for c in r[1:4]]) for r in rows]
        check("%s: ranking rows equal the JSON's findings by partition" % name, got == want[:len(got)],
              "%s != %s" % (short(got), short(want[:len(got)])))
        check("%s: the ranking's totals" % name, all(num(r[4]) == sum(num(c) for c in r[1:4]) for r in rows))
        check("%s: ranking lists 20 (or every) partition" % name, len(got) == min(20, len(want)) or
              len(md) > LIMIT - 2048, "%d of %d" % (len(got), len(want)))
        more = [r for r in ranking["rows"] if r[0]["text"].startswith("... and ")]
        if len(got) < len(want):
            check("%s: the ranking says how many more" % name,
                  [m[0]["text"].strip() for m in more] == ["... and %d more partitions with findings" %
                                                           (len(want) - len(got))], short(more))
    # The findings listed, and how many more of each type.
    listing = find_table(page, ["id", "severity", "partition", "offset", "producer", "finding"])
    check("%s: a table of findings" % name, listing is not None)
    if not listing:
        return
    ids = {f["id"]: f for f in report["findings"]}
    listed, more, bad = {}, {}, []
    for row in listing["rows"]:
        cells = [c["text"].strip() for c in row]
        m = re.match(r"^\.\.\. and (\d+) more (\S+)$", cells[5])
        if not cells[0] and m:
            more[m.group(2)] = int(m.group(1))
            continue
        t = row[5]["text"]
        listed.setdefault(cells[1], 0)
        listed[cells[1]] += 1
        if not full:
            continue
        f = ids.get(cells[0])
        if f is None:
            bad.append("%s: no such finding in the JSON" % cells[0])
            continue
        part = "%s-%d" % (text_form(f["topic"]), f["partition"])
        want_cells = [f["id"], f["severity"], part, str(f["offset"]), str(f.get("producer_id", ""))]
        if cells[:5] != want_cells:
            bad.append("%s != %s" % (cells[:5], want_cells))
        if not t.strip().startswith(text_form(f["message"])):
            bad.append("%s: message %r does not start %r" % (f["id"], t[:120], text_form(f["message"])[:120]))
        if "key_preview" in f and "value_preview" in f:
            want_code = [f["key_preview"].replace("|", "/"), f["value_preview"].replace("|", "/")]
            if row[5]["code"] != want_code:
                bad.append("%s: previews %r != %r" % (f["id"], row[5]["code"], want_code))
    check("%s: listed findings are the JSON's, cell for cell" % name, not bad, short(bad[:3]))
    n_listed = sum(listed.values())
    total = sum(types.values())
    check("%s: listed plus 'more' rows make every finding" % name, n_listed + sum(more.values()) == total,
          "%d listed + %s != %d" % (n_listed, more, total))
    for t, n in types.items():
        check("%s: %s: a 'more' row when not all are listed" % (name, t),
              t in more or sum(1 for f in report["findings"] if f["type"] == t) <= n_listed)
    last = page.paragraphs[-1] if page.paragraphs else ""
    if n_listed < total:
        check("%s: the last line says how many were left out, and where" % name,
              ("Listed %d of %d findings (%d left out" % (n_listed, total, total - n_listed)) in last and
              "--format json" in last and "--format html" in last, short(last))


def case(name, paths, extra=()):
    """Audit `paths` in JSON (every finding) and Markdown (default, and
    with --max-examples -1), and check both Markdown documents."""
    try:
        rc, text = audit(["--format", "json", "--max-examples", "-1"] + list(extra) + paths)
        report = json.loads(text)
        check("%s: the JSON lists every finding" % name, not report["findings_omitted"],
              short(report["findings_omitted"]))
        rc2, md = audit(["--format", "markdown"] + list(extra) + paths)
        check("%s: markdown exits as json does" % name, rc2 == rc, "%d != %d" % (rc2, rc))
        check_document(name, md, report, False)
        rc3, md_all = audit(["--format", "markdown", "--max-examples", "-1"] + list(extra) + paths)
        check_document(name + " (--max-examples -1)", md_all, report, True)
        return md_all
    except (Failed, ValueError, KeyError) as e:
        check("%s: ran" % name, False, str(e))
        return ""


def many_partitions(root):
    """480 partitions of topics with 249-character names (Kafka's longest),
    each a copy of a fixture's partition with one finding: 120 each of
    duplicate, sequence_gap, epoch_regression and offset_regression, more
    than 65,536 characters of rows even for the 100 examples of each that
    a report keeps in memory once it spilled the rest."""
    for k, fixture in enumerate(("01-dup-retry", "07-sequence-gap", "10-epoch-regression", "21-offset-regression")):
        src = glob.glob(os.path.join(REPO, "fixtures", "audit", fixture, "*-0"))[0]
        for i in range(120):
            topic = ("t%d%03d-" % (k, i)) + "x" * 243
            shutil.copytree(src, os.path.join(root, "%s-0" % topic))


def markdown_names(root):
    """Partition directories named with Markdown (not Kafka names: listed as
    problems) next to a duplicate: emphasis, a link, an entity for U+202E,
    raw HTML, a pipe, backticks, strikethrough, an autolink."""
    src = os.path.join(REPO, "fixtures", "audit", "01-dup-retry", "dup-retry-0")
    names = ["*em* _u_ [x](http://e.example) &#8238;rev <b>b</b> | `c` ~~s~~ http://e.example $m$ {+d+}-0",
             "tab\tand\x1b[2J|pipe-0"]
    for n in names:
        shutil.copytree(src, os.path.join(root, n))
    shutil.copytree(src, os.path.join(root, "ok-0"))


def main():
    check("cmark-gfm installed (sh tests/deps.sh test)", CMARK is not None, "no cmark-gfm on PATH")
    fixtures = sorted(d for d in glob.glob(os.path.join(REPO, "fixtures", "audit", "*")) if os.path.isdir(d))
    check("audit fixtures found", len(fixtures) >= 40, str(len(fixtures)))
    for d in fixtures:
        case(os.path.basename(d), sorted(glob.glob(os.path.join(d, "*"))))
    case("sample", [os.path.join(REPO, "fixtures", "sample", "logdir")])
    case("all audit fixtures together", sorted(glob.glob(os.path.join(REPO, "fixtures", "audit", "*", "*"))))
    tmp = tempfile.mkdtemp(prefix="kt-markdown-")
    try:
        os.mkdir(os.path.join(tmp, "many"))
        many_partitions(os.path.join(tmp, "many"))
        md = case("480 partitions with long names", [os.path.join(tmp, "many")])
        check("480 partitions: the size stopped the listing, and it says so",
              "stops at the 65,536 characters" in md and len(md) > LIMIT - 8192, "%d characters" % len(md))
        os.mkdir(os.path.join(tmp, "names"))
        markdown_names(os.path.join(tmp, "names"))
        case("partition directories named with Markdown", [os.path.join(tmp, "names")])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if os.path.isdir(CORPUS):
        md = case("corpus", [CORPUS], ["--jobs", "2"])
        check("corpus (--max-examples -1): within the limit", 0 < len(md) <= LIMIT, "%d characters" % len(md))
    else:
        check("corpus at %s" % CORPUS, False, "missing")
    return done()


if __name__ == "__main__":
    sys.exit(main())
