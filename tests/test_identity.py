#!/usr/bin/python3
"""test_identity.py - duplicates by business identity (kaudit issue 18, --identity).

Run from the repository root:

    KAUDIT=./kaudit /usr/bin/python3 tests/test_identity.py     # or build/asan/kaudit

Inputs: fixtures/identity/<scenario>/ (broker log directories written by
fixtures/gen_identity.py with kafka-python) and fixtures/identity/<scenario>.json
(their truth; the generator's docstring describes the scenarios and the format).

For every scenario:

  * the bytes: every segment is read again with kafka-python (MemoryRecords,
    CRCs checked); each partition's record count and the SHA-256 over its
    records are the truth's, and the reference identity audit
    (gen_identity.reference_identity, over those decoded records) finds
    exactly the identity findings and missing counts the truth lists;
  * for every run: `kaudit audit --format json --max-examples -1 ARGS DIR`
    (SOURCE_DATE_EPOCH fixed): the exit status is the truth's (default
    --fail-on warning); the report validates against docs/report.schema.json;
    every expected finding is there once (type, topic, partition, offset) with
    every listed field equal in value and JSON type (class, severity,
    identity_spec, identity, differs_in, original_partition, original_offset,
    copies, count, evidence...); no other duplicate, identity_duplicate or
    identity_collision finding is reported, except repeated content (class
    repeated_content, info) where the run allows it, whose counts then add up
    to the truth's number; no other finding is a warning or an error (the
    fixtures are otherwise clean); each partition's identity_records and
    identity_missing are the truth's; where the truth names a suggestion, a
    string of the JSON report mentions --identity and the spec (the topic in
    it or beside it in the same object) and so does the text report, and no
    suggestion names a spec of no_suggest;
  * for every run with --identity: the same report at --jobs 1, --jobs 2 and
    --jobs 2 --max-memory 64K.

Prints "  FAIL <check>: <what was seen>" lines, then "kt: N passed, M failed"
(tests/checks.py); exit status 1 if any check failed. A missing fixture,
kaudit binary, kafka-python or jsonschema is a failure, never a pass; so is
a kaudit that does not know --identity.
"""

import glob
import json
import re
import os
import shutil
import struct
import sys
import tempfile

sys.dont_write_bytecode = True   # leave no __pycache__ in the work tree

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.join(REPO, "fixtures"))
import checks  # noqa: E402
from checks import check  # noqa: E402
from kt_kaudit import Failed, check_schema, run, short  # noqa: E402

FIXTURES = os.path.join(REPO, "fixtures", "identity")
SCENARIOS = 7
DUP_TYPES = ("duplicate", "identity_duplicate", "identity_collision")
KEYS = ("type", "topic", "partition", "offset")

try:
    import gen_identity as gi  # needs kafka-python (Debian python3-kafka)
    IMPORT_PROBLEM = None
except ImportError as _err:
    gi = None
    IMPORT_PROBLEM = "cannot import fixtures/gen_identity.py (%s): install Debian's python3-kafka " \
                     "(sh tests/deps.sh test)" % _err


def same(got, want):
    """Equal in value and JSON type (true is not 1, 2 is not 2.0)."""
    if isinstance(want, bool) or isinstance(got, bool):
        return got is want
    if isinstance(want, int):
        return isinstance(got, int) and got == want
    return type(got) is type(want) and got == want


def audit(args, fmt="json"):
    rc, out, err = run(["audit", "--format", fmt, "--max-examples", "-1"] + args)
    err = err.strip()
    if fmt != "json":
        return rc, out.decode("utf-8", "replace"), err
    if rc == 2:
        raise Failed("kaudit audit %s: exit status 2 (usage?): %s" % (" ".join(args), short(err)))
    try:
        report = json.loads(out.decode("utf-8"))
    except ValueError as exc:
        raise Failed("kaudit audit %s: no JSON (%s): %s" % (" ".join(args), exc, short(err)))
    return rc, report, err


