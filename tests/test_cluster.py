#!/usr/bin/python3
"""test_cluster.py - a cluster audited broker by broker (kaudit issue 15): kaudit merge.

Run from the repository root:

    KAUDIT=./kaudit /usr/bin/python3 tests/test_cluster.py     # or build/asan/kaudit

docs/cluster.md: each broker audits its own log directories (kaudit audit --format json);
the reports meet anywhere and `kaudit merge` makes one. What must hold:

  * Replicated fixtures: two brokers of one cluster (meta.properties: broker.id 1 and 2,
    one cluster.id) each hold byte-identical copies of partitions written by kafka-python
    (fixtures/audit/: a producer restart's duplicate, an application resend, a sequence
    gap, an open transaction), as a follower's copy is its leader's bytes. Merging the
    two brokers' reports gives what one run over both directories gives: the same
    findings (every field but the id, the incident's number, the paths, the words), each
    once, kept from one copy with the other's path in `replicas`; the same counts by type
    and severity; the same partitions in the same order; the same number of incidents.
    The exit status follows --fail-on; the merged report validates against
    docs/report.schema.json; it is the same whatever the order of the reports given, and
    byte-identical run to run (SOURCE_DATE_EPOCH).
  * A broker alone (its copies held nowhere else): merging its report with another
    cluster's keeps every finding of both (nothing in common).
  * Reports listing only examples (--max-examples 1) of a type both hold: merge_notes
    says the count may hold replicas.
  * The lab's two brokers (kafka-2.1.1-lab/repl/before-old-leader-restart): the brokers'
    own reports merged with kaudit compare's report of their digests hold the compare's
    replica findings once and every copy of both brokers.
  * Bad input: a JSON file that is not a kaudit report, a missing file, no report: exit 2
    with one line naming the file.
  * Brokers keep their data at one path: two brokers' digests and reports naming the same
    paths are still two copies (compare qualifies a digest's paths with its broker,
    "broker-2:/...", merge a report's with its file name, "b2:/..."; the data given beside
    digests keeps its paths); a report given twice is merged once, with a note.
  * kaudit writes nothing where it reads: audit -o, audit --digest, digest -o and
    compare -o inside a path read are usage errors (exit 2, one line, nothing written);
    beside it, the report is written.

Prints "  FAIL <check>: <what was seen>" lines, then "kt: N passed, M failed"; exit
status 1 if any check failed. Nothing to check (no fixture, no kaudit binary, no
jsonschema) is a failure.
"""

import json
import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import checks  # noqa: E402
from checks import check  # noqa: E402
from kt_kaudit import Failed, check_schema, run, short  # noqa: E402

AUDIT = os.path.join(REPO, "fixtures", "audit")
REPLICATED = ("02-dup-producer-restart", "03-dup-application-resend", "07-sequence-gap", "15-open-transaction")
OTHER = ("01-dup-retry", "09-sequence-regression")
LAB = os.path.normpath(os.path.join(REPO, "..", "shared", "corpus", "kafka-2.1.1-lab"))
SKIP = ("id", "incident", "path", "other_path", "file", "position", "replicas", "message", "explanation")


def broker(root, name, broker_id, cluster, fixtures):
    d = os.path.join(root, name)
    os.makedirs(d)
    for f in fixtures:
        src = os.path.join(AUDIT, f)
        if not os.path.isdir(src):
            raise Failed("fixture %s missing (run /usr/bin/python3 fixtures/gen_audit_fixtures.py)" % src)
        for part in os.listdir(src):
            if os.path.isdir(os.path.join(src, part)):
                shutil.copytree(os.path.join(src, part), os.path.join(d, part))
    with open(os.path.join(d, "meta.properties"), "w") as f:
        f.write("version=0\nbroker.id=%d\ncluster.id=%s\n" % (broker_id, cluster))
    return d


def audit_json(paths, out, extra=()):
    status, stdout, err = run(["audit", "--format", "json", "--fail-on", "none", "--max-examples", "-1"]
                              + list(extra) + list(paths))
    if status != 0:
        raise Failed("audit of %s: exit %d: %s" % (paths, status, short(err)))
    with open(out, "wb") as f:
        f.write(stdout)
    return json.loads(stdout)


