#!/usr/bin/python3
"""test_replicas.py - comparing several brokers' copies of a partition (kaudit issue 15) on generated and real data.

Run from the repository root:

    KAUDIT=./kaudit /usr/bin/python3 tests/test_replicas.py     # or build/asan/kaudit

What kaudit must do (docs/report.md, "Replicas"): when the paths given to
`kaudit audit` hold the same topic-partition in more than one log directory
(broker id from each one's meta.properties: broker.id, else node.id, else
null), the copies are compared batch by batch (base offset, last offset,
partition leader epoch, CRC) from the higher of their first offsets. The copy
with the highest log end (on a tie the first in log directory path order) is
the reference; every other copy that agrees and ends earlier is
replica_behind (info), one that agrees to the same end gets a note naming the
reference copy, one holding a different batch is replica_divergence (error)
at the lower base offset of the first two differing batches.

Inputs: fixtures/replicas/<scenario>/broker<N>/ (log directories written by
fixtures/gen_replicas.py with kafka-python) and
fixtures/expected/replicas/<scenario>.json. For every scenario:

  * the reference comparison of fixtures/gen_replicas.py (kafka-python reads
    every batch; its own rules) still gives the expectation on the committed
    files, and the batches it pairs are byte-identical;
  * `kaudit audit --format json --fail-on none <broker dirs>`: exit 0; the
    report validates against docs/report.schema.json (Debian's
    python3-jsonschema; without it every scenario fails); its replica_*
    findings are exactly the expected ones, no more, no fewer, each with
    every listed field equal in value and JSON type (type, severity, topic,
    partition, path, offset, other_path, broker_id, other_broker_id,
    log_end_offset, other_log_end_offset, records_behind | diverge_offset,
    leader_epoch, other_leader_epoch, records_only_here, records_only_other;
    a null expectation must be a JSON null), an id, a message and an
    explanation (its own, or the report's explanations[explanation_key] and
    its explanation_detail), an incident for an error; none left out of the listing and
    the summary counts them; no other finding is a warning or an error;
    every copy appears in "partitions" with its log start and end; the copies
    that agree carry a note naming the reference copy's path, and no other
    copy carries a note naming another copy;
  * the same audit with the default --fail-on (warning): exit 1 exactly when
    a replica_divergence is expected;
  * the same findings whatever the order of the paths on the command line
    (the reference on a tie is the first in path order), and when the
    scenario's folder above the log directories is given instead;
  * one log directory alone: no replica_* finding and no such note.

On the real Kafka 2.1.1 data (../shared/corpus/kafka-2.1.1-lab):

  * repl/before-old-leader-restart and unclean-loss: the divergence offsets
    as the lab's own files give them (repl: README.md, the last offsets of
    phase A in scenario-output.txt + 1, broker 1's "Truncating to offset"
    lines in logs/broker1-server.log; unclean-loss: truth.json), the leader
    epochs on each side from each copy's leader-epoch-checkpoint (1 on broker
    1, 2 on broker 2), and unclean-loss's records only on each broker from
    truth.json. The reference comparison (kafka-python) must agree with all
    of it, and kaudit must report exactly one replica_divergence per
    partition of the topic (audit-repl, ledger) there, and exactly the
    reference's replica_* findings with every field (repl's
    __transaction_state partitions are behind: one copy of each ends
    earlier);
  * repl/final and leader-moves: no replica_divergence; replica_* findings
    exactly the reference's (none: every copy ends where the lab says the
    partition ended), the agreeing copies noted; in repl/final broker 1's
    *.log.deleted segments (the truncated epoch-1 batches) must be left out
    of the comparison (they do overlap broker 2's epoch-2 offsets);
  * on every lab pair, the batches the reference pairs are byte-identical in
    the two brokers' files (a follower appends the leader's bytes).

Digests (docs/digest.md; kaudit digest, kaudit compare on digests):

  * for every scenario and lab pair, each log directory digested alone
    (`kaudit digest -o F DIR`: exit 0) and the digests compared give exactly
    the findings (every field) and notes that comparing the directories
    gives, and the same partitions (path, log start and end, batches,
    records); so does one directory given beside the others' digests;
  * every digest decodes with tests/digest_format.py (written from
    docs/digest.md, not from kaudit's C: checksum, counts, order) and holds,
    per copy, exactly the batches kafka-python reads from its segments (base
    and last offset, leader epoch, CRC, record count, max timestamp, producer
    id, epoch and base sequence, transactional and control flags, a marker's
    COMMIT or ABORT), and each producer's last batch in its state;
  * digests written by tests/digest_format.py itself (3,000 batches a copy: several 'B'
    records of more than a page each), with a fork and a lag written in: compare finds
    exactly those;
  * a digest with one byte changed, or cut short, is named with the byte
    position on stderr, listed in the report's problems, and compare exits 2;
    `kaudit audit DIGEST` is a usage error (exit 2); `kaudit digest` without
    -o is a usage error.

On the lab's forks, besides: the text report's "Replicas:" paragraph, the HTML's
Replicas section and the Markdown's Replicas list say it in words (unclean-loss: broker 1's copy loses 70 and 80
records, broker 2's alone holds 39 and 51); the side Kafka truncates is the copy of the
older leader epoch (broker 1's); in unclean-loss every record only on broker
1 was below its high watermark and not transactional, so read_uncommitted and
read_committed consumers could both have read them (truth.json:
records_visible_read_committed_by_broker equals records_total_by_broker).

Prints "  FAIL <check>: <what was seen>" lines, then "kt: N passed, M failed"
(tests/checks.py); exit status 1 if any check failed. Nothing found to check
(no expectation file, no corpus, no kaudit binary, no kafka-python or
jsonschema) is a failure, never a pass.
"""

import glob
import json
import os
import re
import shutil
import struct
import sys
import tempfile

sys.dont_write_bytecode = True   # leave no __pycache__ in the work tree

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import checks  # noqa: E402
from checks import check  # noqa: E402
from kt_kaudit import Failed, JSONSCHEMA_PROBLEM, check_schema, explanation, jsonschema, run, short  # noqa: E402
import digest_format  # noqa: E402