def strings_in(node, parent=None):
    """(string, the object holding it) for every string in a JSON document."""
    if isinstance(node, str):
        yield node, parent
    elif isinstance(node, dict):
        for v in node.values():
            for x in strings_in(v, node):
                yield x
    elif isinstance(node, list):
        for v in node:
            for x in strings_in(v, parent):
                yield x


def suggests(report, spec, topic=None):
    """Whether a string of the report offers --identity with spec (and topic, in it or beside it)."""
    for s, holder in strings_in(report):
        if "--identity" not in s or spec not in s:
            continue
        if topic is None or topic in s:
            return True
        if isinstance(holder, dict) and any(isinstance(v, str) and topic in v for v in holder.values()):
            return True
    return False


def check_bytes(name, truth, path):
    """The fixture as kafka-python reads it, against the truth and the reference."""
    try:
        decoded = gi.decode_logdir(path)
    except Exception as err:  # noqa: BLE001  (any decoding failure is a failed check)
        check("%s: kafka-python reads every segment" % name, False, repr(err))
        return
    check("%s: kafka-python reads every segment" % name, True)
    got = gi.partitions_summary(decoded)
    check("%s: partitions, record counts and contents (sha256) as generated" % name,
          [dict(p) for p in got] == truth["partitions"], short(got))
    problems = gi.reference_check(truth, decoded)
    check("%s: the reference identity audit agrees with the truth" % name, not problems, "; ".join(problems))


def check_findings(label, report, want_list, run_truth):
    findings = report.get("findings") or []
    for want in want_list:
        hits = [f for f in findings if all(same(f.get(k), want[k]) for k in KEYS)]
        what = "%s: %s at %s-%d offset %d" % (label, want["type"], want["topic"], want["partition"], want["offset"])
        if len(hits) != 1:
            near = [{k: f.get(k) for k in KEYS + ("class", "severity")} for f in findings
                    if f.get("type") in DUP_TYPES]
            check(what + " reported once", False, "%d found; reported: %s" % (len(hits), short(near, 600)))
            continue
        got = hits[0]
        bad = ["%s=%s (want %s)" % (k, json.dumps(got.get(k)), json.dumps(v))
               for k, v in want.items() if not same(got.get(k), v)]
        check(what + " with every field", not bad, "; ".join(bad))
    # Nothing else of the duplicate kinds, and no other warning or error.
    allowed = run_truth.get("repeated_content_records")
    repeated = 0
    extra = []
    for f in findings:
        if any(all(same(f.get(k), w[k]) for k in KEYS) for w in want_list):
            continue
        if f.get("type") == "duplicate" and allowed is not None and f.get("class") == "repeated_content" \
                and f.get("severity") == "info":
            repeated += f.get("count", 0) if isinstance(f.get("count"), int) else 0
            continue
        if f.get("type") in DUP_TYPES or f.get("severity") in ("warning", "error"):
            extra.append({k: f.get(k) for k in KEYS + ("class", "severity", "message")})
    check("%s: no finding beyond the expected ones" % label, not extra, short(extra, 600))
    if allowed is not None:
        check("%s: repeated content (info) covers %d records" % (label, allowed), repeated == allowed,
              "%d records" % repeated)
    omitted = report.get("findings_omitted") or {}
    check("%s: nothing left out of the listing" % label, not any(omitted.values()), short(omitted))


def check_counts(label, report, counts):
    parts = {"%s-%s" % (p.get("topic"), p.get("partition")): p for p in report.get("partitions") or []}
    for name, want in sorted(counts.items()):
        p = parts.get(name)
        if p is None:
            check("%s: partition %s in the report" % (label, name), False, short(sorted(parts)))
            continue
        bad = ["%s=%s (want %d)" % (k, json.dumps(p.get(k)), v) for k, v in want.items() if not same(p.get(k), v)]
        check("%s: %s identity_records and identity_missing" % (label, name), not bad, "; ".join(bad))


