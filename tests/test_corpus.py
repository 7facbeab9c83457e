#!/usr/bin/python3
"""test_corpus.py - kaudit on real broker data, checked against the kafka-python oracle.

Run from the repository root:

    /usr/bin/python3 tests/test_corpus.py [-v] [SUBSTRING...]   # uses ./kaudit, or $KAUDIT

SUBSTRINGs restrict the run to cases whose name (path below the corpus)
contains one of them.

The corpus is read-only reference data at ../shared/corpus (relative to the
repository root; see its README.md and MANIFEST.tsv). Test cases:

  * every Kafka partition directory listed in MANIFEST.tsv: kaudit dump
    --format jsonl --records DIR, compared per segment file with
    tests/oracle.py (kafka-python): batches, data_records, control_records,
    producer_ids, last_sequence per producer id, crc_invalid, first/last
    offset, every batch's header fields and every record (offset, timestamp,
    key, value, headers, control type), errors only where the oracle found a
    problem, and the directory totals;
  * every KRaft snapshot (<offset>-<epoch>.checkpoint, bootstrap.checkpoint):
    the same comparison for the single file;
  * the Redpanda folders (not Kafka's format): for each of their partition
    directories and each of their .log files, exactly one "error" object with
    code "foreign" and a message saying it is not Kafka's format, and no batch.

Output: "  FAIL <case>: <reason>" lines on stderr, exactly one line
"kt: N passed, M failed" on stdout (one case per directory or file); exit 1
if any case failed. With -v, the oracle's totals per corpus folder are printed
first.
"""

import os
import re
import sys

sys.dont_write_bytecode = True   # leave no __pycache__ in the work tree

import oracle
from test_fixtures import CaseFailed, Harness, file_key, group_by_file, kaudit_bytes, \
    kaudit_problem, run_kaudit, short

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS_REL = os.path.join("..", "shared", "corpus")          # relative to the repo root
CORPUS = os.path.normpath(os.path.join(REPO, CORPUS_REL))
REDPANDA_FOLDERS = ("langley232__video_ingestion", "luisfelipebp__olist-analytics")
KRAFT_SNAPSHOT_RE = re.compile(r"^(\d{20}-\d{10}|bootstrap)\.checkpoint$")
NOT_KAFKA_RE = re.compile(r"\bnot\b.*\bkafka", re.IGNORECASE)
# A partition directory: <topic>-<partition>, split on the last '-', with the
# broker's optional suffixes (formats doc 1.1). Log-directory roots also appear
# in MANIFEST.tsv (some noted "no-batches"); this tells them apart.
PARTITION_DIR_RE = re.compile(r"^.+-\d+(\.[0-9a-f]+-delete|-future|-stray)?$")
ROW_DIFFS_SHOWN = 3


# ---------------------------------------------------------------------------
# Finding the inputs
# ---------------------------------------------------------------------------

def manifest_rows():
    """MANIFEST.tsv as dicts (repo, commit, original_path, file_count, total_bytes, notes)."""
    with open(os.path.join(CORPUS, "MANIFEST.tsv"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:] if line.strip()]


def corpus_inputs():
    """(kafka partition dirs, KRaft snapshot files, Redpanda dirs, Redpanda .log files),
    each as paths relative to the corpus root."""
    kafka_dirs, redpanda_dirs = [], []
    for row in manifest_rows():
        folder = row["repo"].replace("/", "__")
        rel = os.path.join(folder, row["original_path"])
        notes = row["notes"]
        if folder in REDPANDA_FOLDERS:
            if notes.startswith("redpanda:"):
                redpanda_dirs.append(rel)
        elif (notes.startswith("magic=") or notes.startswith("no-batches")) \
                and PARTITION_DIR_RE.match(os.path.basename(row["original_path"])):
            kafka_dirs.append(rel)        # a partition directory (not a log dir, not client fixtures)
    snapshots, redpanda_logs = [], []
    for dirpath, dirnames, filenames in os.walk(CORPUS):
        dirnames.sort()
        top = os.path.relpath(dirpath, CORPUS).split(os.sep)[0]
        for name in sorted(filenames):
            rel = os.path.relpath(os.path.join(dirpath, name), CORPUS)
            if top in REDPANDA_FOLDERS:
                if name.endswith(".log"):
                    redpanda_logs.append(rel)
            elif KRAFT_SNAPSHOT_RE.match(name):
                snapshots.append(rel)
    return kafka_dirs, snapshots, redpanda_dirs, redpanda_logs


def kaudit_arg(rel):
    """The path handed to kaudit: relative to the repo root (its working directory)."""
    return os.path.join(CORPUS_REL, rel)


