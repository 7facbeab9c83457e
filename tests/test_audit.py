#!/usr/bin/python3
"""test_audit.py - `kaudit audit` compared with fixtures/expected/audit/*.json.

Run from the repository root:

    /usr/bin/python3 tests/test_audit.py [SUBSTRING...]   # uses ./kaudit, or $KAUDIT

SUBSTRINGs restrict the run to cases whose name contains one of them.
The inputs come from fixtures/gen_audit_fixtures.py (one partition directory
per case, written by kafka-python, see that file for the scenarios).

For every case it runs

    kaudit audit --format json --max-examples 1000 fixtures/audit/<case>

and checks the JSON report:

  * every expected finding is reported: same type, offset, topic and
    partition, and every other field the expectation lists (class,
    producer_id, producer_epoch, expected_sequence, actual_sequence, missing,
    count, original_offset, original_producer_id, first_offset, age_ms,
    severity) with the same value; for a duplicate also its evidence (kaudit
    issue 6): identical_records and identical_batch (JSON booleans, exactly),
    time_distance_ms (a number, or null when the expectation says null: the
    field must then be present and null), offset_distance, window and rule
    (an expected null rule means an ordinary topic: the report's rule must
    be absent or null);
  * every reported finding of severity "warning" or "error" is expected;
    unexpected "info" findings are printed as notes and do not fail the case;
  * the report's "partitions" entry (exactly one) has the counts that
    tests/oracle.py (kafka-python) finds in the directory: batches, records
    (data records) and control_records. A batch kafka-python flags as broken
    (CRC mismatch, records that cannot be walked) may be counted or not, and
    so may the records readable in it;
  * exit status 0 or 1, and 1 when a warning or error is reported, 0 when
    nothing above "info" is (info findings do not count with the default
    --fail-on warning); nothing left out in "findings_omitted";
  * the report validates against docs/report.schema.json, with the
    jsonschema module of /usr/bin/python3 (Debian python3-jsonschema, which
    tests/deps.sh installs). A missing module or schema fails every case:
    a test dependency that is not there is never a silent pass.

Output: "  FAIL <case>: <reason>" lines on stderr, "  note <case>: ..." lines
on stdout, then exactly one line "kt: N passed, M failed" on stdout; exit
status 1 if any case failed. One case = one expectation file.
"""

import itertools
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True   # leave no __pycache__ in the work tree

import oracle
from test_fixtures import CaseFailed, Harness, kaudit_path, kaudit_problem, short

from kafka.errors import CorruptRecordException
from kafka.record.memory_records import MemoryRecords

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPECTED_DIR = os.path.join(REPO, "fixtures", "expected", "audit")
SCHEMA_PATH = os.path.join(REPO, "docs", "report.schema.json")
SEVERITIES = ("info", "warning", "error")
NOTES_SHOWN = 5

try:
    import jsonschema
except ImportError as _err:  # required: every case fails without it (check_schema)
    jsonschema = None
    JSONSCHEMA_MISSING = ("no jsonschema module for %s (%s): install Debian's python3-jsonschema "
                          "(sh tests/deps.sh test): the report cannot be validated" % (sys.executable, _err))


# ---------------------------------------------------------------------------
# Running kaudit
# ---------------------------------------------------------------------------

def run_audit(path, timeout=600, extra=(), stderr_out=None):
    """Run `kaudit audit --format json --max-examples 1000 [EXTRA] PATH`; return
    (report, status). stderr_out: a list that receives kaudit's stderr."""
    problem = kaudit_problem()
    if problem:
        raise CaseFailed(problem)
    cmd = [kaudit_path(), "audit", "--format", "json", "--max-examples", "1000"] + list(extra) + [path]
    try:
        proc = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CaseFailed("kaudit timed out after %d s on %s" % (timeout, path))
    err = proc.stderr.decode("utf-8", "replace").strip()
    if stderr_out is not None:
        stderr_out.append(err)
    if proc.returncode < 0:
        raise CaseFailed("kaudit killed by signal %d on %s; stderr: %s" % (-proc.returncode, path, short(err)))
    if proc.returncode == 2 and "unknown command" in err:
        raise CaseFailed("kaudit has no audit command yet (%s)" % short(err.splitlines()[0]))
    if proc.returncode not in (0, 1):
        raise CaseFailed("exit status %d on %s (0 or 1 expected); stderr: %s"
                         % (proc.returncode, path, short(err, 300)))
    try:
        report = json.loads(proc.stdout.decode("utf-8"))
    except ValueError as exc:
        raise CaseFailed("stdout is not one JSON document (%s): %s"
                         % (exc, short(proc.stdout.decode("utf-8", "replace"))))
    if not isinstance(report, dict):
        raise CaseFailed("the report is not a JSON object: %s" % short(report))
    return report, proc.returncode