EXPECTED_DIR = os.path.join(REPO, "fixtures", "expected", "replicas")
CORPUS = os.path.normpath(os.path.join(REPO, "..", "shared", "corpus"))
LAB = os.path.join(CORPUS, "kafka-2.1.1-lab")
BEHIND, DIVERGENCE = "replica_behind", "replica_divergence"
FIELDS = {
    BEHIND: ("type", "severity", "topic", "partition", "path", "offset", "other_path", "broker_id",
             "other_broker_id", "log_end_offset", "other_log_end_offset", "records_behind"),
    DIVERGENCE: ("type", "severity", "topic", "partition", "path", "offset", "other_path", "broker_id",
                 "other_broker_id", "diverge_offset", "leader_epoch", "other_leader_epoch", "records_only_here",
                 "records_only_other", "log_end_offset", "other_log_end_offset"),
}
PATH_KEYS = ("path", "other_path")
IDENTITY = ("type", "topic", "partition", "path")
SCENARIOS_MIN = 5

try:
    sys.path.insert(0, os.path.join(REPO, "fixtures"))
    import gen_replicas   # the reference comparison (kafka-python)
    REFERENCE_PROBLEM = None
except BaseException as _err:  # noqa: BLE001  (SystemExit from a missing module too: a failed check, below)
    gen_replicas = None
    REFERENCE_PROBLEM = ("cannot import fixtures/gen_replicas.py (%s: %s); it needs Debian's python3-kafka "
                         "(kafka-python 2.0.2) under /usr/bin/python3" % (type(_err).__name__, _err))


def audit(paths, fail_on="none"):
    """The JSON report of `kaudit audit --format json --max-examples 1000 [--fail-on X] paths`, and the status."""
    args = ["audit", "--format", "json", "--max-examples", "1000"]
    if fail_on is not None:
        args += ["--fail-on", fail_on]
    status, out, err = run(args + list(paths))
    try:
        report = json.loads(out.decode("utf-8"))
    except ValueError as exc:
        raise Failed("audit of %s (exit %d): stdout is not one JSON document (%s); stderr: %s"
                     % (" ".join(paths), status, exc, short(err)))
    if not isinstance(report, dict) or not isinstance(report.get("findings"), list) \
            or not isinstance(report.get("partitions"), list):
        raise Failed("audit of %s: the report has no findings or partitions array" % " ".join(paths))
    return report, status, err


def real(path):
    return os.path.realpath(os.path.join(REPO, path))


def same_value(key, got, want):
    if key in PATH_KEYS:
        return isinstance(got, str) and isinstance(want, str) and real(got) == real(want)
    return type(got) is type(want) and got == want


def rel(path):
    """A path for messages: relative to the repository root."""
    return os.path.relpath(real(path), REPO) if isinstance(path, str) else path


def describe(f):
    return "%s %s-%s in %s" % (f.get("type"), f.get("topic"), f.get("partition"), rel(f.get("path")))


def replica_findings(report):
    """The report's replica findings, each with its whole explanation as "_explanation" (kt_kaudit.explanation)."""
    out = [f for f in report["findings"] if isinstance(f, dict) and str(f.get("type", "")).startswith("replica_")]
    for f in out:
        f["_explanation"] = explanation(report, f)
    return out


def compare_finding(name, got, want, hint=""):
    for key in FIELDS.get(want["type"], ()):
        if key not in want:
            continue
        value = want[key]
        ok = key in got and same_value(key, got[key], value)
        check("%s: %s: %s" % (name, describe(want), key), ok,
              "report has %s, expected %s%s" % (short(got[key]) if key in got else "no such field", short(value),
                                                hint(key) if callable(hint) and not ok else ""))
    for key in ("id", "message", "_explanation"):
        check("%s: %s: %s" % (name, describe(want), key), isinstance(got.get(key), str) and got[key] != "",
              "not a non-empty string: %s" % short(got.get(key)))
    if want["severity"] in ("warning", "error"):
        check("%s: %s: incident" % (name, describe(want)), isinstance(got.get("incident"), str),
              "an error belongs to an incident; incident = %s" % short(got.get("incident")))


def match_findings(name, got, want, hint=""):
    """Pair the report's replica findings with the expected ones by identity;
    every expected one must be there once, nothing else may be."""
    left = list(got)
    for w in want:
        match = [g for g in left if all(k in g and same_value(k, g[k], w[k]) for k in IDENTITY)]
        check("%s: reported: %s" % (name, describe(w)), len(match) == 1,
              "%d such findings; the report's replica findings: %s"
              % (len(match), short([describe(g) for g in got], 600)))
        if len(match) == 1:
            compare_finding(name, match[0], w, hint)
            left.remove(match[0])
    for g in left:
        check("%s: unexpected finding %s" % (name, describe(g)), False,
              short({k: v for k, v in g.items() if k not in ("message", "explanation", "_explanation")}, 600))


def check_counted(name, report, want):
    omitted = report.get("findings_omitted")
    hidden = {k: v for k, v in omitted.items() if k.startswith("replica_")} if isinstance(omitted, dict) else None
    check("%s: no replica finding left out of the listing" % name, hidden == {}, "findings_omitted: %s" % short(omitted))
    by_type = (report.get("summary") or {}).get("findings_by_type") or {}
    for ftype in (BEHIND, DIVERGENCE):
        n = sum(1 for f in want if f["type"] == ftype)
        check("%s: summary counts %s" % (name, ftype), by_type.get(ftype, 0) == n,
              "findings_by_type[%s] = %s, expected %d" % (ftype, by_type.get(ftype), n))


def partitions_by_path(report):
    return {real(p["path"]): p for p in report["partitions"] if isinstance(p, dict) and isinstance(p.get("path"), str)}


