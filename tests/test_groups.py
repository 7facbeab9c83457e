#!/usr/bin/python3
"""test_groups.py - the consumer-group audit (kaudit issue 14) on generated and real data.

Run from the repository root:

    KAUDIT=./kaudit /usr/bin/python3 tests/test_groups.py     # or build/asan/kaudit

Inputs: fixtures/groups/<scenario>/ (broker log directories written by
fixtures/gen_groups.py: __consumer_offsets partitions as a 2.x group
coordinator appends them, the consumed orders-N partitions, the log
directory's checkpoints) and fixtures/expected/groups/<scenario>.json.

For every scenario:

  * `kaudit audit --format json --max-examples 1000 fixtures/groups/<scenario>`:
    the exit status is the expected one (1 when a finding is a warning or an
    error, else 0); the report validates against docs/report.schema.json
    (Debian's python3-jsonschema; without it every scenario fails); its
    consumer_offset_* findings are exactly the expected ones, no more, no
    fewer, each with every listed field equal in value and JSON type (type,
    severity, topic, partition, path, offset and the type's fields; a null
    expectation must be a JSON null), "metadata" and "redelivered_records"
    absent where the expectation leaves them out, an id, a message and an
    explanation (its own, or the report's explanations[explanation_key] and
    its explanation_detail: docs/report.md, "Explanations"); none of them left out of the listing (findings_omitted) and
    the summary counts them; no other finding is a warning or an error (the
    fixtures are otherwise clean); the consumed partitions' log start and
    end offsets in "partitions" are the expected ones; the top-level
    "groups" array names every group of the scenario (its other fields are
    not checked yet);
  * `kaudit dump --format jsonl --records --verify-index fixtures/groups/<scenario>`:
    exit status 0, no error object, and every __consumer_offsets record
    decoded as it was encoded: the key's record type and fields, the value's
    version and fields (Kafka's JSON names, camelCase, as the generated
    message schemas and DumpLogSegments name them; ConsumerProtocol
    subscriptions and assignments decoded, bytes as base64), a tombstone as
    such, each COMMIT/ABORT marker with its coordinator epoch; no record
    more, none with bytes left over ("trailingBytes").

On the real Kafka 2.1.1 data (../shared/corpus/kafka-2.1.1-lab/consumer-offset-reset/broker0-data):
exactly the consumer offset regressions that the folder's truth.json lists
(group billing-svc: invoices-stream-0 and -1, from and to as the clients
saw them), each a warning in context group_empty with records = from - to,
and every other field as fixtures/gen_groups.py's reference replay reads
the bytes (offset, path, generation, commit_timestamp, metadata,
redelivered_records); nothing for group analytics, no out-of-range finding.
On the whole corpus (../shared/corpus): no consumer_offset_* finding but
those two.

Prints "  FAIL <check>: <what was seen>" lines, then "kt: N passed, M failed"
(tests/checks.py); exit status 1 if any check failed. Nothing found to check
(no expectation file, no corpus, no kaudit binary) is a failure, never a pass.
"""

import glob
import json
import os
import sys

sys.dont_write_bytecode = True   # leave no __pycache__ in the work tree

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import checks  # noqa: E402
from checks import check  # noqa: E402
from kt_kaudit import Failed, check_schema, explanation, run, short  # noqa: E402

EXPECTED_DIR = os.path.join(REPO, "fixtures", "expected", "groups")
CORPUS = os.path.normpath(os.path.join(REPO, "..", "shared", "corpus"))
LAB = os.path.join(CORPUS, "kafka-2.1.1-lab", "consumer-offset-reset")
LAB_DIR = os.path.join(LAB, "broker0-data")
OFFSETS_TOPIC = "__consumer_offsets"
REGRESSION, OUT_OF_RANGE = "consumer_offset_regression", "consumer_offset_out_of_range"
# Fields a finding carries only in some cases: where an expectation leaves one
# out, the report must not have it.
OPTIONAL = {REGRESSION: ("metadata", "redelivered_records"), OUT_OF_RANGE: ()}
# What tells two findings of one scenario apart.
IDENTITY = ("type", "topic", "partition", "offset", "group", "consumed_topic", "consumed_partition")

try:
    sys.path.insert(0, os.path.join(REPO, "fixtures"))
    import gen_groups   # the reference replay of issue 14's rules (kafka-python + struct)
    REFERENCE_PROBLEM = None
except Exception as _err:  # noqa: BLE001  (any import failure is a failed check, below)
    gen_groups = None
    REFERENCE_PROBLEM = "cannot import fixtures/gen_groups.py (%s: %s)" % (type(_err).__name__, _err)


