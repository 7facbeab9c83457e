#!/usr/bin/python3
"""test_ergonomics.py - options that fit an operator's day (issue 16). Each
part checks a behaviour that was broken before:

  * `-o -` is standard output for every command that takes -o: `audit -o -`
    wrote a file named "-"; `compare`, `digest` and `merge` agree.
  * a mistake on the command line is ONE line on stderr with what was
    probably meant (`kaudit audit --jbos 4`: unknown option --jbos (did you
    mean --jobs?); run 'kaudit audit --help'), for every command and for an
    unknown command, a missing value, a value that is not one of an option's
    words, an ambiguous abbreviation; before, getopt's own message and 66
    lines of help.
  * --types T1,T2 and --exclude-types T1,T2 (audit and compare) focus a
    report on finding types: the engine counts and lists only those, so every
    format, the incidents, the exit status and a baseline see the same thing;
    the report records them in run.options; an unknown type is a usage error
    with the type probably meant.
  * `kaudit explain TYPE` says what a finding type means and what to check
    next, from report/types.c's table (the words every report carries);
    `kaudit explain` alone lists the types.
  * a hanging transaction's finding carries `abort_command`, the line that
    aborts it with kafka-transactions.sh (KIP-664: apache/kafka's
    tools/.../TransactionsCommand.java, subcommand "abort", options
    --bootstrap-server, --topic, --partition, --start-offset), shown in text,
    Markdown and HTML; never for a transaction merely in progress.

Run: /usr/bin/python3 tests/test_ergonomics.py   (uses ./kaudit, or $KAUDIT)
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

from checks import check, done  # noqa: E402
from kt_kaudit import Failed, check_schema, kaudit_path, short  # noqa: E402

AUDIT = os.path.join(REPO, "fixtures", "audit")
SAMPLE = os.path.join(REPO, "fixtures", "sample", "logdir")
REPLICAS = os.path.join(REPO, "fixtures", "replicas")
OPEN_TXN = os.path.join(AUDIT, "15-open-transaction")
IN_PROGRESS = os.path.join(AUDIT, "40-transaction-in-progress")
TIMEOUT = 180


def run(args, cwd=REPO, env=None):
    """kaudit ARGS: (exit status, stdout bytes, stderr text), reproducibly
    timed (SOURCE_DATE_EPOCH)."""
    e = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    e.update(env or {})
    try:
        p = subprocess.run([kaudit_path()] + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=TIMEOUT, env=e)
    except subprocess.TimeoutExpired:
        raise Failed("kaudit %s: no answer within %d s" % (" ".join(args), TIMEOUT))
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode < 0 or "Sanitizer" in err or "runtime error" in err:
        raise Failed("kaudit %s: signal or sanitizer: %s" % (" ".join(args), short(err)))
    return p.returncode, p.stdout, err


def report(args, name, command="audit"):
    """The JSON report of `kaudit COMMAND --format json ARGS`, checked
    against the schema; (report, exit, stderr)."""
    rc, out, err = run([command, "--format", "json"] + args)
    try:
        rep = json.loads(out)
    except ValueError:
        raise Failed("%s: no JSON report (exit %s): %s" % (name, rc, short(err)))
    check_schema(name, rep)
    return rep, rc, err


def case(fn):
    """Run one part; a step it depends on failing is one failed check."""
    try:
        fn()
    except Failed as err:
        check("%s: ran to the end" % fn.__name__, False, str(err))


# ---- -o - -------------------------------------------------------------------------

def test_stdout_dash():
    tmp = tempfile.mkdtemp(prefix="kt-ergo-")
    try:
        # audit: the same report as without -o, and no file named "-".
        rc0, plain, _ = run(["audit", "--format", "json", SAMPLE], cwd=tmp)
        rc1, dashed, err = run(["audit", "--format", "json", "-o", "-", SAMPLE], cwd=tmp)
        check("audit -o -: the report on stdout", rc1 == rc0 == 1 and dashed and dashed == plain,
              "exit %s/%s, %d/%d bytes: %s" % (rc0, rc1, len(plain), len(dashed), short(err)))
        check("audit -o -: no file named '-'", not os.path.exists(os.path.join(tmp, "-")))
        rc, text, _ = run(["audit", "--output", "-", SAMPLE], cwd=tmp)
        check("audit --output -: the text report on stdout", rc == 1 and text.startswith(b"Found 0 errors"),
              short(text[:80]))
        check("audit --output -: no file named '-'", not os.path.exists(os.path.join(tmp, "-")))
        # compare: likewise.
        fork = os.path.join(REPLICAS, "unclean-fork")
        _, want, _ = run(["compare", "--format", "json", fork], cwd=tmp)
        rc, got, err = run(["compare", "--format", "json", "-o", "-", fork], cwd=tmp)
        check("compare -o -: the report on stdout", want and got == want, "exit %s: %s" % (rc, short(err)))
        check("compare -o -: no file named '-'", not os.path.exists(os.path.join(tmp, "-")))
        # digest: -o - is the digest on stdout (not a terminal here), byte for
        # byte the one -o FILE writes.
        digest = os.path.join(tmp, "d.kdg")
        rc_f, _, err_f = run(["digest", "-q", "-o", digest, SAMPLE], cwd=tmp)
        rc, got, err = run(["digest", "-q", "-o", "-", SAMPLE], cwd=tmp)
        written = open(digest, "rb").read() if os.path.exists(digest) else b""
        check("digest -o -: the digest on stdout, the same as -o FILE",
              rc == rc_f == 0 and written and got == written,
              "exit %s/%s: %s %s" % (rc_f, rc, short(err_f), short(err)))
        # audit --digest -: the digest on stdout only when the report goes elsewhere.
        rc, got, err = run(["audit", "-q", "--digest", "-", "-o", os.path.join(tmp, "r.txt"), SAMPLE], cwd=tmp)
        check("audit --digest - -o FILE: the digest on stdout", rc == 1 and got == written,
              "exit %s: %s" % (rc, short(err)))
        rc, got, err = run(["audit", "--digest", "-", SAMPLE], cwd=tmp)
        check("audit --digest - with the report on stdout too: a usage error, one line",
              rc == 2 and not got and len(err.splitlines()) == 1 and "stdout" in err, "exit %s: %r" % (rc, err))
        # merge: -o - is what it writes without -o.
        reps = []
        for name in ("a", "b"):
            path = os.path.join(tmp, name + ".json")
            run(["audit", "--format", "json", "-o", path, os.path.join(AUDIT, "01-dup-retry")], cwd=tmp)
            reps.append(path)
        rc0, want, _ = run(["merge"] + reps, cwd=tmp)
        rc1, got, err = run(["merge", "-o", "-"] + reps, cwd=tmp)
        check("merge -o -: the merged report on stdout, as without -o",
              rc0 == rc1 and want and got == want, "exit %s/%s: %s" % (rc0, rc1, short(err)))
        check("merge -o -: no file named '-'", not os.path.exists(os.path.join(tmp, "-")))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---- one-line usage errors ------------------------------------------------------------

def one_line(name, args, want, exact=True):
    """A usage mistake: exit 2, nothing on stdout, exactly one line on stderr,
    which is `want` (or holds it)."""
    rc, out, err = run(args)
    lines = err.splitlines()
    ok = rc == 2 and not out and len(lines) == 1 and (lines[0] == want if exact else want in lines[0])
    check("one line: %s" % name, ok, "exit %s, %d lines on stderr: %s" % (rc, len(lines), short(err, 400)))


def test_usage_lines():
    digest = os.path.join(tempfile.gettempdir(), "kt-ergo-never-written.kdg")
    for cmd, args in (("audit", [SAMPLE]), ("compare", [SAMPLE]), ("digest", ["-o", digest, SAMPLE])):
        one_line("%s --jbos 4" % cmd, [cmd, "--jbos", "4"] + args,
                 "kaudit %s: unknown option --jbos (did you mean --jobs?); run 'kaudit %s --help'" % (cmd, cmd))
    check("digest: nothing written after a usage error", not os.path.exists(digest))
    one_line("audit --jbos=4", ["audit", "--jbos=4", SAMPLE],
             "kaudit audit: unknown option --jbos (did you mean --jobs?); run 'kaudit audit --help'")
    one_line("dump --recrods", ["dump", "--recrods", SAMPLE],
             "kaudit dump: unknown option --recrods (did you mean --records?); run 'kaudit dump --help'")
    one_line("merge --outptu", ["merge", "--outptu", "x.json", "a.json"],
             "kaudit merge: unknown option --outptu (did you mean --output?); run 'kaudit merge --help'")
    one_line("explain --hlep", ["explain", "--hlep"],
             "kaudit explain: unknown option --hlep (did you mean --help?); run 'kaudit explain --help'")
    one_line("audit: an option far from any", ["audit", "--frobnicate", SAMPLE],
             "kaudit audit: unknown option --frobnicate; run 'kaudit audit --help'")
    one_line("audit: an unknown short option", ["audit", "-x", SAMPLE],
             "kaudit audit: unknown option -x; run 'kaudit audit --help'")
    one_line("audit: an ambiguous abbreviation", ["audit", "--exclude", "x", SAMPLE],
             "kaudit audit: option --exclude is ambiguous: --exclude-topics or --exclude-types; "
             "run 'kaudit audit --help'")
    one_line("audit: a missing value", ["audit", SAMPLE, "--format"],
             "kaudit audit: --format needs a value; run 'kaudit audit --help'")
    one_line("audit -o without its file", ["audit", SAMPLE, "-o"],
             "kaudit audit: -o needs a value; run 'kaudit audit --help'")
    one_line("audit: a value where none is taken", ["audit", "--no-cache=yes", SAMPLE],
             "kaudit audit: --no-cache takes no value; run 'kaudit audit --help'")
    one_line("audit: no PATH", ["audit"], "kaudit audit: no PATH given; run 'kaudit audit --help'")
    one_line("dump: no PATH", ["dump"], "kaudit dump: no PATH given; run 'kaudit dump --help'")
    # Values that are not one of an option's words.
    one_line("audit --format htlm", ["audit", "--format", "htlm", SAMPLE],
             "kaudit audit: --format is text, json, html, markdown or prometheus: htlm (did you mean html?)")
    one_line("compare --format jsn", ["compare", "--format", "jsn", SAMPLE],
             "kaudit compare: --format is text, json, html, markdown or prometheus: jsn (did you mean json?)")
    one_line("audit --color allways", ["audit", "--color", "allways", SAMPLE],
             "kaudit audit: --color is auto, always or never: allways (did you mean always?)")
    one_line("audit --fail-on warn", ["audit", "--fail-on", "warn", SAMPLE],
             "kaudit audit: --fail-on is error, warning, info or none: warn (did you mean warning?)")
    one_line("merge --fail-on errror", ["merge", "--fail-on", "errror", "a.json"],
             "kaudit merge: --fail-on is error, warning, info or none: errror (did you mean error?)")
    one_line("dump --decode offset", ["dump", "--decode", "offset", SAMPLE],
             "kaudit dump: --decode is auto, none, offsets, transactions or metadata: offset (did you mean offsets?)")
    one_line("dump --format jsonline", ["dump", "--format", "jsonline", SAMPLE],
             "kaudit dump: --format is text or jsonl: jsonline (did you mean jsonl?)")
    one_line("audit --jobs 0 (a number out of range: said, no suggestion)", ["audit", "--jobs", "0", SAMPLE],
             "kaudit audit: --jobs needs a number from 1 to 1024: 0")
    # Unknown commands.
    for typed, meant in (("adit", "audit"), ("dupm", "dump"), ("comapre", "compare"), ("explian", "explain")):
        one_line("kaudit %s" % typed, [typed, SAMPLE],
                 "kaudit: unknown command '%s' (did you mean %s?); run 'kaudit --help'" % (typed, meant))
    one_line("kaudit frobnicate", ["frobnicate"], "kaudit: unknown command 'frobnicate'; run 'kaudit --help'")
    one_line("kaudit --verison", ["--verison"], "kaudit: unknown option --verison (did you mean --version?); "
             "run 'kaudit --help'")


# ---- --types, --exclude-types ---------------------------------------------------------

def essence(f):
    """A finding without its incident's number (incidents are renumbered
    when others are left out)."""
    return {k: v for k, v in f.items() if k != "incident"}


def severity_counts(findings):
    out = {"error": 0, "warning": 0, "info": 0}
    for f in findings:
        out[f["severity"]] += 1
    return out


def consistent(name, rep):
    """Every incident is the findings that name it, and the counts are the
    findings' (every finding listed: --max-examples -1)."""
    f = rep["findings"]
    by_incident = {}
    for x in f:
        if "incident" in x:
            by_incident[x["incident"]] = by_incident.get(x["incident"], 0) + 1
    inc = {i["id"]: i["findings"] for i in rep["incidents"]}
    check("%s: the incidents are the findings'" % name, inc == by_incident,
          "%s / %s" % (short(inc), short(by_incident)))
    types = {}
    for x in f:
        types[x["type"]] = types.get(x["type"], 0) + 1
    check("%s: findings_by_type counts the findings" % name, rep["summary"]["findings_by_type"] == types,
          "%s / %s" % (short(rep["summary"]["findings_by_type"]), short(types)))
    check("%s: findings_by_severity counts the findings" % name,
          rep["summary"]["findings_by_severity"] == severity_counts(f),
          "%s / %s" % (short(rep["summary"]["findings_by_severity"]), short(severity_counts(f))))