def check_notes(name, report, agreeing, all_copies):
    """agreeing: [(path, other_path)]: each path's notes name other_path (as the report
    writes it in partitions[].path); no other copy's notes name another copy."""
    parts = partitions_by_path(report)
    shown = {real(p["path"]): p["path"] for p in parts.values()}
    want = {real(a): real(b) for a, b in agreeing}
    for path in sorted(set(real(c) for c in all_copies)):
        p = parts.get(path)
        if p is None:
            continue              # reported by check_copies
        # (A copy audited for its integrity only names the copy audited in
        # full: a note of another kind, checked in check_audited_once.)
        notes = [n for n in p.get("notes") or [] if isinstance(n, str) and not n.startswith(INTEGRITY_ONLY)]
        naming = sorted({other for other in set(real(c) for c in all_copies) - {path}
                         if any(shown.get(other, "\0") in n for n in notes)})
        if path in want:
            check("%s: %s notes that it agrees with %s" % (name, rel(path), rel(want[path])),
                  naming == [want[path]],
                  "its notes: %s (the note must name the other copy's path as partitions[].path has it: %s)"
                  % (short(notes), short(shown.get(want[path]))))
        else:
            check("%s: %s has no note naming another copy" % (name, rel(path)), not naming,
                  "its notes: %s" % short(notes))


def check_copies(name, report, copies):
    parts = partitions_by_path(report)
    for c in copies:
        p = parts.get(real(c["path"]))
        check("%s: partitions lists %s" % (name, c["path"]), p is not None,
              "partitions: %s" % short(sorted(rel(x) for x in parts), 600))
        if p is None:
            continue
        for key in ("log_start_offset", "log_end_offset"):
            if c.get(key) is None:
                continue          # a copy without a batch: the partitions[] convention is not this test's
            check("%s: %s %s" % (name, c["path"], key), p.get(key) == c[key],
                  "report has %s, expected %d" % (short(p.get(key)), c[key]))


INTEGRITY_ONLY = "audited for the integrity of its bytes only"


def check_audited_once(name, report, exp):
    """Copies of one topic-partition whose log directories name one cluster:
    exactly one audited in full, each other copy noted as integrity-only
    naming it, and producers summarised on that one only."""
    parts = partitions_by_path(report)
    by_tp = {}
    for c in exp["copies"]:
        p = parts.get(real(c["path"]))
        if p is not None and c.get("broker_id") is not None:
            by_tp.setdefault((p["topic"], p["partition"]), []).append(p)
    for (topic, partition), ps in sorted(by_tp.items()):
        if len(ps) < 2:
            continue
        full = [p for p in ps if not any(n.startswith(INTEGRITY_ONLY) for n in p.get("notes", []))]
        check("%s: %s-%d audited in full once" % (name, topic, partition), len(full) == 1,
              "in full: %s" % short([rel(p["path"]) for p in full]))
        for p in ps:
            if full and p is not full[0]:
                n = [x for x in p.get("notes", []) if x.startswith(INTEGRITY_ONLY)]
                check("%s: %s names the copy audited in full" % (name, rel(p["path"])),
                      len(n) == 1 and full[0]["path"] in n[0], short(n))
                check("%s: %s summarises no producer (they are the full copy's)" % (name, rel(p["path"])),
                      not p.get("producers"), short(p.get("producers")))


def no_other_warnings(name, report):
    others = [f for f in report["findings"] if not str(f.get("type", "")).startswith("replica_")
              and f.get("severity") in ("warning", "error")]
    check("%s: no other warning or error" % name, not others,
          short(["%s @%s in %s" % (f.get("type"), f.get("offset"), rel(f.get("path"))) for f in others], 600))


# ---------------------------------------------------------------------------
# The generated scenarios
# ---------------------------------------------------------------------------

def strip_why(findings):
    return [{k: v for k, v in f.items() if k != "why"} for f in findings]


def reference_scenario(name, exp):
    """The committed files still give the expectation under the reference comparison."""
    if gen_replicas is None:
        check("%s: reference comparison" % name, False, REFERENCE_PROBLEM)
        return
    try:
        ref, notes, stats = gen_replicas.reference_replicas([os.path.join(REPO, d) for d in exp["dirs"]])
    except (OSError, ValueError) as err:
        check("%s: reference comparison reads the fixtures" % name, False, str(err))
        return
    key = lambda f: (f["type"], f["topic"], f["partition"], real(f["path"]))  # noqa: E731
    norm = lambda fs: sorted(([(k, real(v) if k in PATH_KEYS else v) for k, v in sorted(f.items())]  # noqa: E731
                              for f in fs), key=str)
    check("%s: the reference comparison gives the expected findings" % name,
          norm(ref) == norm(strip_why(exp["findings"])),
          "reference %s; expected %s" % (short(sorted(map(key, ref)), 400),
                                         short(sorted(map(key, exp["findings"])), 400)))
    check("%s: the reference comparison gives the expected notes" % name,
          sorted((real(a), real(b)) for a, b in notes) == sorted((real(n["path"]), real(n["other_path"]))
                                                                 for n in exp["notes"]),
          "reference %s; expected %s" % (short(notes), short(exp["notes"])))
    check("%s: paired batches are byte-identical" % name, not stats["byte_mismatch"] and stats["pairs"] > 0,
          "%d pairs, differing: %s" % (stats["pairs"], short(stats["byte_mismatch"])))


def audit_scenario(name, exp):
    copies = [c["path"] for c in exp["copies"]]
    report, status, err = audit(exp["dirs"])
    check("%s: audit exit status with --fail-on none" % name, status == 0,
          "exit %d; stderr: %s" % (status, short(err)))
    check_schema(name, report)
    check_counted(name, report, exp["findings"])
    match_findings(name, replica_findings(report), exp["findings"], empty_copy_hint)
    no_other_warnings(name, report)
    check_copies(name, report, exp["copies"])
    check_notes(name, report, [(n["path"], n["other_path"]) for n in exp["notes"]], copies)
    check_audited_once(name, report, exp)

    _, status, err = audit(exp["dirs"], fail_on=None)
    check("%s: audit exit status with the default --fail-on" % name, status == exp["exit_status"],
          "exit %d, expected %d (1 when a replica_divergence, an error, is expected); stderr: %s"
          % (status, exp["exit_status"], short(err)))


def variant_order(name, exp):
    """The reference on a tie is the first in path order, not in argument order."""
    dirs = list(reversed(exp["dirs"]))
    report, status, err = audit(dirs)
    what = "%s (paths given in reverse order)" % name
    check("%s: audit exit status" % what, status == 0, "exit %d; stderr: %s" % (status, short(err)))
    match_findings(what, replica_findings(report), exp["findings"], empty_copy_hint)
    check_notes(what, report, [(n["path"], n["other_path"]) for n in exp["notes"]], [c["path"] for c in exp["copies"]])


