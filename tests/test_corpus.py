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
    code "foreign" and a message saying it is not Kafka's format, and no batch;
  * the oracle's cache (build/oracle-cache/, see tests/oracle.py): for a
    sample of the files decoded above (every CACHE_SAMPLE_EVERY-th, in path
    order), what decode_file() gives through the cache is exactly what a
    fresh decode gives (every counter, batch row and record line).

kaudit runs once per corpus folder and kind of input (partition
directories, KRaft snapshots, Redpanda directories, Redpanda files), with
every input of that folder on one command line, and its output is split back
per input by the paths it prints (Dumps): a process per input cost 1,189
starts, 80 ms each under AddressSanitizer, most of the suite's time. Each
input is still compared alone; a dump of several inputs is the dump of each
in turn.

A case's verdict is kept in the oracle's cache (tests/oracle.py), keyed by
the bytes kaudit printed for its folder, the bytes of its input files and
this code: the plain and the ASan run print the same bytes, so whichever
comes second still runs its kaudit but not the comparison (KT_NO_CACHE=1:
every comparison is made).

Output: "  FAIL <case>: <reason>" lines on stderr, exactly one line
"kt: N passed, M failed" on stdout (one case per directory or file); exit 1
if any case failed. With -v, the oracle's totals per corpus folder are printed
first.
"""

import hashlib
import os
import re
import sys

sys.dont_write_bytecode = True   # leave no __pycache__ in the work tree

import oracle
from test_fixtures import Case, CaseFailed, Harness, file_key, group_by_file, kaudit_bytes, \
    kaudit_problem, parse_objects, run_kaudit_raw, short

THIS_FILE = os.path.abspath(__file__)
FIXTURES_FILE = os.path.join(os.path.dirname(THIS_FILE), "test_fixtures.py")
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
CACHE_SAMPLE_EVERY = 40


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

class Dumps(object):
    """`kaudit dump --format jsonl --records` of many inputs (paths relative
    to the corpus), one process per corpus folder, split back per input: an
    object belongs to the input its "file" is, or the directory it lies in.
    The folder being worked on is kept (its output parsed only when a case
    needs the objects); the previous one is dropped."""

    def __init__(self, rels):
        self.by_folder = {}
        for rel in rels:
            self.by_folder.setdefault(rel.split(os.sep)[0], []).append(rel)
        self.folder = None

    def _run(self, rel):
        folder = rel.split(os.sep)[0]
        if folder == self.folder:
            return
        self.folder, self.rels = folder, self.by_folder.get(folder, [rel])
        self.stdout, self.split, self.failure = b"", None, None
        try:
            self.stdout, _status = run_kaudit_raw([kaudit_arg(r) for r in self.rels])
        except CaseFailed as err:
            self.failure = str(err)
        self.digest = hashlib.sha256(self.stdout).hexdigest()

    def digest_for(self, rel):
        """What kaudit printed for rel's folder, as a SHA-256."""
        self._run(rel)
        if self.failure:
            raise CaseFailed("kaudit on %s: %s" % (self.folder, self.failure))
        return self.digest

    def objects(self, rel):
        self._run(rel)
        if self.split is None and not self.failure:
            self.split = {}
            mine = {os.path.normpath(kaudit_arg(r)): r for r in self.rels}
            try:
                objects = parse_objects(self.stdout)
            except CaseFailed as err:
                self.failure, objects = str(err), []
            for obj in objects:
                path = os.path.normpath(obj.get("file") or "")
                owner = mine.get(path) or mine.get(os.path.dirname(path))
                if owner is None:
                    self.failure = "an object of no input given: %s" % short(obj)
                    continue
                self.split.setdefault(owner, []).append(obj)
        if self.failure:
            raise CaseFailed("kaudit on %s: %s" % (self.folder, self.failure))
        return self.split.get(rel, [])


def input_digests(rel):
    """SHA-256 of each file an input holds (the input itself when a file)."""
    path = os.path.join(CORPUS, rel)
    if not os.path.isdir(path):
        return [oracle.sha256_file(path)] if os.path.isfile(path) else ["missing"]
    return ["%s %s" % (n, oracle.sha256_file(os.path.join(path, n))) for n in sorted(os.listdir(path))
            if os.path.isfile(os.path.join(path, n))]


def verdict(case, fn, rel, dumps):
    """fn(case, rel, dumps), or its verdict on the same bytes from the cache."""
    inputs = [fn.__name__, rel, dumps.digest_for(rel)] + input_digests(rel)

    def compute():
        c = Case(case.name)
        try:
            fn(c, rel, dumps)
        except CaseFailed as err:
            c.fail(str(err))
        except Exception as err:    # a bug in the test or unexpected output shape
            c.fail("%s: %s" % (type(err).__name__, err))
        return c.checks, c.failures

    checks, failures = oracle.cached("corpus_case", inputs, compute, code=[THIS_FILE, FIXTURES_FILE])
    case.checks += checks
    case.failures.extend(failures)


def kafka_dir_case(case, rel, dumps):
    abs_dir = os.path.join(CORPUS, rel)
    if not case.check(os.path.isdir(abs_dir), "%s listed in MANIFEST.tsv is missing" % rel):
        return
    stats = [oracle.decode_file(p) for p in oracle.segment_files(abs_dir)]
    objects = dumps.objects(rel)
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


def snapshot_case(case, rel, dumps):
    stats = oracle.decode_file(os.path.join(CORPUS, rel))
    objects = dumps.objects(rel)
    files, errors = group_by_file(objects)
    key = file_key(rel)
    for other in sorted(set(files) - {key}):
        case.fail("batches reported for another file %s" % other)
    compare_file(case, key, files.get(key, []), errors_by_file(errors).get(key, []), stats)


def redpanda_case(case, rel, dumps):
    objects = dumps.objects(rel)
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


def oracle_cache_case(case, paths):
    """decode_file() through the cache gives what a fresh decode gives."""
    sample = sorted(paths)[::CACHE_SAMPLE_EVERY]
    case.check(len(sample) > 0, "no file to compare")
    for path in sample:
        with open(path, "rb") as f:
            data = f.read()
        fresh = oracle.decode_bytes(data, path)
        got = oracle.decode_file(path)
        want_state, got_state = oracle.stats_state(fresh), oracle.stats_state(got)
        diff = sorted(k for k in set(want_state) | set(got_state) if want_state.get(k) != got_state.get(k))
        case.check(not diff and got.as_dict() == fresh.as_dict() and got.path == fresh.path,
                   "%s: decode_file() %s differs from a fresh decode in %s"
                   % (os.path.relpath(path, CORPUS), "(cached)" if oracle.cache_enabled() else "(no cache)",
                      ", ".join(diff) or "as_dict()/path"))


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
    for fn, group in ((kafka_dir_case, kafka_dirs), (snapshot_case, snapshots), (redpanda_case, redpanda_dirs),
                      (redpanda_case, redpanda_logs)):
        dumps = Dumps(group)
        for rel in group:
            harness.run(rel, verdict, fn, rel, dumps)
    decoded = [p for rel in kafka_dirs for p in oracle.segment_files(os.path.join(CORPUS, rel))
               if os.path.isdir(os.path.join(CORPUS, rel))] + [os.path.join(CORPUS, rel) for rel in snapshots]
    if decoded:
        harness.run("oracle cache", oracle_cache_case, decoded)
    return harness.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