def check_run(name, path, r):
    label = "%s/%s" % (name, r["name"])
    args = list(r["args"]) + [path]
    rc, report, err = audit(args)
    check("%s: exit status %d" % (label, r["exit_status"]), rc == r["exit_status"],
          "exit %d; stderr: %s" % (rc, short(err)))
    check_schema(label, report)
    check_findings(label, report, r["findings"], r)
    if "identity_counts" in r:
        check_counts(label, report, r["identity_counts"])
    text = None
    for s in r.get("suggest", []):
        check("%s: JSON report suggests --identity %s for %s" % (label, s["spec"], s["topic"]),
              suggests(report, s["spec"], s["topic"]),
              short([x for x, _ in strings_in(report) if "--identity" in x] or "no string mentions --identity", 600))
        parts = [x for x in report.get("partitions", []) if x.get("topic") == s["topic"]]
        got = [[(y.get("spec"), y.get("sampled_records"), y.get("option")) for y in x.get("identity_suggestions", [])]
               for x in parts]
        want = [[(s["spec"], min(1000, x.get("records")), "--identity '^%s$=%s'" % (s["topic"].replace(".", "\\."), s["spec"]))]
                for x in parts]
        check("%s: each partition of %s lists %s in identity_suggestions, every record sampled" % (label, s["topic"], s["spec"]),
              bool(parts) and got == want, short(got))
        if text is None:
            _rc, text, _err = audit(args, fmt="text")
        check("%s: text report suggests --identity %s" % (label, s["spec"]),
              "--identity" in text and s["spec"] in text and s["topic"] in text, short(text[-800:], 800))
    for spec in r.get("no_suggest", []):
        check("%s: no suggestion of %s" % (label, spec), not suggests(report, spec), "")
    if "--identity" in r["args"]:
        for extra in (["--jobs", "1"], ["--jobs", "2"], ["--jobs", "2", "--max-memory", "64K"]):
            rc2, other, err2 = audit(extra + args)
            check("%s: the same report with %s" % (label, " ".join(extra)), rc2 == rc and other == report,
                  "exit %d; stderr %s; differs at %s" % (rc2, short(err2), first_difference(report, other)))


def first_difference(a, b, where="$"):
    if type(a) is not type(b):
        return where
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return "%s.%s" % (where, k)
            d = first_difference(a[k], b[k], "%s.%s" % (where, k))
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return "%s (length %d, %d)" % (where, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, "%s[%d]" % (where, i))
            if d:
                return d
        return None
    return None if a == b else where


def seek_view(report):
    """What a finding read again from the segments says, per finding."""
    return sorted((f["type"], f["topic"], f["partition"], f["offset"], f.get("identity"), f.get("differs_in"))
                  for f in report["findings"] if f["type"] in DUP_TYPES)