def variant_parent(name, exp):
    """The folder above the brokers' log directories holds the same copies."""
    parent = os.path.dirname(exp["dirs"][0])
    if any(os.path.dirname(d) != parent for d in exp["dirs"]):
        check("%s: one folder above the log directories" % name, False, short(exp["dirs"]))
        return
    report, status, err = audit([parent])
    what = "%s (its folder %s given)" % (name, parent)
    check("%s: audit exit status" % what, status == 0, "exit %d; stderr: %s" % (status, short(err)))
    match_findings(what, replica_findings(report), exp["findings"])
    check_notes(what, report, [(n["path"], n["other_path"]) for n in exp["notes"]], [c["path"] for c in exp["copies"]])


def variant_compare(name, exp):
    """kaudit compare: the same replica findings as the audit, on the copies
    alone (every topic-partition listed is held by two directories at least),
    each checked for its integrity only."""
    status, out, err = run(["compare", "--format", "json", "--max-examples", "1000", "--fail-on", "none"]
                           + list(exp["dirs"]))
    what = "%s (kaudit compare)" % name
    try:
        report = json.loads(out.decode("utf-8"))
    except ValueError as exc:
        check("%s: a JSON report" % what, False, "%s; stderr: %s" % (exc, short(err)))
        return
    check("%s: exit status" % what, status == 0, "exit %d; stderr: %s" % (status, short(err)))
    check_schema(what, report)
    match_findings(what, replica_findings(report), exp["findings"], empty_copy_hint)
    held = {}
    for c in exp["copies"]:
        p = os.path.basename(c["path"])
        held[p] = held.get(p, 0) + 1
    listed = sorted(os.path.basename(p["path"]) for p in report.get("partitions", []))
    check("%s: only the partitions held twice" % what,
          listed == sorted(b for c in exp["copies"] for b in [os.path.basename(c["path"])] if held[b] > 1),
          short(listed))
    check("%s: no producer, duplicate or transaction audit" % what,
          all(not p.get("producers") for p in report.get("partitions", [])) and
          not [f for f in report.get("findings", []) if f.get("type") in ("duplicate", "sequence_gap",
                                                                           "open_transaction")],
          short([describe(f) for f in report.get("findings", [])]))


def variant_single(name, exp):
    """A topic-partition in one log directory only is not compared."""
    for d in exp["dirs"]:
        report, status, err = audit([d])
        what = "%s (%s alone)" % (name, os.path.basename(d))
        check("%s: audit exit status" % what, status == 0, "exit %d; stderr: %s" % (status, short(err)))
        got = replica_findings(report)
        check("%s: no replica finding" % what, not got, short([describe(f) for f in got], 600))
        check_notes(what, report, [], [c["path"] for c in exp["copies"] if real(c["path"]).startswith(real(d) + os.sep)])


# ---------------------------------------------------------------------------
# The real 2.1.1 data
# ---------------------------------------------------------------------------

def read_text(*parts):
    with open(os.path.join(LAB, *parts), encoding="utf-8", errors="replace") as f:
        return f.read()


def epoch_checkpoint(pdir):
    """The entries of a partition's leader-epoch-checkpoint: [(epoch, start offset)]."""
    with open(os.path.join(pdir, "leader-epoch-checkpoint")) as f:
        lines = f.read().split("\n")
    return [tuple(int(x) for x in line.split()) for line in lines[2:2 + int(lines[1])]]


def repl_divergence_offsets():
    """{partition: offset} where the lab's repl/ says the copies part, from three of its files
    (each must agree): README.md, scenario-output.txt (phase A's last offsets + 1) and broker 1's
    "Truncating to offset" lines in logs/broker1-server.log."""
    readme = read_text("README.md")
    m = re.search(r"from the offset where it had stopped \((\d+) on partition 0, (\d+) on partition 1\)", readme)
    from_readme = {0: int(m.group(1)), 1: int(m.group(2))} if m else None
    out = read_text("repl", "scenario-output.txt")
    phase_a = out.split("== phase B")[0]
    lasts = re.findall(r"last offsets \{([^}]*)\}", phase_a)
    from_output = ({int(k): int(v) + 1 for k, v in re.findall(r"(\d+)=(\d+)", lasts[-1])} if lasts else None)
    log = read_text("repl", "logs", "broker1-server.log")
    from_log = {int(p): int(o) for p, o in
                re.findall(r"\[Log partition=audit-repl-(\d+), [^\]]*\] Truncating to offset (\d+)", log)}
    check("lab repl: README, scenario-output.txt and broker 1's truncation agree on the divergence offsets",
          from_readme is not None and from_readme == from_output == from_log,
          "README %s, scenario-output %s, broker1-server.log %s" % (from_readme, from_output, from_log))
    check("lab repl: divergence offsets 516 and 562 (lab README)", from_readme == {0: 516, 1: 562}, short(from_readme))
    return from_readme or from_output or {}


def unclean_loss_truth():
    """{partition: (divergence offset, records only on broker 1, only on broker 2, {broker: records_total})}."""
    truth = json.loads(read_text("unclean-loss", "truth.json"))
    out = {}
    for tp, info in truth["partitions"].items():
        topic, _, number = tp.rpartition("-")
        totals = {int(k.replace("broker", "")): v for k, v in info["records_total_by_broker"].items()}
        out[int(number)] = (info["divergence_offset"], info["records_only_on_broker1_old_leader"],
                            info["records_only_on_broker2_new_leader"], totals)
    check("lab unclean-loss: truth.json: 186 (70/39) on p0 and 214 (80/51) on p1",
          {p: v[:3] for p, v in out.items()} == {0: (186, 70, 39), 1: (214, 80, 51)}, short(out))
    return out


