#!/usr/bin/env python3
"""test_prometheus.py - `kaudit audit --format prometheus` (and `kaudit
compare`) writes what node_exporter's textfile collector reads: parsed by
an independent parser, Debian's python3-prometheus-client (its Prometheus
text parser, and its OpenMetrics parser, which needs the final "# EOF"),
the metrics of real audits must equal the JSON report of the same audit:

  * kaudit_findings{type,severity,topic}: every finding counted by type,
    severity and topic (the JSON with --max-examples -1 lists each one);
  * kaudit_findings_by_severity, kaudit_audited_{partitions,segments,
    batches,records,bytes}: the JSON's summary;
  * kaudit_problems and kaudit_incomplete: the JSON's problems (and exit
    status 2 exactly when incomplete);
  * kaudit_last_run_timestamp_seconds: SOURCE_DATE_EPOCH when set, else
    the time of the run; kaudit_audit_duration_seconds: at least 0 and at
    most the run's wall time (none with SOURCE_DATE_EPOCH: a reproducible
    report); kaudit_build_info{version}: the JSON's;
  * every family once, with HELP and TYPE gauge lines before its samples,
    no series twice, the text valid UTF-8 without a control character.

A topic made of what the format escapes (a quote, a backslash, a newline),
with an escape sequence, a bidirectional control and a byte that is not
UTF-8 besides, comes back from the parser as the JSON report names it, the
quote, backslash and newline as themselves, the others in the text form of
docs/report.md. A missing prometheus_client is a failure, never a skip.
KAUDIT names the binary (default ./kaudit). Ends with "kt: N passed, M
failed"; exit status 1 if any check failed.
"""

import glob
import json
import os
import re
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True   # leave no __pycache__ in the work tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from checks import check, done
from kt_kaudit import REPO, Failed, run, short

try:
    from prometheus_client.parser import text_string_to_metric_families as parse_prometheus
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
    PARSER_PROBLEM = None
except ImportError as err:
    parse_prometheus = parse_openmetrics = None
    PARSER_PROBLEM = ("no prometheus_client module for %s (%s): install Debian's python3-prometheus-client "
                      "(sh tests/deps.sh test)" % (sys.executable, err))

SEV = ("error", "warning", "info")
BIDI = {0x061C, 0x200E, 0x200F} | set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))
FAMILIES = ["kaudit_findings", "kaudit_findings_by_severity", "kaudit_audited_partitions", "kaudit_audited_segments",
            "kaudit_audited_batches", "kaudit_audited_records", "kaudit_audited_bytes",
            "kaudit_audit_duration_seconds", "kaudit_incomplete", "kaudit_problems",
            "kaudit_last_run_timestamp_seconds", "kaudit_build_info"]