# ---------------------------------------------------------------------------
# What kafka-python counts
# ---------------------------------------------------------------------------

def readable_records(path, position):
    """How many records kafka-python reads from the batch at `position` before it fails."""
    with open(path, "rb") as f:
        data = f.read()
    batch = MemoryRecords(data[position:]).next_batch()
    n = 0
    try:
        for _rec in batch:
            n += 1
    except (CorruptRecordException, ValueError, IndexError):
        pass
    return n


def oracle_counts(pdir):
    """The (batches, records, control_records) a correct report may give for pdir.

    kafka-python's totals, plus the variants for each batch it flags as broken
    (CRC mismatch or records that cannot be walked): left out entirely, kept
    with its readable records, or kept without records.
    """
    totals = [0, 0, 0]
    choices = []
    for path in oracle.segment_files(pdir):
        st = oracle.decode_file(path)
        totals[0] += st.batches
        totals[1] += st.data_records
        totals[2] += st.control_records
        errors = {e["position"] for e in st.record_errors}
        for row in st.batch_rows:
            if row["crc_valid"] and row["position"] not in errors:
                continue
            readable = readable_records(path, row["position"])
            counted = 0 if row["position"] in errors else readable   # what the oracle added
            col = 2 if row["is_control"] else 1
            options = []
            for keep_batch, recs in ((False, 0), (True, 0), (True, readable)):
                delta = [0, 0, 0]
                delta[0] = 0 if keep_batch else -1
                delta[col] = recs - counted
                options.append(tuple(delta))
            choices.append(options)
    out = set()
    for combo in itertools.product(*choices):
        out.add(tuple(totals[i] + sum(d[i] for d in combo) for i in range(3)))
    return out


def oracle_distinct(pdir):
    """Distinct (key, value) pairs among kafka-python's data records in pdir,
    and its data (non-control) batches."""
    pairs = set()
    batches = 0
    for path in oracle.segment_files(pdir):
        st = oracle.decode_file(path)
        batches += sum(1 for row in st.batch_rows if not row["is_control"])
        for line in st.record_lines:
            rec = json.loads(line)
            if rec[2] != "control":
                pairs.add((rec[2], rec[3]))
    return len(pairs), batches


def must_spill(distinct, batches, limit_kib=96):
    """Whether an index share of `limit_kib` KiB (half of a job's share of
    --max-memory: 96 KiB at --max-memory 256K with one job) must (True),
    must not (False) or may (None) spill. The limit covers the index
    (32-byte slots at a load of at most 3/4, while growing both old and new
    table) and the batch table (48 bytes a batch): at 96 KiB, more than
    1,536 distinct records or 1,024 batches cannot fit; up to 768 and 512
    always do (the table reserved up front has at least 1,024 slots, at most
    a third of the limit, and 512 batches take 24 KiB); the bounds grow with
    the limit."""
    k = limit_kib / 96.0
    if distinct > 1536 * k or batches > 1024 * k:
        return True
    if distinct <= 768 * k and batches <= 512 * k:
        return False
    return None


# ---------------------------------------------------------------------------
# Comparing findings
# ---------------------------------------------------------------------------

def same(got, want):
    """got == want, with bool and int kept apart (JSON true is not 1)."""
    if isinstance(got, bool) or isinstance(want, bool):
        return type(got) is type(want) and got == want
    return got == want