# ---------------------------------------------------------------------------
# kaudit's output, summarised like the oracle
# ---------------------------------------------------------------------------

def kaudit_record_line(rec):
    """The oracle's canonical line for one kaudit record object."""
    if "control_type" in rec:
        return oracle.record_digest_line(rec["offset"], rec["timestamp"], None, None, None,
                                         control_type=rec["control_type"])
    headers = [(h["key"], kaudit_bytes(h["value"])) for h in rec["headers"]]
    return oracle.record_digest_line(rec["offset"], rec["timestamp"], kaudit_bytes(rec["key"]),
                                     kaudit_bytes(rec["value"]), headers)


def kaudit_summary(entries):
    """Totals over [(batch, [records])] in the oracle's terms."""
    out = {"batches": len(entries), "data_records": 0, "control_records": 0,
           "crc_invalid": 0, "first_offset": None, "last_offset": None}
    pids, last_seq = set(), {}
    for batch, records in entries:
        if batch["is_control"]:
            out["control_records"] += len(records)
        else:
            out["data_records"] += len(records)
        if not batch["crc_valid"]:
            out["crc_invalid"] += 1
        if out["first_offset"] is None or batch["base_offset"] < out["first_offset"]:
            out["first_offset"] = batch["base_offset"]
        if out["last_offset"] is None or batch["last_offset"] > out["last_offset"]:
            out["last_offset"] = batch["last_offset"]
        pid = batch["producer_id"]
        if batch["magic"] == 2 and pid >= 0:
            pids.add(pid)
            prev = last_seq.get(pid)
            if not batch["is_control"] and (prev is None or batch["last_offset"] >= prev[0]):
                last_seq[pid] = (batch["last_offset"], batch["last_sequence"])
    out["producer_ids"] = sorted(pids)
    out["last_sequence"] = {str(pid): seq for pid, (_, seq) in sorted(last_seq.items())}
    return out


SUMMARY_KEYS = ("batches", "data_records", "control_records", "producer_ids", "last_sequence",
                "crc_invalid", "first_offset", "last_offset")


def compare_summary(case, where, got, want):
    for key in SUMMARY_KEYS:
        case.eq("%s %s" % (where, key), got[key], want[key])


def compare_rows(case, where, got_rows, want_rows, describe):
    """Compare two lists item by item; report the count and the first few differences."""
    case.eq(where + " count", len(got_rows), len(want_rows))
    diffs = [i for i, (g, w) in enumerate(zip(got_rows, want_rows)) if g != w]
    case.checks += 1
    for i in diffs[:ROW_DIFFS_SHOWN]:
        case.failures.append("%s %d differs: %s" % (where, i, describe(got_rows[i], want_rows[i])))
    if len(diffs) > ROW_DIFFS_SHOWN:
        case.failures.append("%s: %d differing in total" % (where, len(diffs)))


def describe_batch_diff(got, want):
    return ", ".join("%s got %s want %s" % (k, short(got.get(k)), short(want[k]))
                     for k in oracle.BATCH_KEYS if got.get(k) != want[k])


def describe_line_diff(got, want):
    return "got %s, want %s" % (short(got, 200), short(want, 200))


def compare_file(case, key, entries, errors, stats):
    """One segment/snapshot file: kaudit's entries and errors against oracle FileStats."""
    want = stats.as_dict()
    compare_summary(case, key, kaudit_summary(entries), want)
    got_rows = [{k: batch.get(k) for k in oracle.BATCH_KEYS} for batch, _ in entries]
    compare_rows(case, key + " batch", got_rows, stats.batch_rows, describe_batch_diff)
    got_lines = []
    for batch, records in entries:
        for rec in records:
            try:
                got_lines.append(kaudit_record_line(rec))
            except (KeyError, ValueError, TypeError) as err:
                raise CaseFailed("%s: malformed record object %s (%s)" % (key, short(rec), err))
    compare_rows(case, key + " record", got_lines, stats.record_lines, describe_line_diff)
    oracle_clean = not (want["error"] or want["record_errors"] or want["trailing_bytes"]
                        or want["crc_invalid"])
    if oracle_clean:
        for err in errors[:3]:
            case.fail("%s: error on data kafka-python reads cleanly: %s" % (key, short(err, 300)))
        case.checks += 1
    else:
        case.check(bool(errors), "%s: kafka-python found a problem (%s) but kaudit reports no error"
                   % (key, short({k: want[k] for k in ("error", "record_errors", "trailing_bytes",
                                                        "crc_invalid")})))


def errors_by_file(errors):
    out = {}
    for err in errors:
        out.setdefault(file_key(err.get("file") or ""), []).append(err)
    return out


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

