#!/usr/bin/python3
"""test_lab.py - `kaudit audit` on ../shared/corpus/kafka-2.1.1-lab, real Apache Kafka
2.1.1 brokers driven by Kafka's own Java clients, against what the clients
recorded (each scenario's truth.json, single/producer-output.txt).

Run from the repository root: /usr/bin/python3 tests/test_lab.py  (./kaudit, or $KAUDIT)

For every scenario with a truth.json, and for single/ and repl/, each broker's
data directory is audited (`--format json --max-examples -1 --fail-on none`)
and the report must show:

  * the delivery duplicates the clients made, and no other duplicate
    warning: every scenario's truth lists none (the producers were
    idempotent or transactional and nothing resent a record), so any
    warning there would be a false alarm;
  * for a scenario whose verdict is "benign" (compaction's holes, records
    below a moved log start, leader moves), no warning or error at all;
  * the transactions the clients left open, and no other open_transaction
    warning (truth lists none);
  * the records a read_committed consumer got, per partition, as the
    records the duplicate audit checked (repeat_profile.records: visible
    data, aborted transactions and records below the log start excluded):
    on at least one broker's copy when the brokers' copies differ (the
    consumers read the leader after an unclean election);
  * single/: producer-output.txt's read_committed counts, and no finding
    above info.

One case per scenario; ends with "kt: N passed, M failed".
"""

import json
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB = os.path.join(REPO, "..", "shared", "corpus", "kafka-2.1.1-lab")
KAUDIT = os.environ.get("KAUDIT", "./kaudit")


def audit(path):
    p = subprocess.run([KAUDIT, "audit", "--format", "json", "--max-examples", "-1", "--fail-on", "none", path],
                       cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    if p.returncode != 0:
        raise ValueError("exit %d: %s" % (p.returncode, p.stderr.decode("utf-8", "replace")[-300:]))
    return json.loads(p.stdout)


def broker_dirs(scenario):
    return sorted(os.path.join(scenario, d) for d in os.listdir(scenario)
                  if re.match(r"broker\d+-data$", d) and os.path.isdir(os.path.join(scenario, d)))


def check_reports(reports, truth, benign):
    """Problems of the reports (one per broker directory) against truth's partitions."""
    problems = []
    visible = {}            # "topic-partition" -> set of counts over the brokers
    for name, r in reports:
        for f in r["findings"]:
            if f["severity"] == "info":
                continue
            where = "%s %s-%d @%d" % (name, f["topic"], f["partition"], f["offset"])
            if f["type"] == "duplicate":
                problems.append("%s: a duplicate warning, though the clients made none: %s" % (where, f["message"]))
            elif f["type"] == "open_transaction":
                problems.append("%s: an open transaction, though the clients left none: %s" % (where, f["message"]))
            elif benign:
                problems.append("%s: %s in a benign scenario: %s" % (where, f["type"], f["message"]))
        for p in r["partitions"]:
            if "repeat_profile" in p:
                visible.setdefault("%s-%d" % (p["topic"], p["partition"]), set()).add(p["repeat_profile"]["records"])
    for tp, want in sorted(truth.items()):
        if want not in visible.get(tp, set()):
            problems.append("%s: a read_committed consumer got %d records; the audit checked %s" %
                            (tp, want, sorted(visible.get(tp, set()))))
    return problems


def scenario_truth(path):
    with open(os.path.join(path, "truth.json")) as f:
        t = json.load(f)
    counts, dups, txns = {}, [], []
    for tp, part in t["partitions"].items():
        counts[tp] = part["records_visible_read_committed"]
        dups += part.get("delivery_duplicates") or []
        txns += part.get("open_transactions") or []
    return t["verdict"], counts, dups, txns


def main(argv):
    passed = failed = 0
    if not os.path.isdir(LAB):
        print("  FAIL lab: %s is missing" % LAB)
        print("kt: 0 passed, 1 failed")
        return 1
    cases = []
    for name in sorted(os.listdir(LAB)):
        path = os.path.join(LAB, name)
        if os.path.exists(os.path.join(path, "truth.json")):
            cases.append((name, broker_dirs(path), path))
    cases.append(("single", [os.path.join(LAB, "single", "broker0-data")], None))
    for state in ("before-old-leader-restart", "final"):
        cases.append(("repl/" + state, broker_dirs(os.path.join(LAB, "repl", state)), None))
    for name, dirs, truth_dir in cases:
        if argv[1:] and not any(w in name for w in argv[1:]):
            continue
        problems = []
        try:
            reports = [(os.path.basename(d), audit(d)) for d in dirs]
            if not reports:
                problems.append("no broker data directory")
            if truth_dir:
                verdict, counts, dups, txns = scenario_truth(truth_dir)
                if dups or txns:
                    problems.append("truth.json lists delivery duplicates or open transactions: this test "
                                    "expects none and must learn to match them")
                problems += check_reports(reports, counts, verdict == "benign")
            elif name == "single":
                with open(os.path.join(LAB, "single", "producer-output.txt")) as f:
                    m = re.search(r"consume audit-single read_committed: count per partition \{0=(\d+), 1=(\d+)\}",
                                  f.read())
                counts = {"audit-single-0": int(m.group(1)), "audit-single-1": int(m.group(2))}
                problems += check_reports(reports, counts, True)
            else:
                problems += check_reports(reports, {}, False)
        except (ValueError, OSError, subprocess.TimeoutExpired) as err:
            problems.append(str(err))
        if problems:
            failed += 1
            for p in problems[:8]:
                print("  FAIL %s: %s" % (name, p))
        else:
            passed += 1
    if passed + failed == 0:
        print("  FAIL lab: no scenario found")
        failed = 1
    print("kt: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