def check_epochs(what, finding, dirs):
    """The epochs on each side of a divergence: each broker's latest leader-epoch-checkpoint
    entry, started at the divergence offset (an unclean election: epoch 1 on broker 1, 2 on 2)."""
    for side, path_key, epoch_key in (("here", "path", "leader_epoch"), ("other", "other_path", "other_leader_epoch")):
        path = finding[path_key]
        entries = epoch_checkpoint(path)
        want = entries[-1][0] if entries else None
        broker = 1 if real(path).startswith(real(dirs[0]) + os.sep) else 2
        check("%s: %s epoch (broker %d) is its checkpoint's last, started at %d" % (what, side, broker,
                                                                                    finding["diverge_offset"]),
              entries and entries[-1] == (want, finding["diverge_offset"]) and finding[epoch_key] == want
              and want == broker,
              "finding %s=%s; %s/leader-epoch-checkpoint %s" % (epoch_key, finding[epoch_key], rel(path), entries))


def lab_pair(sub):
    d = os.path.join(LAB, sub)
    return [os.path.join(d, "broker1-data"), os.path.join(d, "broker2-data")]


def reference_or_fail(what, dirs):
    if gen_replicas is None:
        check("%s: reference comparison" % what, False, REFERENCE_PROBLEM)
        return None
    try:
        ref, notes, stats = gen_replicas.reference_replicas(dirs)
    except (OSError, ValueError) as err:
        check("%s: reference comparison reads the lab data" % what, False, str(err))
        return None
    check("%s: the batches paired are byte-identical in both brokers' files (%d pairs)" % (what, stats["pairs"]),
          stats["pairs"] > 0 and not stats["byte_mismatch"], short(stats["byte_mismatch"]))
    return ref, notes


def empty_copy_hint(key):
    """A hint for a failed offset or log end (the likely cause: a copy without a batch)."""
    if key in ("offset", "log_end_offset", "other_log_end_offset"):
        return (" (if this copy holds no batch: its log end is its last segment's base offset, as Kafka's "
                "Log.logEndOffset gives it, 0 for a new replica; -1 is no offset)")
    return ""


def check_lab_fork(sub, topic, truth_check):
    what = "lab %s" % sub
    dirs = lab_pair(sub)
    got = reference_or_fail(what, dirs)
    if got is None:
        return
    ref, ref_notes = got
    forks = [f for f in ref if f["type"] == DIVERGENCE]
    check("%s: the reference finds one divergence per partition of %s, nothing else of %s" % (what, topic, topic),
          sorted(f["partition"] for f in forks if f["topic"] == topic) == [0, 1]
          and all(f["topic"] == topic for f in forks)
          and not [f for f in ref if f["topic"] == topic and f["type"] != DIVERGENCE],
          short([describe(f) for f in ref]))
    for f in forks:
        truth_check(what, f)
        check_epochs("%s: %s-%d" % (what, topic, f["partition"]), f, dirs)

    report, status, err = audit(dirs)
    check("%s: audit exit status" % what, status == 0, "exit %d; stderr: %s" % (status, short(err)))
    check_schema(what, report)
    check_counted(what, report, ref)
    got = replica_findings(report)
    mine = [g for g in got if g.get("type") == DIVERGENCE and g.get("topic") == topic]
    check("%s: one replica_divergence per partition of %s" % (what, topic),
          sorted(g.get("partition") for g in mine) == [0, 1],
          short([describe(g) for g in got], 600))
    match_findings(what, got, ref, empty_copy_hint)
    check_notes(what, report, ref_notes, sorted(p["path"] for p in report["partitions"]))


def check_lab_agreeing(sub, ends):
    """Copies that agree: no replica_divergence; exactly the reference's replica findings."""
    what = "lab %s" % sub
    dirs = lab_pair(sub)
    got = reference_or_fail(what, dirs)
    if got is None:
        return
    ref, ref_notes = got
    check("%s: the reference finds no divergence" % what, not [f for f in ref if f["type"] == DIVERGENCE],
          short([describe(f) for f in ref]))
    if gen_replicas is not None:
        for (topic, partition), end in sorted(ends.items()):
            for d in dirs:
                path = os.path.join(d, "%s-%d" % (topic, partition))
                _, copy_end = gen_replicas.read_copy(path)
                check("%s: %s ends at %d, as the lab says" % (what, rel(path), end), copy_end == end,
                      "kafka-python reads a log end of %d" % copy_end)
    report, status, err = audit(dirs)
    check("%s: audit exit status" % what, status == 0, "exit %d; stderr: %s" % (status, short(err)))
    check_schema(what, report)
    got = replica_findings(report)
    check("%s: no replica_divergence" % what, not [g for g in got if g.get("type") == DIVERGENCE],
          short([describe(g) for g in got if g.get("type") == DIVERGENCE], 600))
    match_findings(what, got, ref)
    check_notes(what, report, ref_notes, sorted(p["path"] for p in report["partitions"]))
    return report


def check_lab():
    offsets = repl_divergence_offsets()

    def repl_truth(what, f):
        check("%s: %s-%d diverges at %s (the lab's files)" % (what, f["topic"], f["partition"],
                                                              offsets.get(f["partition"])),
              f["diverge_offset"] == offsets.get(f["partition"]), "reference: %d" % f["diverge_offset"])

    check_lab_fork(os.path.join("repl", "before-old-leader-restart"), "audit-repl", repl_truth)

    truth = unclean_loss_truth()

    def unclean_truth(what, f):
        at, only1, only2, totals = truth.get(f["partition"], (None, None, None, {}))
        on = {f["broker_id"]: f["records_only_here"], f["other_broker_id"]: f["records_only_other"]}
        check("%s: %s-%d diverges at %s, %s records only on broker 1 and %s only on broker 2 (truth.json)"
              % (what, f["topic"], f["partition"], at, only1, only2),
              (f["diverge_offset"], on.get(1), on.get(2)) == (at, only1, only2),
              "reference: at %d, broker 1 %s, broker 2 %s" % (f["diverge_offset"], on.get(1), on.get(2)))
        if gen_replicas is not None:
            for broker, path in ((f["broker_id"], f["path"]), (f["other_broker_id"], f["other_path"])):
                batches, _ = gen_replicas.read_copy(path)
                n = sum(b["records"] for b in batches)
                check("%s: %s holds %s records (truth.json records_total_by_broker)" % (what, rel(path),
                                                                                         totals.get(broker)),
                      n == totals.get(broker), "kafka-python counts %d" % n)

    check_lab_fork("unclean-loss", "ledger", unclean_truth)

    # repl/final: the end offsets the consumer saw at the end of scenario-output.txt.
    out = read_text("repl", "scenario-output.txt")
    m = re.findall(r"end offsets \{([^}]*)\}", out)
    ends = {("audit-repl", int(p)): int(o) for p, o in re.findall(r"audit-repl-(\d+)=(\d+)", m[-1])} if m else {}
    check("lab repl/final: scenario-output.txt gives both partitions' end offsets", len(ends) == 2, short(ends))
    check_lab_agreeing(os.path.join("repl", "final"), ends)
    check_final_deleted(ends)

    truth = json.loads(read_text("leader-moves", "truth.json"))
    ends = {}
    for tp, info in truth["partitions"].items():
        topic, _, number = tp.rpartition("-")
        ends[(topic, int(number))] = info["consumer_check"]["read_uncommitted"]["end_offset"]
    check("lab leader-moves: truth.json gives both partitions' end offsets", len(ends) == 2, short(ends))
    check_lab_agreeing("leader-moves", ends)