def audit(path, extra=()):
    """The JSON report of `kaudit audit --format json --max-examples 1000 [extra] path`, and the status."""
    status, out, err = run(["audit", "--format", "json", "--max-examples", "1000"] + list(extra) + [path])
    try:
        report = json.loads(out.decode("utf-8"))
    except ValueError as exc:
        raise Failed("audit of %s (exit %d): stdout is not one JSON document (%s); stderr: %s"
                     % (path, status, exc, short(err)))
    if not isinstance(report, dict) or not isinstance(report.get("findings"), list):
        raise Failed("audit of %s: the report has no findings array" % path)
    return report, status, err


def consumer_findings(report):
    """The report's consumer findings, each with its whole explanation as "_explanation" (kt_kaudit.explanation)."""
    out = [f for f in report["findings"] if isinstance(f, dict) and str(f.get("type", "")).startswith("consumer_")]
    for f in out:
        f["_explanation"] = explanation(report, f)
    return out


def same_path(a, b):
    """Two paths as a report and an expectation write them (relative to the repository root or absolute)."""
    if not isinstance(a, str) or not isinstance(b, str):
        return False
    return os.path.realpath(os.path.join(REPO, a)) == os.path.realpath(os.path.join(REPO, b))


def same_value(key, got, want):
    if key == "path":
        return same_path(got, want)
    return type(got) is type(want) and got == want


def describe(f):
    return "%s %s" % (f.get("type"), {k: f.get(k) for k in IDENTITY[1:] if k in f})


def compare_finding(name, got, want):
    """Every field of the expectation, the optional ones' absence, the common keys."""
    for key, value in want.items():
        if key == "why":
            continue
        check("%s: %s: %s" % (name, describe(want), key), key in got and same_value(key, got[key], value),
              "report has %s, expected %s" % (short(got[key]) if key in got else "no such field", short(value)))
    for key in OPTIONAL.get(want["type"], ()):
        if key not in want:
            check("%s: %s: no %s" % (name, describe(want), key), key not in got,
                  "report has %s=%s, expected none" % (key, short(got.get(key))))
    for key in ("id", "message", "_explanation"):
        check("%s: %s: %s" % (name, describe(want), key), isinstance(got.get(key), str) and got[key] != "",
              "not a non-empty string: %s" % short(got.get(key)))


def match_findings(name, got, want):
    """Pair the report's consumer findings with the expected ones by identity;
    every expected one must be there once, nothing else may be."""
    left = list(got)
    for w in want:
        match = [g for g in left if all(k in g and same_value(k, g[k], w[k]) for k in IDENTITY if k in w)]
        check("%s: reported: %s" % (name, describe(w)), len(match) == 1,
              "%d such findings; the report's consumer findings: %s"
              % (len(match), short([describe(g) for g in got], 600)))
        if len(match) == 1:
            compare_finding(name, match[0], w)
            left.remove(match[0])
    for g in left:
        check("%s: unexpected finding" % name, False, short(g, 600))


def check_omitted(name, report):
    omitted = report.get("findings_omitted")
    hidden = {k: v for k, v in omitted.items() if k.startswith("consumer_")} if isinstance(omitted, dict) else None
    check("%s: no consumer finding left out of the listing" % name, hidden == {},
          "findings_omitted: %s" % short(omitted))


def group_names(report):
    names = set()
    for g in report.get("groups") or []:
        if isinstance(g, dict):
            for key in ("group", "name"):
                if isinstance(g.get(key), str):
                    names.add(g[key])
    return names


# ---------------------------------------------------------------------------
# The generated scenarios
# ---------------------------------------------------------------------------

def audit_scenario(name, exp):
    report, status, err = audit(exp["dir"])
    check("%s: audit exit status" % name, status == exp["exit_status"],
          "exit %d, expected %d; stderr: %s" % (status, exp["exit_status"], short(err)))
    check_schema(name, report)
    check_omitted(name, report)
    match_findings(name, consumer_findings(report), exp["findings"])

    others = [f for f in report["findings"] if not str(f.get("type", "")).startswith("consumer_")
              and f.get("severity") in ("warning", "error")]
    check("%s: no other warning or error" % name, not others, short([describe(f) for f in others], 600))

    by_type = (report.get("summary") or {}).get("findings_by_type") or {}
    for ftype in (REGRESSION, OUT_OF_RANGE):
        want = sum(1 for f in exp["findings"] if f["type"] == ftype)
        check("%s: summary counts %s" % (name, ftype), by_type.get(ftype, 0) == want,
              "findings_by_type[%s] = %s, expected %d" % (ftype, by_type.get(ftype), want))

    parts = {(p.get("topic"), p.get("partition")): p for p in report.get("partitions") or [] if isinstance(p, dict)}
    for want in exp["partitions"]:
        got = parts.get((want["topic"], want["partition"]))
        for key in ("log_start_offset", "log_end_offset"):
            check("%s: %s-%d %s" % (name, want["topic"], want["partition"], key),
                  got is not None and got.get(key) == want[key],
                  "report has %s, expected %d" % (short(got.get(key)) if got else "no such partition", want[key]))

    if not isinstance(report.get("groups"), list):
        check("%s: groups" % name, False, "the report has no top-level groups array")
    else:
        names = group_names(report)
        for group in exp["groups"]:
            check("%s: groups lists %s" % (name, group), group in names,
                  "groups named: %s" % short(sorted(names)))


