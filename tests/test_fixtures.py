#!/usr/bin/python3
"""test_fixtures.py - kaudit's JSONL dump compared with fixtures/expected/*.json.

Run from the repository root:

    /usr/bin/python3 tests/test_fixtures.py [SUBSTRING...]   # uses ./kaudit, or $KAUDIT

SUBSTRINGs restrict the run to cases whose name contains one of them.

For every good case (fixtures/expected/<case>.json) it runs

    kaudit dump --format jsonl --records <partition dir>

on each partition directory of the case (for the sample also on the whole log
directory) and checks, per segment file, every batch field the expectation
lists and every record: offset, timestamp, sequence, key, value, headers (bytes
and their JSON representation: a string when the bytes are valid UTF-8, else
{"base64": ...}), and control type / coordinator epoch of markers. A good case
must produce no "error" object and exit status 0.

For every corrupt case (fixtures/expected/corrupt/<case>.json) it runs kaudit on
the damaged .log and checks that an error with one of the expected codes is
reported at the broken entry's position, no error anywhere else, and the
number of good batches and records before it and (when reading resumes at the
next batch boundary) after it.

Output: "  FAIL <case>: <reason>" lines on stderr, then exactly one line
"kt: N passed, M failed" on stdout; exit status 1 if any case failed. One case
= one expectation file. A case that compared nothing counts as failed.

The helpers here (Harness, run_kaudit, kaudit_bytes, ...) are shared with
tests/test_corpus.py.
"""

import base64
import functools
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True   # leave no __pycache__ in the work tree

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPECTED_DIR = os.path.join(REPO, "fixtures", "expected")
MAX_FAILS_SHOWN = 8     # per case; the rest is summarised


# ---------------------------------------------------------------------------
# Harness shared with test_corpus.py
# ---------------------------------------------------------------------------

class CaseFailed(Exception):
    """Abort the current case (e.g. kaudit could not run at all)."""


class Case(object):
    """Collects the checks of one test case."""

    def __init__(self, name):
        self.name = name
        self.checks = 0
        self.failures = []

    def fail(self, reason):
        self.checks += 1
        self.failures.append(reason)

    def check(self, condition, reason):
        self.checks += 1
        if not condition:
            self.failures.append(reason)
        return condition

    def eq(self, what, got, want):
        """got == want, with bool/int kept apart (JSON true is not 1)."""
        self.checks += 1
        same = got == want
        if isinstance(got, bool) or isinstance(want, bool):
            same = same and type(got) is type(want)
        if not same:
            self.failures.append("%s: got %s, want %s" % (what, short(got), short(want)))
        return same


def short(value, limit=160):
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


class Harness(object):
    """Runs cases, prints FAIL lines and the final kt: line."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def run(self, name, fn, *args):
        case = Case(name)
        try:
            fn(case, *args)
        except CaseFailed as err:
            case.fail(str(err))
        except Exception as err:    # a bug in the test or unexpected output shape
            case.fail("%s: %s" % (type(err).__name__, err))
        if case.checks == 0:
            case.fail("compared nothing")
        if case.failures:
            self.failed += 1
            for reason in case.failures[:MAX_FAILS_SHOWN]:
                sys.stderr.write("  FAIL %s: %s\n" % (name, reason))
            if len(case.failures) > MAX_FAILS_SHOWN:
                sys.stderr.write("  FAIL %s: ... and %d more differences\n"
                                 % (name, len(case.failures) - MAX_FAILS_SHOWN))
        else:
            self.passed += 1

    def done(self):
        sys.stderr.flush()
        print("kt: %d passed, %d failed" % (self.passed, self.failed))
        sys.stdout.flush()
        return 1 if self.failed else 0


def kaudit_path():
    """$KAUDIT, else ./kaudit; a relative path is taken from the repository root."""
    exe = os.environ.get("KAUDIT", "./kaudit")
    return exe if os.path.isabs(exe) else os.path.normpath(os.path.join(REPO, exe))


def kaudit_problem():
    """A sentence if the kaudit binary cannot be run at all, else None."""
    exe = kaudit_path()
    if not os.path.exists(exe):
        return "kaudit binary %s does not exist (run make, or set KAUDIT)" % exe
    if not os.access(exe, os.X_OK):
        return "kaudit binary %s is not executable" % exe
    return None


def run_kaudit_raw(path, timeout=600):
    """Run `kaudit dump --format jsonl --records PATH` from the repo root
    (PATH: one path, or a list of paths). Returns (stdout bytes, exit
    status); raises CaseFailed when kaudit is missing, crashes or times out."""
    problem = kaudit_problem()
    if problem:
        raise CaseFailed(problem)
    paths = [path] if isinstance(path, str) else list(path)
    cmd = [kaudit_path(), "dump", "--format", "jsonl", "--records"] + paths
    try:
        proc = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CaseFailed("kaudit timed out after %d s on %s" % (timeout, short(" ".join(paths))))
    if proc.returncode < 0:
        raise CaseFailed("kaudit killed by signal %d on %s; stderr: %s"
                         % (-proc.returncode, short(" ".join(paths)), short(proc.stderr.decode("utf-8", "replace"))))
    return proc.stdout, proc.returncode


def parse_objects(stdout):
    """kaudit's JSONL as objects; CaseFailed for a line that is not a JSON
    object with "type"."""
    objects = []
    for number, line in enumerate(stdout.decode("utf-8", "surrogateescape").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            raise CaseFailed("stdout line %d is not JSON: %s" % (number, short(line)))
        if not isinstance(obj, dict) or "type" not in obj:
            raise CaseFailed("stdout line %d has no \"type\": %s" % (number, short(line)))
        objects.append(obj)
    return objects


def run_kaudit(path, timeout=600):
    """run_kaudit_raw, parsed: (objects, exit status)."""
    stdout, status = run_kaudit_raw(path, timeout)
    return parse_objects(stdout), status


def kaudit_bytes(value):
    """kaudit's key/value/header value (null, UTF-8 string or {"base64"}) as bytes."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, dict) and list(value) == ["base64"]:
        return base64.b64decode(value["base64"], validate=True)
    raise ValueError("not a null, string or {\"base64\"} value: %s" % short(value))