def check_final_deleted(ends):
    """repl/final/broker1-data keeps its truncated segments as *.log.deleted: epoch-1 batches over
    offsets broker 2's copy holds in epoch 2. Read, they would fork the comparison; the check above
    (no divergence) shows they were left out; here, that they are what the lab README says."""
    if gen_replicas is None:
        return
    d = os.path.join(LAB, "repl", "final", "broker1-data")
    for partition in (0, 1):
        pdir = os.path.join(d, "audit-repl-%d" % partition)
        names = sorted(n for n in os.listdir(pdir) if n.endswith(".log.deleted"))
        epochs, first, last = set(), None, None
        from kafka.record.memory_records import MemoryRecords
        for n in names:
            with open(os.path.join(pdir, n), "rb") as f:
                records = MemoryRecords(f.read())
            while True:
                b = records.next_batch()
                if b is None:
                    break
                hdr = dict(zip(gen_replicas.gf.V2_FIELDS, b._header_data))
                epochs.add(hdr["partition_leader_epoch"])
                first = hdr["base_offset"] if first is None else first
                last = hdr["base_offset"] + hdr["last_offset_delta"]
        check("lab repl/final: broker 1's audit-repl-%d *.log.deleted hold epoch-1 batches inside the log "
              "(what broker 1 truncated)" % partition,
              names and epochs == {1} and first is not None and last < ends.get(("audit-repl", partition), -1),
              "%s: epochs %s, offsets %s..%s" % (names, sorted(epochs), first, last))


# ---------------------------------------------------------------------------
# Digests
# ---------------------------------------------------------------------------

TMP = None


def tmpdir():
    global TMP
    if TMP is None:
        TMP = tempfile.mkdtemp(prefix="kt-digest-")
    return TMP


def digest(d, name):
    """`kaudit digest -o <tmp>/<name>.kdg d`: the digest's path."""
    out = os.path.join(tmpdir(), name + ".kdg")
    status, _, err = run(["digest", "-q", "-o", out, d])
    check("digest of %s: exit 0" % rel(d), status == 0, "exit %d; stderr: %s" % (status, short(err)))
    return out


def compare_json(paths):
    status, out, err = run(["compare", "--format", "json", "--max-examples", "1000", "--fail-on", "none"]
                           + list(paths))
    try:
        return json.loads(out.decode("utf-8")), status, err
    except ValueError as exc:
        raise Failed("compare %s (exit %d): no JSON (%s); stderr: %s" % (" ".join(paths), status, exc, short(err)))


def comparable(report):
    """A report's findings (every field but the id and incident numbering), notes and partitions."""
    fs = sorted(json.dumps({k: v for k, v in f.items() if k not in ("id", "incident")}, sort_keys=True)
                for f in report.get("findings", []))
    notes = sorted((p["path"], n) for p in report.get("partitions", []) for n in p.get("notes", []))
    parts = sorted((p["path"], p.get("log_start_offset"), p.get("log_end_offset"), p.get("batches"),
                    p.get("records")) for p in report.get("partitions", []))
    return fs, notes, parts


def same_reports(what, want, got):
    a, b = comparable(want), comparable(got)
    for i, part in enumerate(("findings", "notes", "partitions")):
        diff = [x for x in b[i] if x not in a[i]] + [x for x in a[i] if x not in b[i]]
        check("%s: the same %s as comparing the data (%d)" % (what, part, len(a[i])), a[i] == b[i],
              short(diff, 800))


V2 = struct.Struct(">qiibIhiqqqhii")


def kafka_python_batches(pdir):
    """What kafka-python reads of a copy, in the fields a digest keeps."""
    from kafka.record.default_records import DefaultRecordBatch
    batches, _ = gen_replicas.read_copy(pdir)
    out = []
    for b in batches:
        raw = b["raw"]
        if raw[16] != 2:
            out.append({"base_offset": b["base"], "last_offset": b["last"], "leader_epoch": -1, "crc": b["crc"],
                        "count": 1, "producer_id": -1, "transactional": False, "control": False, "marker": None})
            continue
        (_, _, epoch, _, crc, attrs, _, _, max_ts, pid, pepoch, seq, count) = V2.unpack_from(raw)
        marker = None
        if attrs & 0x20:
            recs = list(DefaultRecordBatch(bytearray(raw)))
            if recs and recs[0].key and len(recs[0].key) >= 4:
                marker = {0: "ABORT", 1: "COMMIT"}.get(struct.unpack(">hh", recs[0].key[:4])[1])
        out.append({"base_offset": b["base"], "last_offset": b["last"], "leader_epoch": epoch, "crc": crc,
                    "count": count, "max_timestamp": max_ts, "producer_id": pid,
                    "producer_epoch": pepoch if pid >= 0 else None, "base_sequence": seq if pid >= 0 else None,
                    "transactional": bool(attrs & 0x10), "control": bool(attrs & 0x20), "marker": marker})
    return out