def merge(reports, extra=()):
    status, out, err = run(["merge"] + list(extra) + list(reports))
    try:
        return json.loads(out.decode("utf-8")) if out else None, status, err, out
    except ValueError as exc:
        raise Failed("merge %s (exit %d): no JSON (%s); stderr: %s" % (reports, status, exc, short(err)))


def essence(f):
    return json.dumps({k: v for k, v in f.items() if k not in SKIP}, sort_keys=True)


def same_as_one_run(what, single, merged, drop_replica_types=True):
    want = sorted(essence(f) for f in single["findings"]
                  if not (drop_replica_types and f["type"].startswith("replica_")))
    got = sorted(essence(f) for f in merged["findings"])
    check("%s: the findings of one run over both brokers (%d), each once" % (what, len(want)),
          want == got and len(got) > 0,
          short({"only one run": [x for x in want if x not in got][:3], "only merged": [x for x in got if x not in want][:3]}, 900))
    counts = {k: v for k, v in single["summary"]["findings_by_type"].items()
              if not (drop_replica_types and k.startswith("replica_"))}
    check("%s: the counts by type of one run" % what, merged["summary"]["findings_by_type"] == counts,
          short((merged["summary"]["findings_by_type"], counts)))
    check("%s: the partitions of one run, in its order" % what,
          [p["path"] for p in merged["partitions"]] == [p["path"] for p in single["partitions"]],
          short(([p["path"] for p in merged["partitions"]], [p["path"] for p in single["partitions"]]), 600))
    for k in ("segments", "batches", "records", "bytes"):
        check("%s: summary %s summed" % (what, k), merged["summary"][k] == single["summary"][k],
              "%s against %s" % (merged["summary"][k], single["summary"][k]))


def replicated(tmp):
    b1 = broker(tmp, "broker1", 1, "cluster-a", REPLICATED)
    b2 = broker(tmp, "broker2", 2, "cluster-a", REPLICATED)
    r1, r2 = os.path.join(tmp, "r1.json"), os.path.join(tmp, "r2.json")
    audit_json([b1], r1)
    audit_json([b2], r2)
    single = audit_json([b1, b2], os.path.join(tmp, "one-run.json"))
    what = "replicated fixtures"
    merged, status, err, raw = merge([r1, r2], ["--fail-on", "none"])
    check("%s: merge exit 0 with --fail-on none" % what, status == 0, "exit %d: %s" % (status, short(err)))
    check_schema(what + " (merged)", merged)
    same_as_one_run(what, single, merged)
    check("%s: every finding kept names the other broker's copy in replicas" % what,
          all(f.get("replicas") and f["replicas"][0].replace("broker2", "broker1") == f["path"].replace("broker2", "broker1")
              for f in merged["findings"]),
          short([(f["path"], f.get("replicas")) for f in merged["findings"]], 600))
    check("%s: the incidents of one run (%d)" % (what, len(single["incidents"])),
          len(merged["incidents"]) == len(single["incidents"]) and
          sorted(i["id"] for i in merged["incidents"]) == sorted("I%d" % (n + 1) for n in range(len(single["incidents"]))),
          short([i["id"] for i in merged["incidents"]]))
    linked = {f.get("incident") for f in merged["findings"] if f.get("incident")}
    check("%s: every incident a finding names is listed" % what,
          linked <= {i["id"] for i in merged["incidents"]}, short(sorted(linked)))
    _, status, err, _ = merge([r1, r2])
    check("%s: merge exit 1 with the default --fail-on (warnings counted)" % what, status == 1,
          "exit %d: %s" % (status, short(err)))
    other, _, _, raw2 = merge([r1, r2], ["--fail-on", "none"])
    check("%s: byte-identical run to run" % what, raw == raw2, "")
    swapped, _, _, _ = merge([r2, r1], ["--fail-on", "none"])
    check("%s: the same findings whatever the order of the reports" % what,
          sorted(essence(f) + f["path"] for f in swapped["findings"]) ==
          sorted(essence(f) + f["path"] for f in merged["findings"]), "")

    # Only examples listed: the merge cannot match the rest, and says so.
    e1, e2 = os.path.join(tmp, "e1.json"), os.path.join(tmp, "e2.json")
    for d, out in ((b1, e1), (b2, e2)):
        status, stdout, err = run(["audit", "--format", "json", "--fail-on", "none", "--max-examples", "0", d])
        with open(out, "wb") as f:
            f.write(stdout)
    merged, status, err, _ = merge([e1, e2], ["--fail-on", "none"])
    notes = " ".join(merged.get("merge_notes", [])) if merged else ""
    check("examples only (--max-examples 0): merge_notes says the counts may hold replicas",
          status == 0 and "duplicate" in notes and "may hold" in notes, "exit %d; notes %s" % (status, short(notes)))

    # Another cluster's broker: nothing in common, everything kept.
    b3 = broker(tmp, "broker3", 3, "cluster-b", OTHER)
    r3 = os.path.join(tmp, "r3.json")
    third = audit_json([b3], r3)
    merged, status, err, _ = merge([r1, r3], ["--fail-on", "none"])
    first = json.load(open(r1))
    check("a broker of another cluster: every finding of both reports kept",
          len(merged["findings"]) == len(first["findings"]) + len(third["findings"]) and len(third["findings"]) > 0,
          "%d merged, %d + %d" % (len(merged["findings"]), len(first["findings"]), len(third["findings"])))


