#!/usr/bin/python3
"""test_corpus_audit.py - `kaudit audit` on the real broker data of ../shared/corpus,
checked partition by partition against kafka-python (tests/oracle.py), an
independent decoder.

For every Kafka partition directory (a folder holding 20-digit .log files,
Redpanda folders excluded) the audit report must show:
  * the batches, data records and control records kafka-python counts;
  * for every producer id, the last sequence of its last data batch;
  * as many duplicate records (the partition's duplicate tally: the records
    of every duplicate finding, kept as an example or not) as kafka-python
    finds: the visible data records minus the distinct
    (key, value) pairs among them, where records of aborted transactions, of
    transactions never committed, and records below the log start offset of
    the log directory's log-start-offset-checkpoint are not visible;
  * no duplicate warning in a topic where repetition is normal (internal,
    Schema Registry, Confluent, Connect, Streams changelog and repartition
    topics): every repeat there is counted as repeated_content, info;
  * exactly the duplicate warnings of DELIVERY_DUPLICATES, the content
    repeats of this data that are evidence of a resend (docs/corpus-triage.md
    gives each): TEST-TOPIC-0's two replays of a test script as two runs,
    foo-0's replay of a script's 99 records, and three hand-typed messages
    sent again in topics whose content is otherwise unique. Content that
    repeats by nature (test0-*) is info;
  * no finding of any other type at warning or error severity: an
    independent look at this data (kafka-python's counts above, the
    MANIFEST notes, and helper decoders) finds no sequence, epoch,
    transaction or integrity problem in it;
  * every partition directory of the corpus audited alone (not with its log
    directory) gets no warning or error but its delivery duplicates: it
    takes the checkpoints of the folder it sits in (the ksql repartition
    topics whose log start DeleteRecords moved).

The reports keep 1,000 examples per finding type and severity: every
warning and error, and enough of the ~100,000 informational repeats of this
corpus (all of them made the reports 157 MB, and the suite's run under
AddressSanitizer four times slower) for the spilled and the in-memory report
to be compared example by example, besides every count and tally.

One case per partition directory; ends with "kt: N passed, M failed".
Run from the repository root; KAUDIT names the binary (default ./kaudit).
"""
import collections
import json
import os
import re
import subprocess
import sys

THIS_FILE = os.path.abspath(__file__)        # part of the cache key of independent_view()
HERE = os.path.dirname(THIS_FILE)
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import oracle  # noqa: E402
from test_audit import must_spill  # noqa: E402

CORPUS = os.path.join(REPO, "..", "shared", "corpus")
EXAMPLES = "1000"     # examples kept per finding type and severity (module doc)
PARTITION_RE = re.compile(r"^(.+)-(\d+)$")

# The delivery duplicates of the corpus: partition directory (relative to the
# corpus) -> {(offset, count, original_offset, class)}. Found by reading the
# records (docs/corpus-triage.md): the first copies of TEST-TOPIC-0 are v1
# messages without timestamps, 0..8999 sent again as 9000..17999 (2016-11-18
# 08:12) and 0..3210 a third time as 18000..21210 (08:19; nearest earlier
# copies 9000..12210); foo-0's script sent xpx1..xpx99 at 08:39:27 and again
# at 08:41:39 (105..203 repeat 4..102; the four records typed by hand there do
# not make its content repeat by nature); the others are single messages
# typed again by hand in small topics whose other content is unique.
DELIVERY_DUPLICATES = {
    "xpxwo100__bullShit/tmp/kafka-logs/TEST-TOPIC-0": {(9000, 9000, 0, "application_resend"),
                                                       (18000, 3211, 9000, "application_resend")},
    "xpxwo100__bullShit/tmp/kafka-logs/foo-0": {(105, 99, 4, "application_resend")},
    "anchor123__kafka/tmp/kafka-logs/test-0": {(3, 1, 0, "application_resend"), (7, 1, 6, "application_resend")},
    "DanielMorales9__kafkafun/data/kafka/first-0": {(8, 1, 7, "application_resend")},
}


def consumer_regressions():
    """The consumer offset regressions the lab's clients made (truth.json of
    each kafka-2.1.1-lab scenario: group, topic-partition, from and to, as the
    clients committed them): the scenario's folder (relative to the corpus)
    -> {(group, topic, partition, from, to)}, found in whichever of its
    __consumer_offsets partitions holds the group."""
    out = collections.defaultdict(set)
    lab = os.path.join(CORPUS, "kafka-2.1.1-lab")
    for scenario in sorted(os.listdir(lab)) if os.path.isdir(lab) else []:
        try:
            truth = json.load(open(os.path.join(lab, scenario, "truth.json")))
        except (OSError, ValueError):
            continue
        want = set()
        for p in truth.get("partitions", {}).values():
            for x in p.get("consumer_offset_regressions", []):
                topic, part = x["topic_partition"].rsplit("-", 1)
                want.add((x["group"], topic, int(part), x["from"], x["to"]))
        if want:
            out[os.path.join("kafka-2.1.1-lab", scenario)] = want
    return out