def is_utf8(data):
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def check_bytes(case, what, got, want):
    """Compare a kaudit value with expected bytes, including its JSON representation."""
    try:
        got_bytes = kaudit_bytes(got)
    except ValueError as err:
        case.fail("%s: %s" % (what, err))
        return
    if not case.eq(what, None if got_bytes is None else got_bytes.hex(),
                   None if want is None else want.hex()):
        return
    if want is not None:
        want_str = is_utf8(want)
        case.check(isinstance(got, str) == want_str,
                   "%s: %s must be written as %s" % (what, short(got),
                                                      "a JSON string" if want_str else '{"base64": ...}'))


@functools.lru_cache(maxsize=None)     # called for every record object: remember each path
def file_key(path):
    """'<partition dir>/<file>': how a segment is matched whatever path kaudit prints."""
    norm = os.path.normpath(path)
    return "%s/%s" % (os.path.basename(os.path.dirname(norm)), os.path.basename(norm))


def group_by_file(objects):
    """{file_key: [(batch, [records])]} in output order, plus the error objects."""
    files = {}
    errors = []
    current = None
    for obj in objects:
        kind = obj.get("type")
        if kind == "batch":
            current = (obj, [])
            files.setdefault(file_key(obj["file"]), []).append(current)
        elif kind == "record":
            if current is None or file_key(obj["file"]) != file_key(current[0]["file"]) \
                    or obj.get("position") != current[0].get("position"):
                raise CaseFailed("record %s is not after its batch" % short(obj))
            current[1].append(obj)
        elif kind == "error":
            errors.append(obj)
    return files, errors


# ---------------------------------------------------------------------------
# Good cases
# ---------------------------------------------------------------------------

def hex_bytes(obj):
    return None if obj is None else bytes.fromhex(obj["hex"])


def compare_record(case, where, got, want):
    case.eq(where + " offset", got.get("offset"), want["offset"])
    case.eq(where + " timestamp", got.get("timestamp"), want["timestamp"])
    if "control_type" in want:
        case.eq(where + " control_type", got.get("control_type"), want["control_type"])
        case.eq(where + " coordinator_epoch", got.get("coordinator_epoch"), want["coordinator_epoch"])
        return
    case.check("control_type" not in got, "%s: data record reported as control %s"
               % (where, short(got.get("control_type"))))
    case.eq(where + " sequence", got.get("sequence"), want["sequence"])
    for field in ("key", "value"):
        if case.check(field in got, "%s: no \"%s\"" % (where, field)):
            check_bytes(case, "%s %s" % (where, field), got[field], hex_bytes(want[field]))
    headers = got.get("headers")
    if not case.check(isinstance(headers, list), "%s: headers is %s" % (where, short(headers))):
        return
    if not case.eq(where + " header count", len(headers), len(want["headers"])):
        return
    for i, (h, (wkey, wvalue)) in enumerate(zip(headers, want["headers"])):
        case.eq("%s header %d key" % (where, i), h.get("key"), wkey)
        check_bytes(case, "%s header %d value" % (where, i), h.get("value"), hex_bytes(wvalue))