def dump_scenario(name, exp):
    status, out, err = run(["dump", "--format", "jsonl", "--records", "--verify-index", exp["dir"]])
    check("%s: dump exit status" % name, status == 0, "exit %d; stderr: %s" % (status, short(err)))
    objects = []
    for i, line in enumerate(out.decode("utf-8").splitlines()):
        try:
            objects.append(json.loads(line))
        except ValueError as exc:
            check("%s: dump line %d is JSON" % (name, i + 1), False, "%s: %s" % (exc, short(line)))
    errors = [o for o in objects if o.get("type") == "error"]
    check("%s: dump reports no error" % name, not errors, short(errors, 600))

    got = {}
    for o in objects:
        if o.get("type") != "record":
            continue
        pdir = os.path.basename(os.path.dirname(o.get("file", "")))
        topic, _, number = pdir.rpartition("-")
        if topic == OFFSETS_TOPIC:
            got[(int(number), o.get("offset"))] = o
    want = {(r["partition"], r["offset"]): r for r in exp["records"]}
    check("%s: dump has the %d __consumer_offsets records" % (name, len(want)), set(got) == set(want),
          "missing %s, more %s" % (sorted(set(want) - set(got))[:5], sorted(set(got) - set(want))[:5]))
    for key in sorted(set(got) & set(want)):
        compare_record("%s: __consumer_offsets-%d @%d" % (name, key[0], key[1]), got[key], want[key])


def compare_record(what, got, want):
    if "control_type" in want:
        check("%s: marker" % what, (got.get("control_type"), got.get("coordinator_epoch"))
              == (want["control_type"], want["coordinator_epoch"]),
              "%s/%s, expected %s/%s" % (got.get("control_type"), got.get("coordinator_epoch"),
                                         want["control_type"], want["coordinator_epoch"]))
        return
    dec = got.get("decoded")
    if not isinstance(dec, dict) or not isinstance(dec.get("key"), dict):
        check("%s: decoded" % what, False, "no decoded key: %s" % short(got))
        return
    key = dec["key"]
    check("%s: key" % what, str(key.get("type")) == str(want["key"]["type"]) and key.get("data") == want["key"]["data"]
          and "trailingBytes" not in key,
          "decoded %s, encoded %s" % (short(key), short(want["key"])))
    value = dec.get("value")
    if want["value"] is None:
        check("%s: tombstone" % what, got.get("value") is None and value in (None, {"tombstone": True}),
              "value %s, decoded %s" % (short(got.get("value")), short(value)))
        return
    ok = (isinstance(value, dict) and str(value.get("version")) == str(want["value"]["version"])
          and value.get("data") == want["value"]["data"] and set(value) == {"version", "data"})
    check("%s: value" % what, ok, "decoded %s, encoded %s" % (short(value, 800), short(want["value"], 800)))


# ---------------------------------------------------------------------------
# The real 2.1.1 data and the corpus
# ---------------------------------------------------------------------------

def lab_truth():
    """[(group, topic, partition, from, to)] of truth.json's consumer_offset_regressions."""
    with open(os.path.join(LAB, "truth.json")) as f:
        truth = json.load(f)
    out = []
    for info in truth["partitions"].values():
        for r in info.get("consumer_offset_regressions") or []:
            topic, _, number = r["topic_partition"].rpartition("-")
            out.append((r["group"], topic, int(number), r["from"], r["to"]))
    return sorted(out)


def regression_identity(f):
    return (f.get("group"), f.get("consumed_topic"), f.get("consumed_partition"), f.get("from_offset"),
            f.get("to_offset"))