def scenario_of(rel):
    """The lab scenario folder holding a path relative to the corpus, or the path."""
    parts = rel.split(os.sep)
    return os.path.join(*parts[:2]) if parts[0] == "kafka-2.1.1-lab" and len(parts) > 1 else rel


CONSUMER_REGRESSIONS = consumer_regressions()

# The lab's scenarios whose brokers' copies forked (README: an unclean leader
# election in repl/ and unclean-loss/; repl/ also holds broker 1 before and
# after it truncated): replica_divergence findings there and nowhere else.
REPLICA_FORKS = {os.path.join("kafka-2.1.1-lab", "repl"), os.path.join("kafka-2.1.1-lab", "unclean-loss")}


def consumer_key(f):
    return (f["group"], f["consumed_topic"], f["consumed_partition"], f["from_offset"], f["to_offset"])


def partition_dirs():
    """Kafka partition folders of the corpus: named <topic>-<n>, holding segments."""
    out = []
    for dirpath, dirnames, _files in os.walk(CORPUS):
        dirnames.sort()
        if "redpanda" in dirpath.split(os.sep):
            continue
        name = os.path.basename(dirpath)
        if PARTITION_RE.match(name) and oracle.segment_files(dirpath):
            out.append(dirpath)
    return out


def log_start(path):
    """The partition's log start offset from log-start-offset-checkpoint in the folder
    it sits in (text: version, count, then "topic partition offset" lines), or -1."""
    m = PARTITION_RE.match(os.path.basename(path))
    ckpt = os.path.join(os.path.dirname(path), "log-start-offset-checkpoint")
    try:
        with open(ckpt) as f:
            lines = f.read().split("\n")
    except OSError:
        return -1
    for line in lines[2:]:
        parts = line.split()
        if len(parts) == 3 and parts[0] == m.group(1) and parts[1] == m.group(2):
            return int(parts[2])
    return -1


def independent_view(path):
    """What kafka-python sees in a partition folder, through the oracle's cache
    (build/oracle-cache/, tests/oracle.py): keyed by everything it reads (the
    folder's path, its segments' names and bytes, the log start offset) and
    by the code (this file and oracle.py); KT_NO_CACHE=1 computes it afresh."""
    inputs = [path, str(log_start(path))]
    inputs += ["%s %s" % (os.path.basename(p), oracle.sha256_file(p)) for p in oracle.segment_files(path)]
    return oracle.cached("corpus_audit_view", inputs, lambda: compute_view(path), code=[THIS_FILE])


def compute_view(path):
    """What kafka-python sees in a partition folder."""
    topic = PARTITION_RE.match(os.path.basename(path)).group(1)
    start = log_start(path)
    files = [oracle.decode_file(p) for p in oracle.segment_files(path)]
    total = oracle.merge_totals(path, files)
    visible = []            # (key hex, value hex) of visible data records
    pending = collections.defaultdict(list)
    for st in files:
        rows = st.batch_rows
        bi = 0
        for line in st.record_lines:
            rec = json.loads(line)
            offset = rec[0]
            while bi < len(rows) and rows[bi]["last_offset"] < offset:
                bi += 1
            batch = rows[bi]
            pid = batch["producer_id"]
            if rec[2] == "control":
                kind = rec[3]
                if kind == "COMMIT":
                    visible.extend(pending.pop(pid, []))
                elif kind == "ABORT":
                    pending.pop(pid, None)
                continue
            kv = (rec[2], rec[3])
            if offset < start:
                continue          # gone for every reader: never a duplicate nor an original
            if batch["is_transactional"] and pid >= 0:
                pending[pid].append(kv)
            else:
                visible.append(kv)
    dups = len(visible) - len(set(visible))
    last_seq = {pid: seq for pid, (_off, seq) in total.last_seq.items()}
    return {"batches": total.batches, "records": total.data_records,
            "control_records": total.control_records, "duplicates": dups, "distinct": len(set(visible)),
            "data_batches": sum(1 for st in files for row in st.batch_rows if not row["is_control"]),
            "last_sequence": last_seq, "error": total.error,
            "record_errors": total.record_errors}


