#!/usr/bin/python3
"""test_operator.py - what a scheduled audit needs (issue 16): finding ids that
stay the same, a baseline, filters that match nothing, foreign files.

Each part checks a behaviour that was broken before:

  * ids: a finding's id was its place in the list (F110 by default, F66812
    with --max-examples -1, F9 with --topics), so report.html#F110 pointed
    elsewhere the next day. Now it is a fingerprint (F and 12 hex digits) of
    what identifies the finding: the same across runs, paths, --topics,
    --max-examples, --jobs and --max-memory; the HTML anchor is the JSON id.
  * --baseline OLD.json: against the same audit 0 new and exit 0; against an
    audit made before an injected duplicate exactly that one new (exit 1);
    a duplicate removed is gone; every format shows it; a baseline that is
    not a kaudit report is a usage error (exit 2, one line).
  * a filter or window that matches nothing (--topics '^nomatch$', --since
    2030-01-01, --offsets past the data, an index given alone) was "Clean",
    exit 0: now a usage warning on stderr and exit 2; every report records the
    options and inputs it ran with.
  * a foreign file given to audit (/etc/passwd, a .tgz) was a corrupt_batch
    error "unknown magic byte 47" at offset 8245931987726514736 (exit 1): now
    named as not a kind Kafka keeps, skipped, in problems, exit 2, as kaudit
    dump does; FIFOs named like Kafka's files are never opened.

The baseline fixture is written with kafka-python (fixtures/gen_fixtures.py's
broker-like Partition) and read back with tests/oracle.py.

Run: /usr/bin/python3 tests/test_operator.py   (uses ./kaudit, or $KAUDIT)
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "fixtures"))

from checks import check, done  # noqa: E402
from kt_kaudit import Failed, check_schema, kaudit_path, short  # noqa: E402

AUDIT_FIXTURES = os.path.join(REPO, "fixtures", "audit")
SAMPLE = os.path.join(REPO, "fixtures", "sample", "logdir")
REPLICAS = os.path.join(REPO, "fixtures", "replicas")
ID = re.compile(r"^F[0-9a-f]{12}$")
TIMEOUT = 120


def run(args, timeout=TIMEOUT, env=None):
    """kaudit ARGS from the repository root: (exit status, stdout bytes, stderr
    text); exit "timeout" when it did not end."""
    e = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    e.update(env or {})
    try:
        p = subprocess.run([kaudit_path()] + args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout, env=e)
    except subprocess.TimeoutExpired:
        return "timeout", b"", ""
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode < 0 or "Sanitizer" in err or "runtime error" in err:
        raise Failed("kaudit %s: signal or sanitizer: %s" % (" ".join(args), short(err)))
    return p.returncode, p.stdout, err


def report(args, name):
    """The JSON report of `kaudit audit --format json ARGS` (and its exit, stderr)."""
    rc, out, err = run(["audit", "--format", "json"] + args)
    try:
        rep = json.loads(out)
    except ValueError:
        raise Failed("%s: no JSON report (exit %s): %s" % (name, rc, short(err)))
    check_schema(name, rep)
    return rep, rc, err


def identity(f):
    """What a finding is, said without its id: type, where, and its words."""
    return (f["type"], f["path"], f["offset"], f.get("producer_id"), f["message"])


def ids_of(rep):
    return {identity(f): f["id"] for f in rep["findings"]}


# ---- finding ids ------------------------------------------------------------------

def test_ids():
    full, _, _ = report(["--max-examples", "-1", "--fail-on", "none", AUDIT_FIXTURES], "ids: every finding")
    ids = [f["id"] for f in full["findings"]]
    check("ids: findings to compare", len(ids) > 30, str(len(ids)))
    check("ids: each is F and 12 hex digits", all(ID.match(i) for i in ids),
          short([i for i in ids if not ID.match(i)]))
    check("ids: unique in a report", len(set(ids)) == len(ids), "%d ids, %d distinct" % (len(ids), len(set(ids))))
    want = ids_of(full)

    def same(name, rep):
        got = ids_of(rep)
        bad = [(k, v, want.get(k)) for k, v in got.items() if want.get(k) != v]
        check("ids: %s gives each finding the id it has in the full list" % name, got and not bad,
              "%d findings, %d differ: %s" % (len(got), len(bad), short(bad[:2])))

    for name, args in (("the default --max-examples", []),
                       ("--max-examples 1", ["--max-examples", "1"]),
                       ("--jobs 1", ["--max-examples", "-1", "--jobs", "1"]),
                       ("--jobs 4 --max-memory 4M (spilled)", ["--max-examples", "-1", "--jobs", "4",
                                                               "--max-memory", "4M"])):
        rep, _, _ = report(args + ["--fail-on", "none", AUDIT_FIXTURES], "ids: " + name)
        same(name, rep)
    # A topic chosen alone: the same ids as among all (was F9 against F110).
    for topic in ("dup-retry", "sequence-gap", "__consumer_offsets"):
        rep, _, _ = report(["--topics", "^%s$" % re.escape(topic), "--fail-on", "none", AUDIT_FIXTURES],
                           "ids: --topics " + topic)
        same("--topics '^%s$'" % topic, rep)
    # The same data elsewhere (a copy of the partition directory under another
    # parent): the same ids, paths are no part of them.
    tmp = tempfile.mkdtemp(prefix="kt-op-ids-")
    try:
        src = os.path.join(AUDIT_FIXTURES, "02-dup-producer-restart")
        dst = os.path.join(tmp, "copied-elsewhere")
        shutil.copytree(src, dst)
        a, _, _ = report(["--fail-on", "none", src], "ids: a case")
        b, _, _ = report(["--fail-on", "none", dst], "ids: its copy")
        ka = sorted((f["type"], f["offset"], f["id"]) for f in a["findings"])
        kb = sorted((f["type"], f["offset"], f["id"]) for f in b["findings"])
        check("ids: a copy of the data in another folder has the same ids", ka and ka == kb,
              "%s / %s" % (short(ka), short(kb)))
        # A segment given alone, in no partition directory: its name, not its
        # path, counts; two such of one name side by side stay apart.
        seg = os.path.join(AUDIT_FIXTURES, "01-dup-retry", "dup-retry-0", "00000000000000000000.log")
        loose = []
        for name in ("day1", "day2"):
            os.makedirs(os.path.join(tmp, name))
            loose.append(shutil.copy(seg, os.path.join(tmp, name)))
        one = [report(["--fail-on", "none", p], "ids: a loose segment")[0]["findings"] for p in loose]
        both, _, _ = report(["--fail-on", "none"] + loose, "ids: two loose segments")
        check("ids: a segment alone has the same ids in any folder", one[0] and
              [f["id"] for f in one[0]] == [f["id"] for f in one[1]], short(one))
        check("ids: two segments of one name given together stay apart",
              len({f["id"] for f in both["findings"]}) == len(both["findings"]) == 2, short(both["findings"]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    # The HTML anchors are the JSON ids, whatever the filter.
    rc, html, _ = run(["audit", "--format", "html", "--max-examples", "-1", "--fail-on", "none",
                       "--topics", "^dup-retry$", AUDIT_FIXTURES])
    page = html.decode("utf-8", "replace")
    mine = [f for f in full["findings"] if f["topic"] == "dup-retry"]
    check("ids: a finding of the topic", len(mine) == 1, str(len(mine)))
    for f in mine:
        check("ids: the HTML anchor of %s is its JSON id" % f["id"],
              ('id="%s"' % f["id"]) in page and ('href="#%s"' % f["id"]) in page)
    # Copies of one partition on several brokers, one without meta.properties:
    # every id unique, and the same whatever the order of the paths.
    for scenario in sorted(os.listdir(REPLICAS)):
        folder = os.path.join(REPLICAS, scenario)
        dirs = sorted(os.path.join(folder, d) for d in os.listdir(folder)
                      if os.path.isdir(os.path.join(folder, d)))
        if len(dirs) < 2:
            continue
        a, _, _ = report(["--max-examples", "-1", "--fail-on", "none"] + dirs, "ids: replicas " + scenario)
        b, _, _ = report(["--max-examples", "-1", "--fail-on", "none"] + dirs[::-1],
                         "ids: replicas %s, paths reversed" % scenario)
        ia = [f["id"] for f in a["findings"]]
        check("ids: replicas %s: unique" % scenario, len(set(ia)) == len(ia), short(ia))
        check("ids: replicas %s: the same in any path order" % scenario, ids_of(a) == ids_of(b),
              "%s / %s" % (short(sorted(ids_of(a).values())), short(sorted(ids_of(b).values()))))


# ---- --baseline ---------------------------------------------------------------------

def build_versions(root):
    """Three days of one partition t-0, written with kafka-python: v1 plain
    traffic; v2 the same and a batch retried without idempotence (one
    duplicate); v3 that and a second retried batch (two). Each under its own
    folder, the partition directories named alike. Returns {version: dir}."""
    import gen_fixtures as gf
    import oracle
    rec = lambda ts, i: gf.Rec(ts, b"key-%d" % i, b'{"order":%d,"status":"paid"}' % i, [])
    dirs = {}
    for version in (1, 2, 3):
        part = gf.Partition(os.path.join(root, "v%d" % version, "logs"), "payments", 0)
        ts = gf.BASE_TS
        a = [rec(ts + i, i) for i in range(3)]
        part.append_v2(a)
        part.append_v2([rec(ts + 10 + i, 10 + i) for i in range(2)])
        if version >= 2:
            part.append_v2(a)  # the same batch again: a retry after a lost acknowledgement
        if version >= 3:
            c = [rec(ts + 20 + i, 20 + i) for i in range(4)]
            part.append_v2(c)
            part.append_v2(c)
        part.write()
        seg = os.path.join(part.path, "00000000000000000000.log")
        stats = oracle.decode_file(seg, cache=False).as_dict()
        batches = {1: 2, 2: 3, 3: 5}[version]
        if stats["batches"] != batches or stats.get("first_error"):
            raise Failed("v%d: kafka-python reads %s batches (want %d): %s"
                         % (version, stats["batches"], batches, short(stats)))
        dirs[version] = part.path
    return dirs


def test_baseline():
    tmp = tempfile.mkdtemp(prefix="kt-op-base-")
    try:
        v = build_versions(tmp)
        base = {}
        for k in (1, 2, 3):
            rep, rc, err = report([v[k]], "baseline: v%d" % k)
            path = os.path.join(tmp, "v%d.json" % k)
            with open(path, "w") as f:
                json.dump(rep, f)
            base[k] = (path, rep)
            check("baseline: v%d has %d duplicates" % (k, k - 1),
                  [f["type"] for f in rep["findings"]] == ["duplicate"] * (k - 1), short(rep["findings"]))
        # The same audit: nothing new, exit 0 though it has a warning.
        rep, rc, err = report(["--baseline", base[3][0], v[3]], "baseline: same")
        b = rep.get("baseline", {})
        check("baseline: against the same audit, 0 new", b.get("new") == 0 and b.get("present") == 2, short(b))
        check("baseline: against the same audit, exit 0", rc == 0, "exit %s: %s" % (rc, err))
        check("baseline: every finding present", [f.get("baseline") for f in rep["findings"]] == ["present"] * 2,
              short(rep["findings"]))
        check("baseline: nothing gone", b.get("gone") == 0 and b.get("gone_ids") == [] and b.get("complete"),
              short(b))
        rc0, _, _ = run(["audit", v[3]])
        check("baseline: without it the same audit exits 1", rc0 == 1, str(rc0))
        # Before the injected duplicate: exactly that one is new.
        rep, rc, err = report(["--baseline", base[2][0], v[3]], "baseline: before the injection")
        b = rep.get("baseline", {})
        new = [f for f in rep["findings"] if f.get("baseline") == "new"]
        injected = [f for f in base[3][1]["findings"] if f["offset"] >= 8]
        check("baseline: one new", b.get("new") == 1 and b.get("new_by_severity", {}).get("warning") == 1, short(b))
        check("baseline: the injected duplicate is the new one",
              len(new) == 1 and len(injected) == 1 and new[0]["id"] == injected[0]["id"] and new[0]["offset"] == 12,
              short(new))
        check("baseline: the earlier duplicate is present", b.get("present") == 1, short(b))
        check("baseline: a new warning exits 1", rc == 1, "exit %s: %s" % (rc, err))
        rc_e, _, err_e = run(["audit", "--baseline", base[2][0], "--fail-on", "error", v[3]])
        check("baseline: a new warning under --fail-on error exits 0", rc_e == 0, "exit %s: %s" % (rc_e, err_e))
        # The duplicate removed: gone.
        rep, rc, err = report(["--baseline", base[2][0], v[1]], "baseline: removed")
        b = rep.get("baseline", {})
        old = base[2][1]["findings"][0]["id"]
        check("baseline: the removed duplicate is gone", b.get("gone") == 1 and b.get("gone_ids") == [old], short(b))
        check("baseline: nothing new when one is gone, exit 0", b.get("new") == 0 and rc == 0,
              "exit %s %s" % (rc, short(b)))
        # Every format says it.
        _, text, _ = run(["audit", "--baseline", base[2][0], v[3]])
        text = text.decode()
        fresh = injected[0]["id"]
        check("baseline: text says the comparison", "Baseline: against" in text and "1 new" in text, short(text, 600))
        check("baseline: text marks the new finding", re.search(r"%s +warning +new payments-0 @12" % fresh, text),
              short(text, 900))
        _, text, _ = run(["audit", "--baseline", base[2][0], v[1]])
        check("baseline: text lists what is gone", "Gone since the baseline:" in text.decode() and old in text.decode(),
              short(text, 900))
        _, html, _ = run(["audit", "--format", "html", "--baseline", base[2][0], v[3]])
        html = html.decode()
        check("baseline: HTML marks the new finding",
              re.search(r'<tr id="%s"[^>]*data-baseline="new"' % fresh, html) is not None)
        check("baseline: HTML says the comparison", "<td>Baseline</td>" in html)
        _, html, _ = run(["audit", "--format", "html", "--baseline", base[2][0], v[1]])
        check("baseline: HTML lists what is gone", '<section id="gone">' in html.decode() and old in html.decode())
        _, md, _ = run(["audit", "--format", "markdown", "--baseline", base[2][0], v[3]])
        md = md.decode()
        check("baseline: Markdown marks the new finding", ("| %s (new) |" % fresh) in md, short(md, 900))
        check("baseline: Markdown says the comparison", "* Baseline: against" in md)
        # Baselines that are not kaudit reports: usage errors, one line each.
        bad = {"missing": os.path.join(tmp, "nothing-here.json")}
        for name, text in (("not JSON", "root:x:0:0:root:/root:/bin/bash\n"),
                           ("JSON of another tool", '{"tool": {"name": "other"}, "findings": []}'),
                           ("numbered ids", json.dumps(dict(base[2][1], findings=[
                               dict(base[2][1]["findings"][0], id="F1")])))):
            path = os.path.join(tmp, name.replace(" ", "-") + ".json")
            with open(path, "w") as f:
                f.write(text)
            bad[name] = path
        for name, path in sorted(bad.items()):
            rc, out, err = run(["audit", "--baseline", path, v[3]])
            lines = [l for l in err.splitlines() if l.strip()]
            check("baseline %s: exit 2" % name, rc == 2, "exit %s" % rc)
            check("baseline %s: one line on stderr naming it" % name,
                  len(lines) == 1 and "--baseline" in lines[0] and path in lines[0], short(err))
            check("baseline %s: no report" % name, out == b"", short(out))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---- filters that match nothing; what a report ran with -----------------------------

def test_scope():
    for name, args in (("--topics '^nomatch$'", ["--topics", "^nomatch$"]),
                       ("--exclude-topics '.'", ["--exclude-topics", "."]),
                       ("--since 2030-01-01", ["--since", "2030-01-01"]),
                       ("--until 2001-01-01", ["--until", "2001-01-01"]),
                       ("--offsets 100000:", ["--offsets", "100000:"])):
        rc, text, err = run(["audit"] + args + [SAMPLE])
        text = text.decode()
        check("scope %s: exit 2" % name, rc == 2, "exit %s" % rc)
        check("scope %s: a warning on stderr" % name, "kaudit audit: warning: " in err, short(err))
        check("scope %s: not Clean" % name, not text.startswith("Clean") and text.startswith("Nothing matched"),
              short(text))
        rep, rc, err = report(args + [SAMPLE], "scope " + name)
        check("scope %s: JSON run.warnings" % name, len(rep.get("run", {}).get("warnings", [])) == 1,
              short(rep.get("run")))
        check("scope %s: JSON exit 2" % name, rc == 2, str(rc))
    # An index alone: nothing to audit.
    rc, text, err = run(["audit", os.path.join(SAMPLE, "orders-0", "00000000000000000000.index")])
    check("scope: an index alone exits 2", rc == 2 and "nothing to audit" in err, "exit %s %s" % (rc, short(err)))
    # A filter that matches: no warning, the exit as before.
    for args, want in ((["--topics", "^orders$"], 1), (["--since", "2024-02-12T22:14:00Z"], 1),
                       (["--offsets", "0:12"], 1), (["--topics", "^payments$"], 0)):
        rc, text, err = run(["audit"] + args + [SAMPLE])
        check("scope %s: matches, exit %d" % (" ".join(args), want), rc == want and "warning:" not in err,
              "exit %s %s" % (rc, short(err)))
    # What each report ran with: options and inputs.
    args = ["--topics", "^orders$", "--since", "2024-02-12T22:13:00Z", "--max-examples", "7", "--fail-on", "error",
            "--redact", "keys", SAMPLE]
    rep, rc, err = report(args, "scope: options")
    o = rep.get("run", {}).get("options", {})
    check("run: JSON options", o.get("topics") == "^orders$" and o.get("since") == "2024-02-12T22:13:00Z" and
          o.get("max_examples") == 7 and o.get("fail_on") == "error" and o.get("redact") == "keys" and
          o.get("offsets") is None and o.get("dup_window_ms") == 600000, short(o))
    check("run: JSON command and inputs", rep.get("run", {}).get("command") == "audit" and
          rep.get("inputs") == [SAMPLE], short(rep.get("run")))
    _, text, _ = run(["audit"] + args)
    text = text.decode()
    check("run: text header", ("Inputs: %s\n" % SAMPLE) in text and
          "Options: --topics '^orders$' --since 2024-02-12T22:13:00Z --max-examples 7 --redact keys --fail-on error"
          in text, short(text, 600))
    _, html, _ = run(["audit", "--format", "html"] + args)
    check("run: HTML header", re.search(r"<tr><td>Options</td><td><code>--topics &#39;\^orders\$&#39;", html.decode())
          is not None)
    _, md, _ = run(["audit", "--format", "markdown"] + args)
    check("run: Markdown header", "* Options: --topics" in md.decode(), short(md, 600))
    # Reproducible, whatever the jobs (redaction keys differ run to run).
    a = run(["audit", "--format", "json", "--jobs", "1"] + args[:-3] + [SAMPLE])[1]
    b = run(["audit", "--format", "json", "--jobs", "4"] + args[:-3] + [SAMPLE])[1]
    check("run: the report is the same for any --jobs", a == b and a)


# ---- foreign and special files ------------------------------------------------------------

def test_foreign():
    tmp = tempfile.mkdtemp(prefix="kt-op-foreign-")
    try:
        tgz = os.path.join(tmp, "backup.tgz")
        subprocess.run(["tar", "czf", tgz, "-C", SAMPLE, "orders-0"], check=True)
        for name, path in (("/etc/passwd", "/etc/passwd"), ("a .tgz", tgz)):
            rc, text, err = run(["audit", path])
            rep, _, _ = report([path], "foreign " + name)
            check("foreign %s: exit 2" % name, rc == 2, "exit %s" % rc)
            check("foreign %s: no finding (no corrupt_batch)" % name, rep["findings"] == [] and
                  rep["summary"]["findings_by_type"] == {}, short(rep["findings"]))
            check("foreign %s: in problems, named as not Kafka's" % name,
                  any(p.startswith(path + ": ") and "not a file kind Kafka keeps" in p for p in rep["problems"]),
                  short(rep["problems"]))
            check("foreign %s: said on stderr" % name, "not a file kind Kafka keeps" in err, short(err))
            check("foreign %s: not Clean" % name, text.decode().startswith("Incomplete"), short(text))
            drc, dout, derr = run(["dump", path])
            said = "not a file kind Kafka keeps in a data directory (by its name); skipped"
            check("foreign %s: as kaudit dump says it" % name, drc == 2 and said in dout.decode() and
                  any(said in p for p in rep["problems"]), "exit %s %s" % (drc, short(dout)))
        # Beside a readable segment, a foreign file is named and the rest audited.
        rc, text, err = run(["audit", "/etc/passwd", os.path.join(SAMPLE, "orders-0", "00000000000000000000.log")])
        check("foreign beside a segment: the segment audited, exit 2",
              rc == 2 and "Audited 1 partition" in text.decode(), "exit %s %s" % (rc, short(text)))
        # FIFOs named like an index or a segment are never opened (an open
        # would block: the audit must end at once).
        part = os.path.join(tmp, "logs", "orders-0")
        os.makedirs(part)
        shutil.copy(os.path.join(SAMPLE, "orders-0", "00000000000000000000.log"), part)
        os.mkfifo(os.path.join(part, "00000000000000000000.index"))
        os.mkfifo(os.path.join(part, "00000000000000000000.timeindex"))
        os.mkfifo(os.path.join(part, "00000000000000000100.log"))
        for name, args in (("the directory", [part]),
                           ("the segment beside FIFO indexes", [os.path.join(part, "00000000000000000000.log")]),
                           ("a FIFO index given directly", [os.path.join(part, "00000000000000000000.index")]),
                           ("a FIFO segment given directly", [os.path.join(part, "00000000000000000100.log")])):
            rc, text, err = run(["audit"] + args, timeout=30)
            check("fifo %s: ends" % name, rc != "timeout")
            check("fifo %s: never exit 0" % name, rc in (1, 2), "exit %s" % rc)
        rc, _, err = run(["audit", part], timeout=30)
        check("fifo: each named in problems", rc == 2 and err.count("a FIFO, not a regular file") == 3, short(err))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    for step in (test_ids, test_baseline, test_scope, test_foreign):
        try:
            step()
        except Failed as e:
            check(step.__name__, False, str(e))
    return done()


if __name__ == "__main__":
    sys.exit(main())
