#!/usr/bin/python3
"""test_mutants.py - audit and dump on batches mutated with a valid checksum.

Run from the repository root:

    /usr/bin/python3 tests/test_mutants.py [SUBSTRING...]   # uses ./kaudit, or $KAUDIT

The inputs and expectations come from fixtures/gen_mutants.py: real
kafka-python segments with one batch's record count or one record's offset
delta changed, the CRC-32C recomputed (fixtures/expected/mutants/<case>.json).
For every case it runs

    kaudit audit --format json fixtures/mutants/<case>
    kaudit dump --records --format jsonl fixtures/mutants/<case>/<case>-0

and checks, with the values the generator computed:

  * audit: exactly the expected findings at warning or error (type,
    severity, offset, file, position and code; the message names the batch);
    the partition's batch and record counts (every batch but one it cannot
    trust, and the records read before the damaged record: the rest of the
    partition is audited); exit status 1; the report validates against the
    schema;
  * dump: exactly the expected error objects (code, file, position), the
    record lines before and after them, exit status 1.

Output: "  FAIL <case>: <reason>" lines on stderr, then exactly one line
"kt: N passed, M failed" on stdout; exit status 1 if any case failed. One
case = one expectation file; no expectation file is a failure, never a pass.
"""

import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True   # leave no __pycache__ in the work tree

from test_fixtures import CaseFailed, Harness, kaudit_path, kaudit_problem, load_expectations, parse_objects, short

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPECTED_DIR = os.path.join(REPO, "fixtures", "expected", "mutants")
SCHEMA_PATH = os.path.join(REPO, "docs", "report.schema.json")

try:
    import jsonschema
except ImportError:
    jsonschema = None


def run(args, timeout=120):
    problem = kaudit_problem()
    if problem:
        raise CaseFailed(problem)
    try:
        p = subprocess.run([kaudit_path()] + args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CaseFailed("kaudit %s timed out" % " ".join(args))
    if p.returncode < 0:
        raise CaseFailed("kaudit %s killed by signal %d: %s" % (" ".join(args), -p.returncode,
                                                                short(p.stderr.decode("utf-8", "replace"))))
    return p


def audit_case(case, exp, schema):
    p = run(["audit", "--format", "json", exp["dir"]])
    case.check(p.returncode == 1, "audit exit status %d, want 1 (an error finding)" % p.returncode)
    report = json.loads(p.stdout)
    if schema is None:
        case.fail("no jsonschema module or no docs/report.schema.json: the report cannot be validated")
    else:
        try:
            jsonschema.validate(report, schema)
            case.check(True, "")
        except jsonschema.ValidationError as err:
            case.fail("report does not validate: %s" % short(err.message))
    got = [f for f in report["findings"] if f["severity"] in ("warning", "error")]
    want = exp["findings"]
    case.check(len(got) == len(want), "audit: %d warning/error findings, want %d: %s"
               % (len(got), len(want), short([(f["type"], f["offset"], f["message"]) for f in got])))
    for w in want:
        match = [f for f in got if f["type"] == w["type"] and f["offset"] == w["offset"]]
        if not case.check(len(match) == 1, "audit: no %s finding at offset %d (got %s)"
                          % (w["type"], w["offset"], short([(f["type"], f["offset"]) for f in got]))):
            continue
        f = match[0]
        for field in ("severity", "position", "code"):
            case.check(f.get(field) == w[field], "audit %s @%d: %s %s, want %s"
                       % (w["type"], w["offset"], field, short(f.get(field)), short(w[field])))
        case.check(f.get("file") == exp["file"], "audit: file %s, want %s" % (short(f.get("file")), exp["file"]))
        case.check(f.get("topic") == exp["topic"] and f.get("partition") == exp["partition"],
                   "audit: finding in %s-%s" % (f.get("topic"), f.get("partition")))
        case.check("offset %d" % w["offset"] in f.get("message", ""),
                   "audit: message does not name the batch: %s" % short(f.get("message")))
    parts = report["partitions"]
    if case.check(len(parts) == 1, "audit: %d partitions, want 1" % len(parts)):
        case.check(parts[0]["batches"] == exp["audit_batches"], "audit: %d batches, want %d"
                   % (parts[0]["batches"], exp["audit_batches"]))
        case.check(parts[0]["records"] == exp["records"], "audit: %d records, want %d (the rest of the partition "
                   "is audited)" % (parts[0]["records"], exp["records"]))


def dump_case(case, exp):
    p = run(["dump", "--records", "--format", "jsonl", exp["partition_dir"]])
    case.check(p.returncode == 1, "dump exit status %d, want 1 (a problem in the data)" % p.returncode)
    objs = parse_objects(p.stdout)
    errors = [o for o in objs if o["type"] == "error"]
    want = exp["dump_errors"]
    case.check([(o["code"], o["position"], o["file"]) for o in errors] ==
               [(w["code"], w["position"], exp["file"]) for w in want],
               "dump errors %s, want %s" % (short([(o["code"], o["position"], o["message"]) for o in errors]),
                                            short([(w["code"], w["position"]) for w in want])))
    records = sum(1 for o in objs if o["type"] == "record")
    case.check(records == exp["dump_records"], "dump: %d records, want %d" % (records, exp["dump_records"]))
    batches = sum(1 for o in objs if o["type"] == "batch")
    case.check(batches == exp["batches"], "dump: %d batches, want %d" % (batches, exp["batches"]))


def main(argv):
    os.chdir(REPO)
    harness = Harness()
    schema = None
    if jsonschema is not None and os.path.exists(SCHEMA_PATH):
        with open(SCHEMA_PATH) as f:
            schema = json.load(f)
    cases = load_expectations(EXPECTED_DIR)
    if not cases:
        harness.run("expectations", lambda case: case.fail(
            "no fixtures/expected/mutants/*.json: run /usr/bin/python3 fixtures/gen_mutants.py"))
    wanted = argv[1:]
    for exp in cases:
        if wanted and not any(w in exp["case"] for w in wanted):
            continue
        harness.run("audit " + exp["case"], audit_case, exp, schema)
        harness.run("dump " + exp["case"], dump_case, exp)
    return harness.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
