#!/usr/bin/python3
"""test_workloads.py - `kaudit audit` on realistic workloads: benign topics whose
content repeats by nature, and real delivery duplicates.

Run from the repository root:

    /usr/bin/python3 tests/test_workloads.py [--all] [SUBSTRING...]   # ./kaudit, or $KAUDIT
    /usr/bin/python3 tests/test_workloads.py --generate                # only make the set

SUBSTRINGs restrict the run to cases whose name contains one of them; --all
prints every unexpected finding instead of the first MAX_SHOWN of a case.

The inputs come from fixtures/gen_workloads.py (kafka-python, Debian's
python3-kafka), generated into build/workloads/ when that folder is missing or
its STAMP file does not hold the sha256 of gen_workloads.py, gen_fixtures.py
and tests/oracle.py. The set is written into a temporary sibling folder and
renamed into place, so an interrupted run never leaves half a set behind. A
generator that cannot run (kafka-python missing, a self-check failing) is a
failure, never a skip.

For every case (build/workloads/<case>.json) it runs

    kaudit audit --format json --max-examples -1 --fail-on none build/workloads/<case>

and checks:

  (a) the findings of severity warning or error are exactly the expected
      warnings: type, class, offset, count and original_offset, and topic,
      partition, producer_id and original_producer_id where the expectation
      lists them. Benign cases expect none at all (info findings of class
      repeated_content are fine);
  (b) the counts of all duplicate findings, whatever their severity, add up
      to the case's "repeats" (visible records minus distinct key/value pairs,
      as the generator wrote them): every repeated record is counted once;
  (c) the report lists the case's "partitions" partitions, with the records
      that were written;
  (d) the exit status is 0 (--fail-on none), nothing is left out
      (findings_omitted) and the output is one JSON report;
  (e) every warning names an incident, and the expected warnings group into
      incidents as docs/report.md says (retries together; one new producer
      session's replays together wherever they are, d12's two partitions in
      one; one session's resends in a topic together).

Output: "  FAIL <case>: <reason>" lines on stderr, then exactly one line
"kt: N passed, M failed" on stdout; exit status 1 if any case failed.
"""

import collections
import hashlib
import json
import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True   # leave no __pycache__ in the work tree

from test_fixtures import CaseFailed, kaudit_path, kaudit_problem, short

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKLOADS = os.path.join(REPO, "build", "workloads")
GENERATOR = os.path.join(REPO, "fixtures", "gen_workloads.py")
STAMPED = [GENERATOR, os.path.join(REPO, "fixtures", "gen_fixtures.py"), os.path.join(REPO, "tests", "oracle.py")]
STAMP = "STAMP"
PYTHON = "/usr/bin/python3"
MAX_SHOWN = 12          # unexpected findings printed per case (unless --all)
MATCH_KEYS = ("type", "class", "offset", "count", "original_offset")
OPTIONAL_KEYS = ("topic", "partition", "producer_id", "original_producer_id")


# ---------------------------------------------------------------------------
# The set of workloads
# ---------------------------------------------------------------------------

def stamp():
    digest = hashlib.sha256()
    for path in STAMPED:
        with open(path, "rb") as f:
            data = f.read()
        digest.update(b"%s %d\n" % (os.path.relpath(path, REPO).encode(), len(data)))
        digest.update(data)
    return digest.hexdigest()


def current():
    try:
        with open(os.path.join(WORKLOADS, STAMP)) as f:
            return f.read().strip() == stamp()
    except OSError:
        return False