# Fields whose expected null means "absent or null" (an ordinary topic has no rule).
ABSENT_OR_NULL = ("rule",)


def field_ok(got, key, value):
    if value is None and key in ABSENT_OR_NULL:
        return got.get(key) is None
    return key in got and same(got[key], value)


def matches(got, want, topic, partition):
    if not (same(got.get("topic"), topic) and same(got.get("partition"), partition)):
        return False
    return all(field_ok(got, key, value) for key, value in want.items() if key != "why")


def describe(f):
    keys = ("type", "offset", "severity", "class", "producer_id", "producer_epoch",
            "expected_sequence", "actual_sequence", "missing", "count", "original_offset",
            "original_producer_id", "first_offset", "age_ms", "identical_records",
            "identical_batch", "time_distance_ms", "offset_distance", "window", "rule")
    return short({k: f[k] for k in keys if k in f}, 400)


def differences(got, want):
    """"field: reported X, expected Y" for each expected field a same-place finding gets wrong."""
    out = []
    for key, value in want.items():
        if key in ("why", "type", "offset") or field_ok(got, key, value):
            continue
        out.append("%s: reported %s, expected %s" % (
            key, json.dumps(got[key]) if key in got else "nothing", json.dumps(value)))
    return ", ".join(out)


def compare_findings(case, exp, findings):
    """Expected findings present; unexpected warnings/errors fail; unexpected infos are notes."""
    left = list(findings)
    for want in exp["findings"]:
        hit = [f for f in left if matches(f, want, exp["topic"], exp["partition"])]
        wanted = {k: v for k, v in want.items() if k != "why"}
        if not hit:
            here = [f for f in left if same(f.get("type"), want["type"]) and same(f.get("offset"), want["offset"])
                    and same(f.get("topic"), exp["topic"]) and same(f.get("partition"), exp["partition"])]
            if len(here) == 1:
                # Reported at the right place with wrong fields: say which, and
                # do not report it a second time as unexpected.
                case.fail("%s at offset %d (%s): %s" % (want["type"], want["offset"], want["why"],
                                                         differences(here[0], want)))
                left.remove(here[0])
                continue
            near = [describe(f) for f in left if f.get("type") == want["type"]]
            case.fail("expected finding not reported: %s (%s); reported findings of that type: %s"
                      % (short(wanted, 400), want["why"], "; ".join(near) if near else "none"))
            continue
        case.check(True, "")
        left.remove(hit[0])
    notes = []
    for f in left:
        if f.get("severity") == "info":
            notes.append(describe(f))
        else:
            case.fail("unexpected finding: %s" % describe(f))
    return notes


def check_report_shape(case, report):
    case.eq("schema_version", report.get("schema_version"), 2)
    case.eq("tool.name", (report.get("tool") or {}).get("name"), "kaudit")
    for key in ("findings", "partitions"):
        if not isinstance(report.get(key), list):
            raise CaseFailed("report has no \"%s\" list: %s" % (key, short(report)))
    for f in report["findings"]:
        if not isinstance(f, dict):
            raise CaseFailed("a finding is not an object: %s" % short(f))
        case.check(f.get("severity") in SEVERITIES,
                   "finding with severity %s: %s" % (short(f.get("severity")), describe(f)))
    omitted = report.get("findings_omitted")
    if isinstance(omitted, dict):
        numbers = [v for v in omitted.values() if isinstance(v, int) and not isinstance(v, bool)]
        case.check(not any(numbers), "findings were omitted: %s" % short(omitted))
    else:
        case.check(omitted in (None, 0, []), "findings_omitted is %s" % short(omitted))


_schema = None


def check_schema(case, report):
    global _schema
    if jsonschema is None:
        case.fail(JSONSCHEMA_MISSING)
        return
    if not os.path.exists(SCHEMA_PATH):
        case.fail("no docs/report.schema.json: the report cannot be validated")
        return
    if _schema is None:
        with open(SCHEMA_PATH) as f:
            _schema = json.load(f)
    cls = jsonschema.validators.validator_for(_schema)
    errors = sorted(cls(_schema).iter_errors(report), key=lambda e: list(e.absolute_path))
    for err in errors[:3]:
        case.fail("report does not match docs/report.schema.json at /%s: %s"
                  % ("/".join(str(p) for p in err.absolute_path), short(err.message, 200)))
    if not errors:
        case.check(True, "")