def check_lab():
    truth = lab_truth()
    check("lab: truth.json lists regressions", len(truth) == 2, "truth.json: %s" % short(truth))
    report, status, err = audit(LAB_DIR, ["--fail-on", "none"])
    check("lab: audit exit status", status == 0, "exit %d; stderr: %s" % (status, short(err)))
    check_omitted("lab", report)
    got = consumer_findings(report)
    regressions = [f for f in got if f.get("type") == REGRESSION]
    check("lab: regressions are those of truth.json", sorted(regression_identity(f) for f in regressions) == truth,
          "reported %s; truth.json %s" % (short([regression_identity(f) for f in regressions]), short(truth)))
    for f in regressions:
        what = "lab: %s %s-%s" % (f.get("group"), f.get("consumed_topic"), f.get("consumed_partition"))
        check("%s: warning, group_empty, records" % what,
              (f.get("severity"), f.get("context"), f.get("records"), f.get("topic"))
              == ("warning", "group_empty", f.get("from_offset", 0) - f.get("to_offset", 0), OFFSETS_TOPIC),
              short(f))
    check("lab: nothing for analytics", not [f for f in got if f.get("group") == "analytics"],
          short([describe(f) for f in got if f.get("group") == "analytics"]))
    check("lab: no out-of-range finding", not [f for f in got if f.get("type") == OUT_OF_RANGE],
          short([describe(f) for f in got if f.get("type") == OUT_OF_RANGE]))
    check("lab: no other consumer finding type", all(f.get("type") in (REGRESSION, OUT_OF_RANGE) for f in got),
          short(sorted({f.get("type") for f in got})))
    # The groups' histories (README: one consumer of billing-svc read to the
    # end and left, the operator reset the empty group, a consumer read
    # again and left; analytics read once): members, who joined and left.
    history = {g.get("group"): [(x.get("generation"), x.get("members"), x.get("joined"), x.get("left"))
                                for x in g.get("generations", [])] for g in report.get("groups", [])}
    check("lab: billing-svc's generations", history.get("billing-svc") ==
          [(1, 1, 1, 0), (2, 0, 0, 1), (3, 1, 1, 0), (4, 0, 0, 1)], short(history.get("billing-svc")))
    check("lab: analytics' generations", history.get("analytics") == [(1, 1, 1, 0), (2, 0, 0, 1)],
          short(history.get("analytics")))

    # Every field, as the reference replay reads the bytes (itself checked against truth.json).
    if gen_groups is None:
        check("lab: reference replay", False, REFERENCE_PROBLEM)
        return
    ref, _ = gen_groups.reference_groups(LAB_DIR)
    check("lab: the reference replay agrees with truth.json",
          sorted(regression_identity(f) for f in ref) == truth and all(f["type"] == REGRESSION for f in ref),
          "reference %s; truth.json %s" % (short([regression_identity(f) for f in ref]), short(truth)))
    match_findings("lab", regressions, [f for f in ref if f["type"] == REGRESSION])


def check_corpus():
    report, status, err = audit(CORPUS, ["--fail-on", "none"])
    # Redpanda folders in the corpus are skipped as foreign: exit 2 is expected there.
    check("corpus: audit ran", status in (0, 2), "exit %d; stderr: %s" % (status, short(err)))
    check_omitted("corpus", report)
    got = consumer_findings(report)
    lab = os.path.realpath(LAB_DIR)
    inside = [f for f in got if f.get("type") == REGRESSION and f.get("group") == "billing-svc"
              and os.path.realpath(os.path.join(REPO, str(f.get("path")))).startswith(lab + os.sep)]
    check("corpus: the lab's two regressions", sorted(regression_identity(f) for f in inside) == lab_truth(),
          short([regression_identity(f) for f in inside]))
    others = [f for f in got if f not in inside]
    check("corpus: no other consumer finding", not others, short([(describe(f), f.get("path")) for f in others], 800))


def main():
    names = sorted(glob.glob(os.path.join(EXPECTED_DIR, "*.json")))
    check("expectation files in fixtures/expected/groups", len(names) >= 6,
          "%d found: run /usr/bin/python3 fixtures/gen_groups.py" % len(names))
    check("reference replay importable", gen_groups is not None, REFERENCE_PROBLEM or "")
    for path in names:
        with open(path) as f:
            exp = json.load(f)
        name = exp["case"]
        for fn in (audit_scenario, dump_scenario):
            try:
                fn(name, exp)
            except Failed as err:
                check("%s: %s" % (name, fn.__name__), False, str(err))
    for what, fn, needed in (("lab", check_lab, os.path.join(LAB, "truth.json")), ("corpus", check_corpus, CORPUS)):
        if not os.path.exists(needed):
            check(what, False, "%s is missing" % needed)
            continue
        try:
            fn()
        except Failed as err:
            check(what, False, str(err))
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