def label_form(s):
    """A string as the JSON gives it, as a label value reads back: a newline
    as itself (the format's \\n), every other control and bidirectional
    control in the text form \\xNN of its UTF-8 bytes (a byte that is not
    UTF-8 is the text \\xNN in the JSON already)."""
    out = []
    for ch in s:
        cp = ord(ch)
        if ch != "\n" and (cp < 0x20 or 0x7F <= cp <= 0x9F or cp in BIDI):
            out.append("".join("\\x%02x" % b for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


def kaudit(args, env=None):
    """(exit status, stdout text, seconds) of kaudit ARGS, with `env` added."""
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        t0 = time.time()
        rc, out, _err = run(args)
        return rc, out.decode("utf-8"), time.time() - t0
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def check_text(name, text, families):
    """The raw text: each of `families` once and in order, HELP and TYPE
    gauge first, samples together, no repeated series, no control but
    newline, "# EOF" last."""
    check("%s: no control character but newline" % name,
          not re.search(r"[\x00-\x09\x0b-\x1f\x7f\x80-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]", text))
    lines = text.split("\n")
    check("%s: ends with '# EOF' and a newline" % name, lines[-2:] == ["# EOF", ""], short(lines[-3:]))
    seen, order, current, bad, series = set(), [], None, [], set()
    for i, line in enumerate(lines[:-2]):
        m = re.match(r"^# HELP (\S+) (.+)$", line)
        if m:
            if m.group(1) in seen:
                bad.append("family %s twice" % m.group(1))
            if i + 1 >= len(lines) or lines[i + 1] != "# TYPE %s gauge" % m.group(1):
                bad.append("no TYPE gauge after HELP %s" % m.group(1))
            current = m.group(1)
            seen.add(current)
            order.append(current)
            continue
        if line.startswith("# TYPE "):
            continue
        m = re.match(r"^([a-z_]+)(\{.*\})? \S+$", line)
        if not m or m.group(1) != current:
            bad.append("line %d outside its family: %r" % (i + 1, line[:120]))
            continue
        if line.rsplit(" ", 1)[0] in series:
            bad.append("series twice: %r" % line[:120])
        series.add(line.rsplit(" ", 1)[0])
    check("%s: families in order, each once with HELP and TYPE gauge" % name, not bad and order == families,
          short(bad[:3]) + " " + short(order))


def metrics(name, text):
    """{family: [(labels, value)]} from both parsers (which must agree), or
    None when they fail."""
    if parse_prometheus is None:
        check("%s: prometheus_client" % name, False, PARSER_PROBLEM)
        return None
    try:
        fams = {f.name: f for f in parse_prometheus(text)}
        check("%s: the Prometheus parser reads it" % name, True)
    except Exception as e:  # the parser's own exceptions, whatever their class
        check("%s: the Prometheus parser reads it" % name, False, repr(e))
        return None
    try:
        om = {f.name: f for f in parse_openmetrics(text)}
        same = {n: sorted((tuple(sorted(s.labels.items())), float(s.value)) for s in f.samples) for n, f in om.items()}
        got = {n: sorted((tuple(sorted(s.labels.items())), float(s.value)) for s in f.samples)
               for n, f in fams.items()}
        check("%s: the OpenMetrics parser reads the same" % name, same == got, short(same))
    except Exception as e:
        check("%s: the OpenMetrics parser reads it" % name, False, repr(e))
    check("%s: every family a gauge" % name, all(f.type == "gauge" for f in fams.values()),
          short({n: f.type for n, f in fams.items()}))
    return {n: [(s.labels, s.value) for s in f.samples] for n, f in fams.items()}


def one(m, family, labels=None):
    for lab, v in m.get(family, []):
        if labels is None or lab == labels:
            return v
    return None


def case(name, command, paths, extra=(), epoch=None):
    """kaudit COMMAND in JSON (every finding) and Prometheus; the metrics
    equal the report. Returns the metrics, or None."""
    env = {"SOURCE_DATE_EPOCH": str(epoch)} if epoch else None
    try:
        rc, text, _ = kaudit([command, "-q", "--fail-on", "none", "--format", "json", "--max-examples", "-1"]
                             + list(extra) + paths, env)
        report = json.loads(text)
        before = time.time()
        rc2, prom, wall = kaudit([command, "-q", "--fail-on", "none", "--format", "prometheus"] + list(extra) + paths,
                                 env)
    except (Failed, ValueError) as e:
        check("%s: ran" % name, False, str(e))
        return None
    check("%s: exits as the JSON run does" % name, rc2 == rc, "%d != %d" % (rc2, rc))
    # A reproducible report (SOURCE_DATE_EPOCH) has no duration: nothing in
    # it differs from run to run.
    check_text(name, prom, [f for f in FAMILIES if not (epoch and f == "kaudit_audit_duration_seconds")])
    m = metrics(name, prom)
    if m is None:
        return None
    want = {}
    for f in report["findings"]:
        key = (f["type"], f["severity"], label_form(f["topic"]))
        want[key] = want.get(key, 0) + 1
    got = {(lab["type"], lab["severity"], lab["topic"]): v for lab, v in m.get("kaudit_findings", [])}
    check("%s: kaudit_findings by type, severity and topic equal the JSON's findings" % name, got == want,
          "%s != %s" % (short(got), short(want)))
    check("%s: the JSON lists every finding" % name, not report["findings_omitted"])
    summary = report["summary"]
    for s in SEV:
        check("%s: findings_by_severity %s" % (name, s),
              one(m, "kaudit_findings_by_severity", {"severity": s}) == summary["findings_by_severity"][s])
    for what in ("partitions", "segments", "batches", "records", "bytes"):
        check("%s: kaudit_audited_%s" % (name, what), one(m, "kaudit_audited_" + what) == summary[what],
              "%s != %s" % (one(m, "kaudit_audited_" + what), summary[what]))
    problems = len(report["problems"])
    check("%s: kaudit_problems" % name, one(m, "kaudit_problems") == problems)
    check("%s: kaudit_incomplete" % name, one(m, "kaudit_incomplete") == (1 if problems else 0))
    check("%s: incomplete exactly when the exit status is 2" % name, (rc2 == 2) == (problems > 0),
          "exit %d, %d problems" % (rc2, problems))
    ts = one(m, "kaudit_last_run_timestamp_seconds")
    if epoch:
        check("%s: the run's time is SOURCE_DATE_EPOCH" % name, ts == epoch, "%s" % ts)
    else:
        check("%s: the run's time is now" % name, ts is not None and before - 2 <= ts <= time.time() + 1,
              "%s, now %d" % (ts, time.time()))
    d = one(m, "kaudit_audit_duration_seconds")
    if epoch:
        check("%s: no duration in a reproducible report" % name, d is None, "%s" % d)
    else:
        check("%s: the duration is within the run's" % name, d is not None and 0 <= d <= wall + 0.01,
              "%s of %.3f s" % (d, wall))
    check("%s: kaudit_build_info" % name, one(m, "kaudit_build_info") == 1 and
          m["kaudit_build_info"][0][0] == {"version": report["tool"]["version"]}, short(m.get("kaudit_build_info")))
    return m


def hostile(root):
    """Segments under directories whose names are not Kafka's (given as
    files, the topic is their path): a quote, a backslash and a newline,
    with an escape sequence, U+202E and a byte that is not UTF-8; and a
    name with the raw byte beside one with its text form, which must be
    one series."""
    src = glob.glob(os.path.join(REPO, "fixtures", "audit", "01-dup-retry", "*-0", "*.log"))[0]
    names = [b'q"uo\\te\nnl\x1b[2J\xe2\x80\xaeev\xffil-0', b"raw\xff-0", b"raw\\xff-0"]
    files = []
    for n in names:
        d = os.path.join(root.encode(), n)
        os.mkdir(d)
        shutil.copy(src, os.path.join(d, b"00000000000000000000.log"))
        files.append(os.path.join(d, b"00000000000000000000.log").decode("utf-8", "surrogateescape"))
    return files


def main():
    check("prometheus_client installed (sh tests/deps.sh test)", parse_prometheus is not None, PARSER_PROBLEM or "")
    audit_dir = os.path.join(REPO, "fixtures", "audit")
    for fx in ("01-dup-retry", "07-sequence-gap", "15-open-transaction", "23-corrupt-and-truncated",
               "27-consumer-offsets-txn", "36-hostile-content", "46-corrupt-snapshot", "50-corrupt-indexes"):
        paths = sorted(glob.glob(os.path.join(audit_dir, fx, "*")))
        check("%s: fixture found" % fx, bool(paths))
        case(fx, "audit", paths)
    case("sample", "audit", [os.path.join(REPO, "fixtures", "sample", "logdir")], epoch=1700000000)
    case("every audit fixture", "audit", sorted(glob.glob(os.path.join(audit_dir, "*", "*"))))
    for g in sorted(glob.glob(os.path.join(REPO, "fixtures", "groups", "*")))[:3]:
        case("groups " + os.path.basename(g), "audit", [g])
    for sc in ("unclean-fork", "lagging-follower"):
        brokers = sorted(glob.glob(os.path.join(REPO, "fixtures", "replicas", sc, "*")))
        m = case("compare " + sc, "compare", brokers)
        if m is not None and sc == "unclean-fork":
            check("compare unclean-fork: a replica_divergence error",
                  any(lab["type"] == "replica_divergence" and lab["severity"] == "error" and v > 0
                      for lab, v in m.get("kaudit_findings", [])), short(m.get("kaudit_findings")))
    tmp = tempfile.mkdtemp(prefix="kt-prometheus-")
    try:
        files = hostile(tmp)
        m = case("hostile topic names", "audit", files)
        if m is not None:
            topics = sorted(lab["topic"] for lab, _ in m.get("kaudit_findings", []))
            first = os.path.join(tmp, 'q"uo\\te\nnl\\x1b[2J\\xe2\\x80\\xaeev\\xffil-0', "00000000000000000000.log")
            check("hostile: the quote, backslash and newline come back as themselves", first in topics,
                  short(topics))
            raw = os.path.join(tmp, "raw\\xff-0", "00000000000000000000.log")
            check("hostile: a raw byte and its text form are one series, summed",
                  topics.count(raw) == 1 and one(m, "kaudit_findings", {"type": "duplicate", "severity": "warning",
                                                                          "topic": raw}) == 2, short(topics))
        # Nothing found: no kaudit_findings sample, zeros by severity.
        m = case("a partition without findings", "audit",
                 sorted(glob.glob(os.path.join(audit_dir, "29-multi-segment-clean", "*"))))
        if m is not None:
            check("clean: no kaudit_findings sample", not m.get("kaudit_findings"), short(m.get("kaudit_findings")))
        # An input not audited: incomplete, exit 2.
        os.mkdir(os.path.join(tmp, "bad name-0"))
        case("an input not audited", "audit", [os.path.join(REPO, "fixtures", "sample", "logdir"),
                                               os.path.join(tmp, "bad name-0")])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