def check_index_seek():
    """The copies a finding names are read again near their batch, found
    through the offset index (engine/batches.h, eb_open_near): an index
    pointing anywhere (inside an entry, past the file, zeros) only costs a
    read from the segment's start, the report is the same."""
    for scen, arg in (("a-payment-resent", "^payments$=json:$.payment_id"),
                      ("d-cdc-two-partitions", None)):
        with open(os.path.join(FIXTURES, scen + ".json")) as f:
            truth = json.load(f)
        args = next(r["args"] for r in truth["runs"] if "--identity" in r["args"])
        src = os.path.join(REPO, truth["dir"])
        try:
            _, want, _ = audit(args + [src])
        except Failed as err:
            check("%s: index seek: the audit" % scen, False, str(err))
            continue
        want = seek_view(want)
        check("%s: index seek: findings read again" % scen, len(want) > 0 and all(w[4] for w in want), want)
        for variant in ("inside", "past", "zeros", "backwards"):
            with tempfile.TemporaryDirectory() as tmp:
                dst = os.path.join(tmp, scen)
                shutil.copytree(src, dst)
                for ix in glob.glob(os.path.join(dst, "*", "*.index")):
                    log = ix[:-len(".index")] + ".log"
                    size = os.path.getsize(log)
                    if variant == "inside":
                        entries = [(0, 3), (1, size // 2 | 1)]
                    elif variant == "past":
                        entries = [(0, size + 100), (1, 2 ** 31)]
                    elif variant == "zeros":
                        entries = [(0, 0)] * 8
                    else:
                        entries = [(5, size - 61), (2, 61), (100000, 7)]
                    with open(ix, "wb") as out:
                        for rel, pos in entries:
                            out.write(struct.pack(">II", rel, pos))
                try:
                    _, got, _ = audit(args + [dst])
                except Failed as err:
                    check("%s: index seek (%s): the audit" % (scen, variant), False, str(err))
                    continue
                got = seek_view(got)
                check("%s: index seek (%s): the same findings" % (scen, variant), got == want,
                      first_difference(got, want))


def check_redacted():
    """--redact values: no JSON member name (value bytes) in differs_in or suggestions."""
    e = "fixtures/identity/e-payment-id-collision"
    rc, report, err = audit(["--redact", "values", "--identity", "^payments$=json:$.payment_id", e])
    found = [f for f in report.get("findings", []) if f.get("type") == "identity_collision"] if report else []
    diff = found[0].get("differs_in", "") if found else None
    check("redacted: the collision is still found", rc == 1 and len(found) == 1, short(err))
    check("redacted: differs_in names three members by token, none by name",
          diff is not None and len(re.findall(r"\$\[token [0-9a-f]{16}\]", diff)) == 3
          and not any(n in diff for n in ("amount", "customer", "sent_at")), repr(diff))
    rc, plain, _ = audit(["--identity", "^payments$=json:$.payment_id", e])
    check("not redacted: differs_in names them", plain and [f.get("differs_in") for f in plain["findings"]
          if f.get("type") == "identity_collision"] == ["$.amount,$.customer,$.sent_at"], "")
    g = "fixtures/identity/g-suggest-event-id"
    rc, report, err = audit(["--redact", "values", g])
    check("redacted: no JSON member suggested", report is not None and not suggests(report, "json:$.event_id")
          and "event_id" not in json.dumps(report), short(err))


def check_sample_suggestions():
    """The bundled sample's payments: ids offered, a unique amount not (chance, not identity)."""
    rc, report, err = audit([os.path.join("fixtures", "sample", "logdir")])
    got = sorted(x["spec"] for p in report.get("partitions", []) if p.get("topic") == "payments"
                 for x in p.get("identity_suggestions", []))
    check("sample: payments suggests its two id members and not amount_cents",
          got == ["json:$.order_id", "json:$.payment_id"], repr(got))


def main():
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
    os.chdir(REPO)
    if gi is None:
        check("kafka-python and fixtures/gen_identity.py", False, IMPORT_PROBLEM)
        return checks.done()
    truths = sorted(glob.glob(os.path.join(FIXTURES, "*.json")))
    check("%d scenarios in fixtures/identity" % SCENARIOS, len(truths) == SCENARIOS,
          "%d truth files" % len(truths))
    for tpath in truths:
        with open(tpath) as f:
            truth = json.load(f)
        name = truth["scenario"]
        path = truth["dir"]
        if not os.path.isdir(os.path.join(REPO, path)):
            check("%s: %s exists" % (name, path), False, "missing (run fixtures/gen_identity.py)")
            continue
        check_bytes(name, truth, os.path.join(REPO, path))
        for r in truth["runs"]:
            try:
                check_run(name, path, r)
            except Failed as err:
                check("%s/%s" % (name, r["name"]), False, str(err))
    check_index_seek()
    check_redacted()
    check_sample_suggestions()
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