def kafka_dir_case(case, rel):
    abs_dir = os.path.join(CORPUS, rel)
    if not case.check(os.path.isdir(abs_dir), "%s listed in MANIFEST.tsv is missing" % rel):
        return
    stats = [oracle.decode_file(p) for p in oracle.segment_files(abs_dir)]
    objects, _status = run_kaudit(kaudit_arg(rel))
    files, errors = group_by_file(objects)
    errs = errors_by_file(errors)
    seen = set()
    for st in stats:
        key = file_key(st.path)
        seen.add(key)
        compare_file(case, key, files.get(key, []), errs.get(key, []), st)
    for key in sorted(set(files) - seen):
        name = key.split("/", 1)[1]
        if KRAFT_SNAPSHOT_RE.match(name) and os.path.isfile(os.path.join(abs_dir, name)):
            # kaudit may dump a partition's KRaft snapshots too; they must then be right.
            compare_file(case, key, files[key], errs.get(key, []),
                         oracle.decode_file(os.path.join(abs_dir, name)))
        else:
            case.fail("batches reported for %s, which is not a segment of %s" % (key, rel))
    # Directory totals over the segments.
    total = oracle.merge_totals(abs_dir, stats).as_dict()
    entries = [e for st in stats for e in files.get(file_key(st.path), [])]
    compare_summary(case, "directory", kaudit_summary(entries), total)


def snapshot_case(case, rel):
    stats = oracle.decode_file(os.path.join(CORPUS, rel))
    objects, _status = run_kaudit(kaudit_arg(rel))
    files, errors = group_by_file(objects)
    key = file_key(rel)
    for other in sorted(set(files) - {key}):
        case.fail("batches reported for another file %s" % other)
    compare_file(case, key, files.get(key, []), errors_by_file(errors).get(key, []), stats)


def redpanda_case(case, rel):
    objects, _status = run_kaudit(kaudit_arg(rel))
    errors = [o for o in objects if o.get("type") == "error"]
    batches = [o for o in objects if o.get("type") in ("batch", "record")]
    case.eq("number of error objects", len(errors), 1)
    case.eq("batch and record objects", len(batches), 0)
    if errors:
        err = errors[0]
        case.eq("error code", err.get("code"), "foreign")
        message = err.get("message") or ""
        case.check(bool(NOT_KAFKA_RE.search(message)),
                   "message does not say this is not Kafka's format: %s" % short(message))


# ---------------------------------------------------------------------------

def print_corpus_totals(kafka_dirs, snapshots):
    """-v: the oracle's view of the corpus, per top-level folder."""
    totals = {}
    for rel, is_dir in [(d, True) for d in kafka_dirs] + [(s, False) for s in snapshots]:
        top = rel.split(os.sep)[0]
        t = totals.setdefault(top, [0, 0, 0, 0, 0])
        res = oracle.decode_path(os.path.join(CORPUS, rel))
        t[0 if is_dir else 1] += 1
        t[2] += res["batches"]
        t[3] += res["data_records"]
        t[4] += res["control_records"]
    print("%-66s %5s %5s %8s %8s %7s" % ("corpus folder", "dirs", "ckpt", "batches", "data", "control"))
    for top in sorted(totals):
        print("%-66s %5d %5d %8d %8d %7d" % ((top,) + tuple(totals[top])))


def main(argv):
    os.chdir(REPO)
    harness = Harness()
    if not os.path.isfile(os.path.join(CORPUS, "MANIFEST.tsv")):
        harness.run("corpus", lambda case: case.fail("no corpus at %s (MANIFEST.tsv missing)" % CORPUS))
        return harness.done()
    problem = kaudit_problem()
    if problem:
        sys.stderr.write("  FAIL kaudit: %s\n" % problem)
    kafka_dirs, snapshots, redpanda_dirs, redpanda_logs = corpus_inputs()
    if not kafka_dirs or not redpanda_dirs:
        harness.run("corpus", lambda case: case.fail("MANIFEST.tsv lists no Kafka or no Redpanda directory"))
    wanted = [a for a in argv[1:] if a != "-v"]
    if wanted:
        def keep(names):
            return [n for n in names if any(w in n for w in wanted)]
        kafka_dirs, snapshots = keep(kafka_dirs), keep(snapshots)
        redpanda_dirs, redpanda_logs = keep(redpanda_dirs), keep(redpanda_logs)
    if "-v" in argv:
        print_corpus_totals(kafka_dirs, snapshots)
    for rel in kafka_dirs:
        harness.run(rel, kafka_dir_case, rel)
    for rel in snapshots:
        harness.run(rel, snapshot_case, rel)
    for rel in redpanda_dirs + redpanda_logs:
        harness.run(rel, redpanda_case, rel)
    return harness.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