def lab(tmp):
    sub = os.path.join(LAB, "repl", "before-old-leader-restart")
    if not os.path.isdir(sub):
        check("lab repl/before-old-leader-restart", False, "%s is missing" % sub)
        return
    dirs = [os.path.join(sub, "broker1-data"), os.path.join(sub, "broker2-data")]
    reports, digests = [], []
    for i, d in enumerate(dirs):
        reports.append(os.path.join(tmp, "lab%d.json" % i))
        audit_json([d], reports[-1])
        digests.append(os.path.join(tmp, "lab%d.kdg" % i))
        status, _, err = run(["digest", "-q", "-o", digests[-1], d])
        check("lab: digest of broker %d" % (i + 1), status == 0, short(err))
    status, out, err = run(["compare", "--format", "json", "--fail-on", "none"] + digests)
    cmp_report = os.path.join(tmp, "compare.json")
    with open(cmp_report, "wb") as f:
        f.write(out)
    compared = json.loads(out)
    merged, status, err, _ = merge(reports + [cmp_report], ["--fail-on", "none"])
    check_schema("lab merged", merged)
    want = sorted(essence(f) for f in compared["findings"])
    got = sorted(essence(f) for f in merged["findings"] if f["type"].startswith("replica_"))
    check("lab: the compare's replica findings, once each (%d)" % len(want), want == got and len(want) == 4,
          short((want, got), 600))
    paths = {p["path"] for r in reports for p in json.load(open(r))["partitions"]}
    check("lab: every copy of both brokers listed", {p["path"] for p in merged["partitions"]} == paths,
          short(sorted(paths)))


def bad_input(tmp):
    junk = os.path.join(tmp, "junk.json")
    with open(junk, "w") as f:
        f.write('{"hello": 1}')
    for args, what in (([junk], "a JSON file that is not a report"), ([os.path.join(tmp, "missing.json")], "a missing file"),
                       ([], "no report")):
        status, out, err = run(["merge"] + args)
        check("merge of %s: exit 2, one line%s" % (what, " naming it" if args else ""),
              status == 2 and len(err.strip().splitlines()) == 1 and (not args or os.path.basename(args[0]) in err),
              "exit %d; stderr %s" % (status, short(err)))


def digest_words(tmp):
    """kaudit digest speaks as itself: a path it cannot read is named on stderr as kaudit digest's."""
    status, out, err = run(["digest", "-q", "-o", os.path.join(tmp, "x.kdg"), os.path.join(tmp, "missing")])
    check("digest of a missing path: exit 2, the problem said by kaudit digest",
          status == 2 and err.startswith("kaudit digest: ") and "missing" in err, "exit %d; %s" % (status, short(err)))