def audit_case(case, exp, notes_out):
    report, status = run_audit(exp["dir"])
    check_report_shape(case, report)
    check_schema(case, report)

    parts = report["partitions"]
    if case.eq("number of partitions in the report", len(parts), 1):
        part = parts[0]
        case.eq("partition topic", part.get("topic"), exp["topic"])
        case.eq("partition number", part.get("partition"), exp["partition"])
        got = (part.get("batches"), part.get("records"), part.get("control_records"))
        allowed = oracle_counts(os.path.join(REPO, exp["partition_dir"]))
        case.check(got in allowed, "partition counts (batches, records, control_records) %s; "
                   "kafka-python: %s" % (list(got), " or ".join(str(list(a)) for a in sorted(allowed))))

    findings = report["findings"]
    notes = compare_findings(case, exp, findings)
    for n in notes[:NOTES_SHOWN]:
        notes_out.append("unexpected info finding (not a failure): %s" % n)
    if len(notes) > NOTES_SHOWN:
        notes_out.append("... and %d more unexpected info findings" % (len(notes) - NOTES_SHOWN))

    # The same audit with 96 KiB for the duplicate index and the batch table
    # (--max-memory 256K at --jobs 1: a quarter is the findings, half the rest the index)
    # (see must_spill): larger partitions are audited in two passes
    # with a spill to disk (issue 5), and the report must not change by a byte.
    err = []
    spilled, spilled_status = run_audit(exp["dir"], extra=["--jobs", "1", "--max-memory", "256K"], stderr_out=err)
    spilled["generated_at"] = report.get("generated_at")
    case.check(spilled == report, "the report with --max-memory 256K (spilled) differs from the one in memory")
    case.eq("exit status with --max-memory 256K", spilled_status, status)
    distinct, batches = oracle_distinct(os.path.join(REPO, exp["partition_dir"]))
    want = must_spill(distinct, batches)
    if want is not None:
        case.eq("spilled with --max-memory 256K (kafka-python: %d distinct records, %d batches)"
                % (distinct, batches), "two passes" in err[0], want)

    serious = [f for f in findings if f.get("severity") in ("warning", "error")]
    if serious:
        case.eq("exit status with warnings/errors reported", status, 1)
    elif not findings:
        case.eq("exit status with no findings", status, 0)
    else:
        case.eq("exit status with only info findings (default --fail-on warning)", status, 0)


# ---------------------------------------------------------------------------

def load_expectations():
    out = []
    if os.path.isdir(EXPECTED_DIR):
        for name in sorted(os.listdir(EXPECTED_DIR)):
            if name.endswith(".json"):
                with open(os.path.join(EXPECTED_DIR, name)) as f:
                    out.append(json.load(f))
    return out


def main(argv):
    os.chdir(REPO)
    harness = Harness()
    problem = kaudit_problem()
    if problem:
        sys.stderr.write("  FAIL kaudit: %s\n" % problem)
    cases = load_expectations()
    if not cases:
        harness.run("expectations", lambda case: case.fail(
            "no fixtures/expected/audit/*.json: run /usr/bin/python3 fixtures/gen_audit_fixtures.py"))
    if jsonschema is None:
        sys.stderr.write("  FAIL jsonschema: %s\n" % JSONSCHEMA_MISSING)
    elif not os.path.exists(SCHEMA_PATH):
        sys.stderr.write("  FAIL schema: no docs/report.schema.json: reports not validated\n")
    wanted = argv[1:]
    for exp in cases:
        if wanted and not any(w in exp["case"] for w in wanted):
            continue
        notes = []
        harness.run(exp["case"], audit_case, exp, notes)
        for n in notes:
            print("  note %s: %s" % (exp["case"], n))
    return harness.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