def main(argv):
    os.chdir(REPO)
    kaudit = os.environ.get("KAUDIT", "./kaudit")
    passed = failed = 0
    if not os.path.isdir(CORPUS):
        print("  FAIL corpus: %s is missing" % CORPUS)
        print("kt: 0 passed, 1 failed")
        return 1
    proc = subprocess.run([kaudit, "audit", "--format", "json", "--max-examples", EXAMPLES, "--fail-on", "none",
                           CORPUS], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        print("  FAIL audit: no JSON report (exit %d): %s" % (proc.returncode, proc.stderr[-300:]))
        print("kt: 0 passed, 1 failed")
        return 1
    parts = {os.path.normpath(p["path"]): p for p in report["partitions"]}
    serious = report["summary"]["findings_by_severity"]
    kept = sum(1 for f in report["findings"] if f["severity"] in ("warning", "error"))
    if kept == serious["warning"] + serious["error"]:
        passed += 1
    else:
        failed += 1
        print("  FAIL examples: %d warnings and errors kept of %d" % (kept, serious["warning"] + serious["error"]))

    # Again with 384 KiB for the duplicate index and the batch table
    # (--max-memory 1M, one job; its decompression share, 192 KiB, holds
    # every batch of the corpus): the partitions that do not fit
    # (test_audit.must_spill) are audited in two passes with a spill to disk
    # (issue 5). The report must be the same to the byte.
    spill = subprocess.run([kaudit, "audit", "--format", "json", "--max-examples", EXAMPLES, "--fail-on", "none",
                            "--jobs", "1", "--max-memory", "1M", CORPUS], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    spilled = set()
    for line in spill.stderr.decode("utf-8", "replace").splitlines():
        m = re.match(r"kaudit: (.*): the duplicate index and the producers' state need more than", line)
        if m:
            spilled.add(os.path.normpath(m.group(1)))
    try:
        spilled_report = json.loads(spill.stdout)
        spilled_report["generated_at"] = report.get("generated_at")
        same = spilled_report == report
    except ValueError:
        same = False
    if same and spilled:
        passed += 1
    else:
        failed += 1
        print("  FAIL spill: the report with --max-memory 1M %s (%d partitions spilled)"
              % ("is the same" if same else "differs", len(spilled)))
    dup_records = collections.Counter()
    for key, p in parts.items():
        dup_records[key] = sum(t["records"] for t in p["duplicates"].values())
    others = collections.defaultdict(list)
    delivery = collections.defaultdict(set)
    consumers = collections.defaultdict(set)
    forks, behind = set(), set()
    for f in report["findings"]:
        key = os.path.normpath(f["path"])
        if f["type"] == "consumer_offset_regression":
            consumers[scenario_of(os.path.relpath(key, os.path.normpath(CORPUS)))].add(consumer_key(f))
        elif f["type"] == "replica_divergence":
            forks.add(scenario_of(os.path.relpath(key, os.path.normpath(CORPUS))))
        elif f["type"] == "replica_behind":
            behind.add(scenario_of(os.path.relpath(key, os.path.normpath(CORPUS))))
        elif f["type"] == "duplicate":
            if f.get("rule") and f["severity"] != "info":
                others[key].append("duplicate warning in a %s topic at %d" % (f["rule"], f["offset"]))
            elif f["severity"] != "info":
                delivery[key].add((f["offset"], f["count"], f["original_offset"], f["class"]))
        elif f["severity"] in ("warning", "error"):
            others[key].append("%s at %d: %s" % (f["type"], f["offset"], f["message"]))
    wanted = argv[1:]
    for path in partition_dirs():
        rel = os.path.relpath(path, CORPUS)
        if wanted and not any(w in rel for w in wanted):
            continue
        problems = []
        mine = parts.get(os.path.normpath(path))
        if mine is None:
            problems.append("not in the audit report")
        else:
            want = independent_view(path)
            if want["error"] or want["record_errors"]:
                problems.append("kafka-python cannot decode it: %s" % (want["error"] or want["record_errors"][0]))
            for k in ("batches", "records", "control_records"):
                if mine[k] != want[k]:
                    problems.append("%s: kaudit %d, kafka-python %d" % (k, mine[k], want[k]))
            got_seq = {p["producer_id"]: p["last_sequence"] for p in mine["producers"]}
            if got_seq != want["last_sequence"]:
                problems.append("last sequences: kaudit %s, kafka-python %s" % (got_seq, want["last_sequence"]))
            if dup_records[os.path.normpath(path)] != want["duplicates"]:
                problems.append("duplicate records: kaudit %d, kafka-python %d"
                                % (dup_records[os.path.normpath(path)], want["duplicates"]))
            must = must_spill(want["distinct"], want["data_batches"], 384)
            if must is not None and (os.path.normpath(path) in spilled) != must:
                problems.append("%s with --max-memory 1M though kafka-python counts %d distinct visible records "
                                "in %d data batches" % ("spilled" if os.path.normpath(path) in spilled else "not spilled",
                                                         want["distinct"], want["data_batches"]))
            for o in others[os.path.normpath(path)]:
                problems.append("unexpected finding: " + o)

            want_dups = DELIVERY_DUPLICATES.get(rel, set())
            got_dups = delivery[os.path.normpath(path)]
            for d in sorted(got_dups - want_dups):
                problems.append("unexpected delivery duplicate (offset, count, original, class): %s" % (d,))
            for d in sorted(want_dups - got_dups):
                problems.append("delivery duplicate not reported (offset, count, original, class): %s" % (d,))
        if problems:
            failed += 1
            for p in problems[:5]:
                print("  FAIL %s: %s" % (rel, p))
        else:
            passed += 1
    # Consumer groups going back: exactly those the lab's clients made, and
    # none anywhere else in the corpus.
    for where in sorted(set(consumers) | set(CONSUMER_REGRESSIONS)) if not wanted else []:
        if consumers.get(where, set()) == CONSUMER_REGRESSIONS.get(where, set()):
            passed += 1
        else:
            failed += 1
            print("  FAIL consumer offset regressions in %s: %s; the clients made %s"
                  % (where, sorted(consumers.get(where, set())), sorted(CONSUMER_REGRESSIONS.get(where, set()))))
    if not wanted:
        if forks == REPLICA_FORKS:
            passed += 1
        else:
            failed += 1
            print("  FAIL replica divergences in %s; the lab's forks are in %s" % (sorted(forks), sorted(REPLICA_FORKS)))
        # A copy behind another only where one broker's copy is: the lab's
        # repl/ (broker 1 before it caught up). The corpus's many unrelated
        # clusters hold empty partitions of the same names (__consumer_offsets-N):
        # none of them is behind another cluster's copy.
        if behind <= {os.path.join("kafka-2.1.1-lab", "repl")}:
            passed += 1
        else:
            failed += 1
            print("  FAIL replica_behind in %s: copies of unrelated clusters compared" % sorted(behind))
    # Every partition directory given alone (one audit, each path named):
    # the checkpoints of the folder it sits in still apply.
    dirs = [d for d in partition_dirs() if not wanted or any(w in os.path.relpath(d, CORPUS) for w in wanted)]
    alone = subprocess.run([kaudit, "audit", "--format", "json", "--max-examples", EXAMPLES, "--fail-on", "none"] + dirs,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        alone_report = json.loads(alone.stdout)
        wrong = []
        for f in alone_report["findings"]:
            if f["severity"] == "info":
                continue
            rel = os.path.relpath(os.path.normpath(f["path"]), os.path.normpath(CORPUS))
            key = (f["offset"], f.get("count"), f.get("original_offset"), f.get("class"))
            if f["type"] == "consumer_offset_regression" and \
                    consumer_key(f) in CONSUMER_REGRESSIONS.get(scenario_of(rel), set()):
                continue
            if f["type"] == "replica_divergence" and scenario_of(rel) in REPLICA_FORKS:
                continue
            if f["type"] != "duplicate" or key not in DELIVERY_DUPLICATES.get(rel, set()):
                wrong.append("%s: %s at %d: %s" % (rel, f["type"], f["offset"], f["message"]))
        if len(alone_report["partitions"]) != len(dirs):
            wrong.append("%d partitions audited of %d given" % (len(alone_report["partitions"]), len(dirs)))
    except ValueError:
        wrong = ["no JSON report (exit %d): %s" % (alone.returncode, alone.stderr[-300:])]
    if wrong:
        failed += 1
        for w in wrong[:5]:
            print("  FAIL partitions audited alone: %s" % w)
    else:
        passed += 1
    # The text report shows the first ten partition notes and counts the
    # rest (the corpus's folders of many clusters give a note per
    # same-named partition not compared: 1,064 lines before).
    text = subprocess.run([kaudit, "audit", "--fail-on", "none", CORPUS], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE).stdout.decode("utf-8", "replace").splitlines()
    notes = sum(len(p.get("notes", [])) for p in report["partitions"])
    shown = [l for l in text if l.startswith("Note: ")]
    more = [l for l in text if l.startswith("... and ") and "more notes on partitions" in l]
    if notes > 10 and len(shown) == 10 and more == ["... and %d more notes on partitions (see --format json or html)"
                                                     % (notes - 10)]:
        passed += 1
    else:
        failed += 1
        print("  FAIL text report: %d of %d partition notes shown, then %s" % (len(shown), notes, more))
    if passed + failed == 0:
        print("  FAIL corpus: no partition directory found")
        failed = 1
    print("kt: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