def outputs_outside(tmp):
    """kaudit writes nothing where it reads: a report or digest path inside an input is a usage error."""
    d = broker(tmp, "broker-out", 7, "cluster-o", ("01-dup-retry",))
    before = sorted(os.listdir(d))
    for args, what in ((["audit", "-o", os.path.join(d, "r.json"), d], "audit -o inside the log directory"),
                       (["audit", "--digest", os.path.join(d, "dup-retry-0", "..", "d.kdg"), d], "audit --digest inside it"),
                       (["digest", "-o", os.path.join(d, "d.kdg"), d], "digest -o inside it"),
                       (["compare", "-o", os.path.join(tmp, "x.json"), tmp], "compare -o inside a folder read")):
        status, out, err = run(args)
        check("%s: exit 2 with one line, nothing written" % what,
              status == 2 and len(err.strip().splitlines()) == 1 and "writes nothing where it reads" in err
              and sorted(os.listdir(d)) == before and not os.path.exists(os.path.join(tmp, "x.json")),
              "exit %d; stderr %s; files %s" % (status, short(err), sorted(os.listdir(d))))
    fine = os.path.join(tmp, "fine.json")
    status, out, err = run(["audit", "--fail-on", "none", "-o", fine, d])
    check("audit -o beside (not inside) the log directory: written", status == 0 and
          os.path.exists(os.path.join(tmp, "fine.json")), "exit %d; %s" % (status, short(err)))
    size = os.path.getsize(fine) if os.path.exists(fine) else -1
    status, out, err = run(["merge", "-o", fine, fine])
    check("merge -o onto a report merged: exit 2, the report left whole",
          status == 2 and os.path.getsize(fine) == size and size > 0, "exit %d; %s" % (status, short(err)))


def same_paths(tmp):
    """Brokers keep their data at the same path: digests and reports of two brokers that both name
    <tmp>/same/data/payments-0 are still two copies (fixtures/replicas/unclean-fork's brokers 1 and 2,
    put at one path in turn)."""
    root = os.path.join(tmp, "same")
    data = os.path.join(root, "data")
    os.makedirs(root)
    for b in (1, 2):
        if os.path.isdir(data):
            shutil.rmtree(data)
        src = os.path.join(REPO, "fixtures", "replicas", "unclean-fork", "broker%d" % b)
        if not os.path.isdir(src):
            raise Failed("fixture %s missing (run /usr/bin/python3 fixtures/gen_replicas.py)" % src)
        shutil.copytree(src, data)
        status, _, err = run(["digest", "-q", "-o", os.path.join(root, "b%d.kdg" % b), data])
        check("same path: digest of broker %d" % b, status == 0, short(err))
        audit_json([data], os.path.join(root, "b%d.json" % b))
    status, out, err = run(["compare", "--format", "json", "--fail-on", "none",
                            os.path.join(root, "b1.kdg"), os.path.join(root, "b2.kdg")])
    report = json.loads(out)
    paths = sorted(p["path"] for p in report["partitions"])
    want = sorted("broker-%d:%s/payments-%d" % (b, data, p) for b in (1, 2) for p in (0, 1))
    check("same path: compare of the two digests lists each broker's copies apart", paths == want, short(paths))
    forks = [f for f in report["findings"] if f["type"] == "replica_divergence"]
    check("same path: a fork per partition, between the two brokers' copies",
          sorted(f["partition"] for f in forks) == [0, 1] and all(f["path"] != f["other_path"] for f in forks),
          short([(f["path"], f["other_path"]) for f in forks]))
    status, out, err = run(["compare", "--format", "json", "--fail-on", "none", data, os.path.join(root, "b1.kdg")])
    report = json.loads(out)
    paths = sorted(p["path"] for p in report["partitions"])
    want = sorted(["%s/payments-%d" % (data, p) for p in (0, 1)] + ["broker-1:%s/payments-%d" % (data, p) for p in (0, 1)])
    check("same path: the data beside a digest keeps its paths, the digest's are qualified", paths == want,
          short(paths))
    reports = [os.path.join(root, "b%d.json" % b) for b in (1, 2)]
    merged, status, err, _ = merge(reports + reports[:1], ["--fail-on", "none"])
    paths = sorted(p["path"] for p in merged["partitions"])
    want = sorted("b%d:%s/payments-%d" % (b, data, p) for b in (1, 2) for p in (0, 1))
    check("same path: merge keeps both brokers' copies, named by their reports", paths == want, short(paths))
    check("same path: a report given twice is merged once, and said",
          merged["merged_from"] == reports and any("merged once" in n for n in merged["merge_notes"]),
          short((merged["merged_from"], merged["merge_notes"])))


def main():
    # The merged report's time, for the byte-identical check (a merge made
    # in another second would differ there only).
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
    tmp = tempfile.mkdtemp(prefix="kt-cluster-")
    try:
        for fn in (replicated, lab, bad_input, outputs_outside, same_paths, digest_words):
            try:
                fn(tmp)
            except Failed as err:
                check(fn.__name__, False, str(err))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