def compare_segment(case, where, got_batches, want_batches):
    """got_batches: [(batch object, [record objects])]; want_batches: expected list."""
    if not case.eq(where + " batch count", len(got_batches), len(want_batches)):
        # Still compare what lines up, so the first real difference is shown.
        pass
    for i, ((batch, records), want) in enumerate(zip(got_batches, want_batches)):
        bwhere = "%s batch %d (position %d)" % (where, i, want["position"])
        for key, value in want.items():
            if key.startswith("_") or key == "records":
                continue
            case.eq("%s %s" % (bwhere, key), batch.get(key), value)
        if case.eq(bwhere + " record count", len(records), len(want["records"])):
            for j, (rec, wrec) in enumerate(zip(records, want["records"])):
                compare_record(case, "%s record %d" % (bwhere, j), rec, wrec)


def compare_partition_run(case, path, partitions):
    """Run kaudit on `path` and compare every segment of `partitions` (expected dicts)."""
    objects, status = run_kaudit(path)
    files, errors = group_by_file(objects)
    case.eq("exit status of kaudit on %s" % path, status, 0)
    for err in errors[:3]:
        case.fail("unexpected error on a good fixture: %s" % short(err, 300))
    wanted = set()
    for part in partitions:
        pdir = os.path.basename(part["dir"])
        for seg in part["segments"]:
            key = "%s/%s" % (pdir, seg["file"])
            wanted.add(key)
            compare_segment(case, key, files.get(key, []), seg["batches"])
    for key in sorted(set(files) - wanted):
        if key.endswith(".log"):
            case.fail("batches reported for unexpected file %s" % key)


def good_case(case, expected):
    for part in expected["partitions"]:
        compare_partition_run(case, part["dir"], [part])
    if "logdir" in expected:
        # The whole log directory at once, as `make sample` runs it.
        compare_partition_run(case, expected["logdir"], expected["partitions"])


# ---------------------------------------------------------------------------
# Corrupt cases
# ---------------------------------------------------------------------------

def corrupt_case(case, expected):
    objects, _status = run_kaudit(expected["file"])
    files, errors = group_by_file(objects)
    err_pos = expected["error"]["position"]
    codes = expected["error"]["codes"]
    at = [e for e in errors if e.get("position") == err_pos]
    elsewhere = [e for e in errors if e.get("position") != err_pos]
    case.check(any(e.get("code") in codes for e in at),
               "no error with code %s at position %d; errors: %s"
               % ("/".join(codes), err_pos, short([(e.get("code"), e.get("position")) for e in errors])))
    for e in elsewhere:
        case.fail("error at an unexpected position: %s" % short(e, 300))
    for e in at:
        case.check(e.get("file") is not None and file_key(e["file"]) == file_key(expected["file"]),
                   "error names file %s" % short(e.get("file")))
    batches = [entry for entries in files.values() for entry in entries]
    before = [(b, r) for b, r in batches if b["position"] < err_pos]
    after = [(b, r) for b, r in batches if b["position"] > err_pos]
    case.eq("batches before the error", len(before), expected["before"]["batches"])
    case.eq("records before the error", sum(len(r) for _, r in before), expected["before"]["records"])
    for b, _ in before:
        case.eq("crc_valid of the good batch at %d" % b["position"], b.get("crc_valid"), True)
    case.eq("batches after the error", len(after), expected["after"]["batches"])
    case.eq("records after the error", sum(len(r) for _, r in after), expected["after"]["records"])


# ---------------------------------------------------------------------------

def load_expectations(folder):
    out = []
    if os.path.isdir(folder):
        for name in sorted(os.listdir(folder)):
            if name.endswith(".json"):
                with open(os.path.join(folder, name)) as f:
                    out.append(json.load(f))
    return out


def main(argv):
    os.chdir(REPO)
    harness = Harness()
    problem = kaudit_problem()
    if problem:
        sys.stderr.write("  FAIL kaudit: %s\n" % problem)
    good = load_expectations(EXPECTED_DIR)
    corrupt = load_expectations(os.path.join(EXPECTED_DIR, "corrupt"))
    if not good and not corrupt:
        harness.run("expectations", lambda case: case.fail(
            "no fixtures/expected/*.json: run /usr/bin/python3 fixtures/gen_fixtures.py"))
    wanted = argv[1:]

    def selected(name):
        return not wanted or any(w in name for w in wanted)

    for exp in good:
        if selected(exp["case"]):
            harness.run(exp["case"], good_case, exp)
    for exp in corrupt:
        if selected("corrupt/" + exp["case"]):
            harness.run("corrupt/" + exp["case"], corrupt_case, exp)
    return harness.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