def generate():
    """(Re)generate build/workloads/ when needed. Returns an error sentence or None."""
    if current():
        return None
    parent = os.path.dirname(WORKLOADS)
    os.makedirs(parent, exist_ok=True)
    base = os.path.basename(WORKLOADS)
    for name in os.listdir(parent):           # leftovers of interrupted runs
        if name.startswith(base + ".tmp-") or name.startswith(base + ".old-"):
            shutil.rmtree(os.path.join(parent, name), ignore_errors=True)
    tmp = "%s.tmp-%d" % (WORKLOADS, os.getpid())
    want = stamp()
    print("  generating %s (fixtures/gen_workloads.py)" % os.path.relpath(WORKLOADS, REPO))
    sys.stdout.flush()
    try:
        proc = subprocess.run([PYTHON, GENERATOR, tmp], cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as err:
        shutil.rmtree(tmp, ignore_errors=True)
        return "fixtures/gen_workloads.py could not run: %s" % err
    out = proc.stdout.decode("utf-8", "replace").strip()
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        return "fixtures/gen_workloads.py failed (exit %d): %s" % (proc.returncode, out[-2000:])
    print("\n".join("  " + line for line in out.splitlines()[:1]))
    with open(os.path.join(tmp, STAMP), "w") as f:
        f.write(want + "\n")
    old = "%s.old-%d" % (WORKLOADS, os.getpid())
    if os.path.exists(WORKLOADS):
        os.rename(WORKLOADS, old)
    os.rename(tmp, WORKLOADS)
    shutil.rmtree(old, ignore_errors=True)
    return None


def load_expectations():
    out = []
    for name in sorted(os.listdir(WORKLOADS)):
        if name.endswith(".json"):
            with open(os.path.join(WORKLOADS, name)) as f:
                out.append(json.load(f))
    return out


# ---------------------------------------------------------------------------
# One case
# ---------------------------------------------------------------------------

class Case(object):
    def __init__(self, name):
        self.name = name
        self.checks = 0
        self.failures = []

    def check(self, ok, reason):
        self.checks += 1
        if not ok:
            self.failures.append(reason)
        return ok


def same(got, want):
    """got == want, with bool and int kept apart."""
    if isinstance(got, bool) or isinstance(want, bool):
        return type(got) is type(want) and got == want
    return got == want


def matches(finding, want):
    keys = list(MATCH_KEYS) + [k for k in OPTIONAL_KEYS if k in want]
    return all(k in finding and same(finding[k], want[k]) for k in keys)


def describe(f):
    keys = ("type", "severity", "class", "topic", "partition", "offset", "count", "original_offset",
            "producer_id", "original_producer_id", "time_distance_ms", "identical_records",
            "identical_batch", "rule")
    return short(collections.OrderedDict((k, f[k]) for k in keys if k in f), 300)


def run_audit(case_dir):
    problem = kaudit_problem()
    if problem:
        raise CaseFailed(problem)
    cmd = [kaudit_path(), "audit", "--format", "json", "--max-examples", "-1", "--fail-on", "none", case_dir]
    try:
        proc = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    except subprocess.TimeoutExpired:
        raise CaseFailed("kaudit timed out after 600 s on %s" % case_dir)
    err = proc.stderr.decode("utf-8", "replace").strip()
    if proc.returncode < 0:
        raise CaseFailed("kaudit killed by signal %d; stderr: %s" % (-proc.returncode, short(err)))
    try:
        report = json.loads(proc.stdout.decode("utf-8"))
    except ValueError as exc:
        raise CaseFailed("exit status %d, stdout is not one JSON document (%s); stderr: %s"
                         % (proc.returncode, exc, short(err)))
    if not isinstance(report, dict) or not isinstance(report.get("findings"), list) \
            or not isinstance(report.get("partitions"), list):
        raise CaseFailed("not a report with findings and partitions: %s" % short(report))
    return report, proc.returncode, err


def audit_case(case, exp, show_all):
    case_dir = os.path.relpath(os.path.join(WORKLOADS, exp["dir"]), REPO)
    report, status, err = run_audit(case_dir)
    findings = [f for f in report["findings"] if isinstance(f, dict)]

    # (a) warnings and errors: exactly the expected ones.
    serious = [f for f in findings if f.get("severity") in ("warning", "error")]
    missing = []
    for want in exp["warnings"]:
        hit = next((f for f in serious if matches(f, want)), None)
        if hit is None:
            missing.append(want)
        else:
            serious.remove(hit)
    for want in missing:
        wanted = collections.OrderedDict((k, v) for k, v in want.items() if k != "why")
        near = sorted((f for f in findings if f.get("type") == "duplicate"
                       and f.get("partition") == want.get("partition", f.get("partition"))
                       and isinstance(f.get("offset"), int)
                       and abs(f["offset"] - want["offset"]) <= max(64, want["count"])),
                      key=lambda f: abs(f["offset"] - want["offset"]))
        near = [describe(f) for f in near]
        case.check(False, "missing warning %s (%s); reported near it: %s"
                   % (short(wanted, 300), want["why"], "; ".join(near[:3]) if near else "nothing"))
    if serious:
        by = collections.Counter("%s/%s/%s" % (f.get("severity"), f.get("type"), f.get("class", "-"))
                                 for f in serious)
        case.check(False, "%d unexpected warnings/errors (%s)" % (
            len(serious), ", ".join("%s: %d" % kv for kv in sorted(by.items()))))
        shown = serious if show_all else serious[:MAX_SHOWN]
        for f in shown:
            case.failures.append("unexpected %s" % describe(f))
        if len(shown) < len(serious):
            case.failures.append("... and %d more unexpected (--all lists them)" % (len(serious) - len(shown)))

    # (b) every repeated record counted once, whatever the class.
    counted = 0
    for f in findings:
        if f.get("type") == "duplicate":
            n = f.get("count")
            if isinstance(n, int) and not isinstance(n, bool):
                counted += n
            else:
                case.check(False, "a duplicate without a count: %s" % describe(f))
    case.check(counted == exp["repeats"], "duplicate findings count %d repeated records, the case has %d"
               % (counted, exp["repeats"]))

    # (c) the partitions, with the records written.
    parts = report["partitions"]
    if case.check(len(parts) == exp["partitions"], "%d partitions in the report, %d expected"
                  % (len(parts), exp["partitions"])):
        records = sum(p.get("records") or 0 for p in parts if isinstance(p, dict))
        case.check(records == exp["records"], "%d records in the report's partitions, %d written"
                   % (records, exp["records"]))

    # (e) incidents (docs/report.md, Incidents): every warning names one; the
    # expected warnings group as the rules say (retries together, one new
    # producer session's replays together wherever they are, one session's
    # resends in a topic together: each case's duplicates happen within
    # minutes), and each incident covers exactly its warnings' partitions.
    incidents = {x.get("id"): x for x in report.get("incidents") or [] if isinstance(x, dict)}
    groups = collections.OrderedDict()
    for want in exp["warnings"]:
        cls = want["class"]
        if cls in ("retry_without_idempotence", "idempotence_bypassed"):
            key = ("retry",)
        elif cls == "producer_restart" and want.get("producer_id", -1) >= 0:
            key = ("producer_restart", want["producer_id"])
        else:
            key = (cls, want.get("topic"), want.get("producer_id", -1))
        groups.setdefault(key, set()).add((want.get("topic"), want.get("partition")))
    case.check(len(incidents) == len(groups), "%d incidents, %d expected (%s)"
               % (len(incidents), len(groups), short([x.get("summary") for x in incidents.values()], 300)))
    for f in findings:
        if f.get("severity") in ("warning", "error"):
            case.check(f.get("incident") in incidents, "%s names no incident" % describe(f))
    for key, parts in groups.items():
        hits = [x for x in incidents.values() if x.get("kind") == key[0]
                and {(q.get("topic"), q.get("partition")) for q in x.get("partitions") or []} == parts]
        case.check(len(hits) == 1, "no single %s incident over %s: %s"
                   % (key[0], sorted(parts, key=str), short([x.get("summary") for x in incidents.values()], 300)))

    # (d) exit status 0 with --fail-on none; nothing left out.
    case.check(status == 0, "exit status %d with --fail-on none; stderr: %s" % (status, short(err)))
    omitted = report.get("findings_omitted")
    if isinstance(omitted, dict):
        left = {k: v for k, v in omitted.items() if v}
        case.check(not left, "findings left out with --max-examples -1: %s" % short(left))
    else:
        case.check(omitted in (None, 0, []), "findings_omitted is %s" % short(omitted))


# ---------------------------------------------------------------------------

def main(argv):
    os.chdir(REPO)
    if argv[1:] == ["--generate"]:
        problem = generate()
        if problem:
            sys.stderr.write("  %s\n" % problem)
        return 1 if problem else 0
    show_all = "--all" in argv[1:]
    wanted = [a for a in argv[1:] if a != "--all"]
    passed = failed = 0

    def finish(case):
        nonlocal passed, failed
        if case.checks == 0:
            case.failures.append("compared nothing")
        if case.failures:
            failed += 1
            for reason in case.failures:
                sys.stderr.write("  FAIL %s: %s\n" % (case.name, reason))
        else:
            passed += 1

    problem = generate()
    if problem:
        case = Case("workloads")
        case.check(False, problem)
        finish(case)
    else:
        for exp in load_expectations():
            if wanted and not any(w in exp["case"] for w in wanted):
                continue
            case = Case(exp["case"])
            try:
                audit_case(case, exp, show_all)
            except CaseFailed as err:
                case.check(False, str(err))
            except Exception as err:     # a bug here or an unexpected report shape
                case.check(False, "%s: %s" % (type(err).__name__, err))
            finish(case)
            if case.failures:
                sys.stderr.flush()
    sys.stderr.flush()
    print("kt: %d passed, %d failed" % (passed, failed))
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