def check_digest_content(what, path):
    """The digest decodes by docs/digest.md and holds what kafka-python reads."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        d = digest_format.decode(data)
    except (ValueError, IndexError, struct.error) as err:
        check("%s: decodes by docs/digest.md" % what, False, str(err))
        return
    check("%s: decodes by docs/digest.md (%d copies, %d batches, %d bytes)"
          % (what, len(d["parts"]), d["end"]["batches"], len(data)), len(d["parts"]) > 0, "")
    if gen_replicas is None:
        check("%s: kafka-python" % what, False, REFERENCE_PROBLEM)
        return
    for part in d["parts"]:
        want = kafka_python_batches(part["path"])
        got = []
        for b in part["batches"]:
            g = {k: b[k] for k in ("base_offset", "last_offset", "leader_epoch", "crc", "count", "producer_id",
                                   "transactional", "control", "marker")}
            if b["magic"] == 2:
                g["max_timestamp"] = b["max_timestamp"]
                g["producer_epoch"] = b["producer_epoch"] if b["producer_id"] >= 0 else None
                g["base_sequence"] = b["base_sequence"] if b["producer_id"] >= 0 else None
            else:
                g["count"] = 1
            got.append(g)
        bad = [(i, g, w) for i, (g, w) in enumerate(zip(got, want)) if g != w]
        check("%s: %s: the digest's %d batches are kafka-python's %d" % (what, rel(part["path"]), len(got),
                                                                          len(want)),
              len(got) == len(want) and not bad, short(bad[:2], 600))
        last = {}
        for b in part["batches"]:
            if b["producer_id"] >= 0:
                last[b["producer_id"]] = b
        state = {p["producer_id"]: (p["epoch"], p["last_offset"]) for p in part["producers"]}
        check("%s: %s: the producers' state is their last batches'" % (what, rel(part["path"])),
              state == {pid: (b["producer_epoch"], b["last_offset"]) for pid, b in last.items()},
              short((state, {pid: b["last_offset"] for pid, b in last.items()})))
        check("%s: %s: counts as the report's" % (what, rel(part["path"])),
              part["batches_count"] == len(part["batches"]) and part["unread"] == 0,
              "%d batches said, %d held, %d unread" % (part["batches_count"], len(part["batches"]), part["unread"]))


def variant_digest(name, dirs, data_report=None):
    """Digests of each directory, compared, give what comparing the data gives."""
    if data_report is None:
        data_report, _, _ = compare_json(dirs)
    digests = [digest(d, "%s-%d" % (re.sub(r"\W", "_", name), i)) for i, d in enumerate(dirs)]
    what = "%s (digests)" % name
    report, status, err = compare_json(digests)
    check("%s: exit status" % what, status == 0, "exit %d; stderr: %s" % (status, short(err)))
    check_schema(what, report)
    same_reports(what, data_report, report)
    what = "%s (%s's data beside the others' digests)" % (name, os.path.basename(dirs[0]))
    report, status, err = compare_json([dirs[0]] + digests[1:])
    check("%s: exit status" % what, status == 0, "exit %d; stderr: %s" % (status, short(err)))
    same_reports(what, data_report, report)
    for d, g in zip(dirs, digests):
        check_digest_content("%s: digest of %s" % (name, os.path.basename(d)), g)
    return digests


def check_bad_digests(good):
    """A damaged digest is named, with its byte, and makes the comparison incomplete."""
    with open(good, "rb") as f:
        data = f.read()
    cases = {"one byte changed": data[:len(data) // 2] + bytes([data[len(data) // 2] ^ 0x40]) + data[len(data) // 2 + 1:],
             "cut short": data[:len(data) - 7]}
    for what, bad in cases.items():
        path = os.path.join(tmpdir(), "bad.kdg")
        with open(path, "wb") as f:
            f.write(bad)
        report, status, err = compare_json([path, good])
        problems = " ".join(report.get("problems", []))
        check("a digest %s: exit 2, named with a byte position on stderr and in problems" % what,
              status == 2 and "bad.kdg at byte " in err and "bad.kdg at byte " in problems,
              "exit %d; stderr: %s; problems: %s" % (status, short(err), short(problems)))
    status, _, err = run(["audit", good])
    check("kaudit audit given a digest: usage error", status == 2 and "digest" in err,
          "exit %d; stderr: %s" % (status, short(err)))
    status, _, err = run(["digest", os.path.dirname(good)])
    check("kaudit digest without -o: usage error", status == 2 and "-o" in err,
          "exit %d; stderr: %s" % (status, short(err)))


def check_lost(sub, report, truth=None):
    """Whose tail Kafka truncates, and who could have read it."""
    for f in report.get("findings", []):
        if f.get("type") != DIVERGENCE:
            continue
        what = "lab %s: %s-%d" % (sub, f["topic"], f["partition"])
        side = "here" if f["broker_id"] == 1 else "other"
        check("%s: broker 1's tail (leader epoch 1) is the one truncated" % what, f.get("truncated_side") == side,
              "truncated_side %s, broker_id %s" % (f.get("truncated_side"), f.get("broker_id")))
        if truth is None:
            continue
        lost = f["records_only_here"] if side == "here" else f["records_only_other"]
        uncommitted = f.get("read_uncommitted_only_" + side)
        committed = f.get("read_committed_only_" + side)
        tp = truth["partitions"]["%s-%d" % (f["topic"], f["partition"])]
        readable = tp["records_visible_read_committed_by_broker"]["broker1"] == tp["records_total_by_broker"]["broker1"]
        check("%s: the %d records lost with broker 1's tail were readable by read_uncommitted and read_committed "
              "consumers (truth.json)" % (what, lost), readable and uncommitted == lost and committed == lost,
              "read_uncommitted %s, read_committed %s" % (uncommitted, committed))


def check_independent_digests():
    """Digests written by tests/digest_format.py (from docs/digest.md, not kaudit's C), large enough
    that a copy's batches span several 'B' records of more than a page: kaudit compare reads them
    and finds the fork and the lag that were written into them."""
    paths = []
    for b in (1, 2):
        path = os.path.join(tmpdir(), "python-%d.kdg" % b)
        paths.append(path)
        with open(path, "wb") as f:
            w = digest_format.Writer(f)
            w.dir(0, "/data/broker%d" % b, b, "cluster-py")
            for partition, n in ((0, 3000), (1, 3000 if b == 1 else 2990)):
                batches = []
                for i in range(n):
                    forked = partition == 0 and i >= 2500
                    batches.append({"base_offset": i * 100, "last_offset": i * 100 + 99,
                                    "leader_epoch": (2 + b) if forked else 1,
                                    "crc": (i * 2654435761 + (b if forked else 0)) & 0xFFFFFFFF, "count": 100,
                                    "max_timestamp": 1_700_000_000_000 + i, "producer_id": 9000 + (b if forked else 0),
                                    "producer_epoch": 0, "base_sequence": i * 100, "magic": 2})
                end = batches[-1]["last_offset"] + 1
                part = {"dir": 0, "topic": "py", "partition": partition, "path": "/data/broker%d/py-%d" % (b, partition),
                        "truncating": False, "kafka_log_start": 0, "log_start": 0, "log_end": end,
                        "high_watermark": end, "last_segment_base": 0, "last_segment_size": 1, "segments": 1,
                        "batches": n, "records": n * 100, "control_records": 0, "bytes": 1, "min_timestamp": 0,
                        "max_timestamp": 1}
                w.part(part, batches)
            w.close()
    report, status, err = compare_json(paths)
    what = "digests written by tests/digest_format.py"
    check("%s: exit status" % what, status == 0, "exit %d; stderr: %s" % (status, short(err)))
    forks = [f for f in report["findings"] if f["type"] == DIVERGENCE]
    got = [(f["partition"], f["diverge_offset"], f["records_only_here"], f["records_only_other"], f["leader_epoch"],
            f["other_leader_epoch"], f["truncated_side"], f["producers_only_here"]) for f in forks]
    check("%s: the fork written at offset 250000 of py-0 (500 batches each side)" % what,
          got == [(0, 250000, 50000, 50000, 4, 3, "other", "producer 9002: 50000")], short(got, 600))
    behind = [(f["partition"], f["log_end_offset"], f["records_behind"]) for f in report["findings"]
              if f["type"] == BEHIND]
    check("%s: broker 2's py-1, 10 batches behind" % what, behind == [(1, 299000, 1000)], short(behind))


def check_story(dirs):
    """The text and HTML reports tell who lost what, in words (truth.json's numbers)."""
    status, out, err = run(["compare", "--fail-on", "none"] + dirs)
    text = out.decode("utf-8", "replace")
    for p, lost, kept in ((0, 70, 39), (1, 80, 51)):
        want = ("ledger-%d: broker 2's copy and broker 1's copy part at offset" % p,
                "broker 1's copy (the older leader epoch) is truncated to the divergence and loses %d records" % lost,
                "Broker 2's copy alone holds %d records" % kept)
        line = [l for l in text.splitlines() if l.strip().startswith("ledger-%d:" % p)]
        check("lab unclean-loss: the text report's Replicas paragraph tells ledger-%d's loss" % p,
              "Replicas:" in text and len(line) == 1 and all(w in line[0] for w in want), short(line, 600))
    status, out, err = run(["compare", "--format", "html", "--fail-on", "none"] + dirs)
    html = out.decode("utf-8", "replace")
    check("lab unclean-loss: the HTML report's Replicas section tells the loss",
          'id="replicas"' in html and "is truncated to the divergence and loses 70 records" in html, "")
    status, out, err = run(["compare", "--format", "markdown", "--fail-on", "none"] + dirs)
    md = out.decode("utf-8", "replace")
    check("lab unclean-loss: the Markdown report's Replicas list tells the loss",
          "### Replicas\n\n- ledger-" in md and "is truncated to the divergence and loses 80 records" in md,
          short(md[:400]))


def check_lab_digests():
    truth = json.loads(read_text("unclean-loss", "truth.json"))
    digests = None
    for sub in (os.path.join("repl", "before-old-leader-restart"), "unclean-loss", os.path.join("repl", "final"),
                "leader-moves"):
        dirs = lab_pair(sub)
        report, status, err = compare_json(dirs)
        check("lab %s: compare exit status" % sub, status == 0, "exit %d; stderr: %s" % (status, short(err)))
        if sub != os.path.join("repl", "final") and sub != "leader-moves":
            check_lost(sub, report, truth if sub == "unclean-loss" else None)
        got = variant_digest("lab " + sub, dirs, report)
        digests = digests or got
        if sub == "unclean-loss":
            check_story(dirs)
    check_bad_digests(digests[0])


def main():
    names = sorted(glob.glob(os.path.join(EXPECTED_DIR, "*.json")))
    check("expectation files in fixtures/expected/replicas", len(names) >= SCENARIOS_MIN,
          "%d found: run /usr/bin/python3 fixtures/gen_replicas.py" % len(names))
    check("reference comparison importable (kafka-python)", gen_replicas is not None, REFERENCE_PROBLEM or "")
    check("jsonschema importable", jsonschema is not None, JSONSCHEMA_PROBLEM or "")
    expectations = []
    for path in names:
        with open(path) as f:
            expectations.append(json.load(f))
    check("the expectations hold findings of both types and notes",
          {f["type"] for e in expectations for f in e["findings"]} == {BEHIND, DIVERGENCE}
          and any(e["notes"] for e in expectations), "")
    for exp in expectations:
        name = exp["case"]
        steps = [reference_scenario, audit_scenario, variant_order, variant_single, variant_compare,
                 lambda n, e: variant_digest(n, e["dirs"])]
        if name == "unclean-fork":
            steps.append(variant_parent)
        for fn in steps:
            try:
                fn(name, exp)
            except Failed as err:
                check("%s: %s" % (name, fn.__name__), False, str(err))
    if not os.path.isdir(LAB):
        check("lab", False, "%s is missing" % LAB)
    else:
        try:
            check_lab()
        except Failed as err:
            check("lab", False, str(err))
        except (OSError, ValueError, KeyError, IndexError, AttributeError, TypeError) as err:
            check("lab: reading the lab's files", False, "%s: %s" % (type(err).__name__, err))
        try:
            check_lab_digests()
        except Failed as err:
            check("lab digests", False, str(err))
    try:
        check_independent_digests()
    except Failed as err:
        check("independent digests", False, str(err))
    if TMP:
        shutil.rmtree(TMP, ignore_errors=True)
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