def want_exit(findings, fail_on="warning"):
    order = ["info", "warning", "error"]
    return 1 if any(order.index(x["severity"]) >= order.index(fail_on) for x in findings) else 0


def test_types():
    base = ["--max-examples", "-1", AUDIT]
    full, _, _ = report(base + ["--fail-on", "none"], "types: every finding")
    consistent("types: every finding", full)
    all_types = {f["type"] for f in full["findings"]}
    check("types: the fixtures hold findings of many types", len(all_types) >= 10, short(sorted(all_types)))
    # Problems in the data (exit 2) would hide the exit status under test:
    # the fixtures hold none.
    check("types: the fixtures are audited completely", not full["problems"], short(full["problems"]))
    for name, args, shown in (
            ("--types open_transaction", ["--types", "open_transaction"], {"open_transaction"}),
            ("--types duplicate,sequence_gap", ["--types", "duplicate,sequence_gap"], {"duplicate", "sequence_gap"}),
            ("--exclude-types duplicate", ["--exclude-types", "duplicate"], all_types - {"duplicate"}),
            ("--types duplicate,open_transaction --exclude-types duplicate",
             ["--types", "duplicate,open_transaction", "--exclude-types", "duplicate"], {"open_transaction"})):
        rep, rc, err = report(base + args, "types: " + name)
        want = [essence(f) for f in full["findings"] if f["type"] in shown]
        got = [essence(f) for f in rep["findings"]]
        check("types: %s: exactly the findings of those types, as in the full report" % name, want and got == want,
              "%d findings, %d wanted: %s" % (len(got), len(want), short([g["type"] for g in got][:8])))
        consistent("types: " + name, rep)
        check("types: %s: the exit status is the shown findings'" % name, rc == want_exit(want),
              "exit %s, wanted %s: %s" % (rc, want_exit(want), short(err)))
        opts = rep["run"]["options"]
        check("types: %s: recorded in run.options" % name,
              opts.get("types") == (args[args.index("--types") + 1] if "--types" in args else None) and
              opts.get("exclude_types") == (args[args.index("--exclude-types") + 1]
                                           if "--exclude-types" in args else None), short(opts))
        if "duplicate" not in shown:
            tallies = [p["duplicates"] for p in rep["partitions"] if p["duplicates"]]
            check("types: %s: no partition tallies duplicates" % name, not tallies, short(tallies))
        hidden = [f["id"] for f in full["findings"] if f["type"] not in shown]
        listed = [f["id"] for f in rep["findings"]]
        # Every format: the ids of the other types nowhere, the shown ones' listed.
        for fmt in ("text", "markdown", "html", "prometheus"):
            rc_f, out, _ = run(["audit", "--format", fmt] + base + args)
            page = out.decode("utf-8", "replace")
            leaked = [i for i in hidden if i in page]
            check("types: %s: --format %s shows no finding of another type" % (name, fmt), not leaked, short(leaked))
            check("types: %s: --format %s exits as the JSON" % (name, fmt), rc_f == rc, "%s / %s" % (rc_f, rc))
            if fmt == "html":
                missing = [i for i in listed if ('id="%s"' % i) not in page]
                check("types: %s: the HTML lists every finding shown" % name, not missing, short(missing))
            if fmt == "prometheus":
                series = set(re.findall(r'^kaudit_findings\{type="([^"]+)"', page, re.M))
                check("types: %s: the Prometheus series are of those types only" % name, series <= shown,
                      short(sorted(series - shown)))
            if fmt == "text":
                check("types: %s: the text report's options say it" % name,
                      re.search(r"^Options: .*--(exclude-)?types ", page, re.M) is not None, short(page[:400]))
    # Only the types asked for decide the exit: a hanging transaction is a
    # warning (exit 1), and the sample's three duplicates are nothing here.
    _, rc, _ = report(["--types", "open_transaction", SAMPLE], "types: sample, open_transaction")
    check("types: --types open_transaction on data with duplicates only: exit 0", rc == 0, str(rc))
    rc, out, _ = run(["audit", "--types", "open_transaction", SAMPLE])
    check("types: ... and the verdict is Clean", rc == 0 and out.startswith(b"Clean"), short(out[:100]))
    _, rc, _ = report(["--exclude-types", "duplicate", SAMPLE], "types: sample without duplicates")
    check("types: --exclude-types duplicate on data with duplicates only: exit 0", rc == 0, str(rc))
    _, rc, _ = report(["--types", "open_transaction", OPEN_TXN], "types: a hanging transaction")
    check("types: --types open_transaction on a hanging transaction: exit 1", rc == 1, str(rc))
    # The same report for any --jobs.
    one = run(["audit", "--format", "json", "--jobs", "1", "--types", "duplicate,open_transaction"] + base)[1]
    three = run(["audit", "--format", "json", "--jobs", "3", "--types", "duplicate,open_transaction"] + base)[1]
    check("types: the same report for --jobs 1 and 3", one and one == three)
    # compare: the replica findings focused alike.
    forks = [os.path.join(REPLICAS, "unclean-fork"), os.path.join(REPLICAS, "lagging-follower")]
    every, rc_all, _ = report(forks, "types: compare", command="compare")
    behind, rc_behind, _ = report(["--types", "replica_behind"] + forks, "types: compare --types replica_behind",
                                  command="compare")
    check("types: compare finds a fork (exit 1) and copies behind", rc_all == 1 and
          every["summary"]["findings_by_type"].get("replica_divergence") and
          every["summary"]["findings_by_type"].get("replica_behind"), short(every["summary"]))
    check("types: compare --types replica_behind: only those, exit 0",
          rc_behind == 0 and behind["summary"]["findings_by_type"] ==
          {"replica_behind": every["summary"]["findings_by_type"]["replica_behind"]} and
          not behind["incidents"], short(behind["summary"]))
    # A baseline's findings of the other types are not compared, never gone.
    tmp = tempfile.mkdtemp(prefix="kt-ergo-")
    try:
        path = os.path.join(tmp, "base.json")
        with open(path, "w") as f:
            json.dump(full, f)
        rep, rc, err = report(base + ["--types", "open_transaction", "--baseline", path], "types: with a baseline")
        b = rep.get("baseline", {})
        others = sum(1 for f in full["findings"] if f["type"] != "open_transaction")
        check("types: --baseline: nothing new, nothing gone, the other types not compared",
              rc == 0 and b.get("new") == 0 and b.get("gone") == 0 and b.get("not_compared") == others,
              "exit %s: %s: %s" % (rc, short(b), short(err)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    # Names that are no finding type: one line, with the type probably meant.
    one_line("--types open_txn", ["audit", "--types", "open_txn", SAMPLE],
             "kaudit audit: --types: unknown finding type: open_txn (did you mean open_transaction?); "
             "run 'kaudit explain' for the list")
    one_line("--exclude-types duplicate,sequnce_gap", ["audit", "--exclude-types", "duplicate,sequnce_gap", SAMPLE],
             "kaudit audit: --exclude-types: unknown finding type: sequnce_gap (did you mean sequence_gap?); "
             "run 'kaudit explain' for the list")
    one_line("compare --types replica_behnd", ["compare", "--types", "replica_behnd", SAMPLE],
             "kaudit compare: --types: unknown finding type: replica_behnd (did you mean replica_behind?); "
             "run 'kaudit explain' for the list")
    one_line("--types ''", ["audit", "--types", "", SAMPLE],
             "kaudit audit: --types names no finding type; run 'kaudit explain' for the list")
    one_line("--types duplicate,", ["audit", "--types", "duplicate,", SAMPLE],
             "kaudit audit: --types names no finding type: duplicate,; run 'kaudit explain' for the list")


# ---- kaudit explain ----------------------------------------------------------------------

def schema_types():
    with open(os.path.join(REPO, "docs", "report.schema.json")) as f:
        return json.load(f)["$defs"]["finding_type"]["enum"]


def flat(text):
    return " ".join(text.split())


def explanations(rep):
    """Each finding's explanation, the words its type shares with others of
    its kind: once in the report's `explanations` by key (its own words, a
    duplicate's evidence, apart), or whole in the finding."""
    out = []
    for f in rep["findings"]:
        if "explanation_key" in f:
            out.append(rep.get("explanations", {}).get(f["explanation_key"], ""))
        else:
            out.append(f.get("explanation", ""))
    return out


def test_explain():
    names = schema_types()
    rc, out, err = run(["explain"])
    lines = out.decode().splitlines()
    listed = [l.split()[0] for l in lines if l.startswith("  ")]
    check("explain: lists every finding type, one line each, in the table's order", rc == 0 and listed == names,
          "exit %s: %s" % (rc, short(listed)))
    rc, out, _ = run(["--help"])
    check("explain: named among the commands of kaudit --help", rc == 0 and re.search(rb"^  explain ", out, re.M))
    rc, out, _ = run(["explain", "--help"])
    check("explain --help", rc == 0 and out.startswith(b"Usage: kaudit explain"), short(out[:80]))
    # What a report says of a finding, kaudit explain says of its type.
    for fixture, extra in ((OPEN_TXN, []), (IN_PROGRESS, []), (os.path.join(AUDIT, "07-sequence-gap"), []),
                           (SAMPLE, [])):
        rep, _, _ = report(["--fail-on", "none"] + extra + [fixture], "explain: " + os.path.basename(fixture))
        for t in sorted({f["type"] for f in rep["findings"]}):
            rc, out, err = run(["explain", t])
            text = flat(out.decode())
            check("explain %s: exit 0, its name and title first" % t, rc == 0 and text.startswith(t + ": "),
                  short(text[:100]))
            mine = [e for f, e in zip(rep["findings"], explanations(rep)) if f["type"] == t]
            # A duplicate's explanation ends with the evidence of that one finding.
            missing = [e for e in mine if flat(e.split(" Evidence: ")[0]) not in text]
            check("explain %s: says what its findings' explanations say" % t, mine and not missing,
                  short(missing[:1]))
    rc, out, _ = run(["explain", "open_transaction"])
    text = out.decode()
    check("explain open_transaction: its title", "Hanging transactions" in text)
    for field in ("first_offset", "age_ms", "records", "abort_command"):
        check("explain open_transaction: lists the field %s" % field, re.search(r"^  %s " % field, text, re.M))
    check("explain open_transaction: what to check next names the abort command",
          "abort_command" in flat(text.split("Fields")[0]) and "kafka-transactions.sh" in text)
    rc, out, _ = run(["explain", "duplicate"])
    text = out.decode()
    for cls in ("retry_without_idempotence", "producer_restart", "application_resend", "idempotence_bypassed",
                "repeated_content"):
        check("explain duplicate: the class %s" % cls, cls in text)
    rc, out, _ = run(["explain", "open_transaction", "sequence_gap"])
    text = out.decode()
    check("explain: several types in turn", rc == 0 and "open_transaction: " in text and "sequence_gap: " in text)
    one_line("explain duplicat", ["explain", "duplicat"],
             "kaudit explain: unknown finding type: duplicat (did you mean duplicate?); "
             "run 'kaudit explain' for the list")
    one_line("explain a known and an unknown type: nothing else printed", ["explain", "open_transaction", "bogus"],
             "kaudit explain: unknown finding type: bogus; run 'kaudit explain' for the list")


# ---- abort_command ---------------------------------------------------------------------

def abort_line(f):
    return ("kafka-transactions.sh --bootstrap-server <bootstrap> abort --topic %s --partition %d --start-offset %d"
            % (f["topic"], f["partition"], f["first_offset"]))


def test_abort_command():
    rep, rc, _ = report([OPEN_TXN], "abort: a hanging transaction")
    txn = [f for f in rep["findings"] if f["type"] == "open_transaction"]
    check("abort: one hanging transaction", rc == 1 and len(txn) == 1 and txn[0]["severity"] == "warning", short(txn))
    if not txn:
        return
    f = txn[0]
    cmd = f.get("abort_command", "")
    check("abort: the command line to abort it", cmd == abort_line(f), "%r / %r" % (cmd, abort_line(f)))
    # kafka-transactions.sh's own words: the base option, the subcommand and
    # the abort options of TransactionsCommand (brokers 3.0 and later).
    words = cmd.split()
    check("abort: kafka-transactions.sh --bootstrap-server ... abort --topic --partition --start-offset",
          words[:4] == ["kafka-transactions.sh", "--bootstrap-server", "<bootstrap>", "abort"] and
          words[4::2] == ["--topic", "--partition", "--start-offset"], short(words))
    check("abort: the start offset is the transaction's first offset",
          words[-1:] == [str(f["offset"])] == ["2"], cmd)
    explanation = " ".join(explanations(rep))
    check("abort: what to check next points at the command", "abort_command" in explanation and
          "<bootstrap>" in explanation, short(explanation, 600))
    # Shown wherever the finding is.
    _, text, _ = run(["audit", OPEN_TXN])
    lines = text.decode().splitlines()
    at = [i for i, l in enumerate(lines) if l.lstrip().startswith(f["id"])]
    check("abort: text: the command under the finding", at and at[0] + 1 < len(lines) and
          lines[at[0] + 1].strip() == "abort command: " + cmd, short(lines[at[0]:at[0] + 2] if at else lines))
    _, md, _ = run(["audit", "--format", "markdown", OPEN_TXN])
    check("abort: Markdown: the command in a code span",
          re.search(("` ?%s ?`" % re.escape(cmd)).encode(), md) is not None, short(md[-600:]))
    _, html, _ = run(["audit", "--format", "html", OPEN_TXN])
    check("abort: HTML: the command, escaped", cmd.replace("<", "&lt;").replace(">", "&gt;").encode() in html and
          b"<bootstrap>" not in html)
    # A transaction in progress has none; hanging under a shorter timeout, it
    # has one (and keeps its id).
    rep, rc, _ = report([IN_PROGRESS], "abort: a transaction in progress")
    txn = [f for f in rep["findings"] if f["type"] == "open_transaction"]
    check("abort: in progress: info, no command", rc == 0 and txn and
          all(f["severity"] == "info" and "abort_command" not in f for f in txn), short(txn))
    _, text, _ = run(["audit", "--fail-on", "none", IN_PROGRESS])
    check("abort: in progress: no command in the text", b"kafka-transactions.sh" not in text)
    hung, rc, _ = report(["--txn-max-timeout", "1m", IN_PROGRESS], "abort: hanging under --txn-max-timeout 1m")
    txn2 = [f for f in hung["findings"] if f["type"] == "open_transaction"]
    check("abort: hanging under a shorter timeout: the command", rc == 1 and txn2 and
          all(f["severity"] == "warning" and f.get("abort_command") == abort_line(f) for f in txn2), short(txn2))
    check("abort: the same finding ids in progress and hanging",
          sorted(f["id"] for f in txn) == sorted(f["id"] for f in txn2))
    # A segment given alone outside any partition directory: its partition is
    # unknown, so no command (the schema's pattern needs a partition).
    tmp = tempfile.mkdtemp(prefix="kt-ergo-")
    try:
        seg = os.path.join(OPEN_TXN, "open-transaction-0", "00000000000000000000.log")
        loose = shutil.copy(seg, os.path.join(tmp, "00000000000000000000.log"))
        rep, rc, _ = report([loose], "abort: a segment alone")
        txn = [f for f in rep["findings"] if f["type"] == "open_transaction"]
        check("abort: a segment alone: hanging, no command", txn and
              all(f["severity"] == "warning" and "abort_command" not in f for f in txn), short(txn))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    for fn in (test_stdout_dash, test_usage_lines, test_types, test_explain, test_abort_command):
        case(fn)
    return done()


if __name__ == "__main__":
    sys.exit(main())
