#!/usr/bin/python3
"""test_spill.py - a spilled audit leaves nothing behind (issues 5 and 7).

Past its share of --max-memory, a partition's duplicate index spills to a
private directory under --tmpdir / $TMPDIR. These cases check, on a real
corpus partition (xpxwo100's TEST-TOPIC-0: two replays of a test script,
12,211 duplicate records in two warnings, and far more distinct records than
a 96 KiB index holds):

  * the private directory is mode 0700, and is gone after a normal exit, an
    error exit, SIGTERM, SIGINT and SIGHUP, whether the audit is stopped in
    the middle of its work or while it waits to write its report;
  * a spill that cannot be made (an unwritable --tmpdir) still audits, up to
    the memory limit; the report says so, and the exit status is 2;
  * a --tmpdir inside an audited directory is refused before anything runs;
  * the spilled audit's report equals the in-memory one.

Run: /usr/bin/python3 tests/test_spill.py   (uses ./kaudit, or $KAUDIT)
"""
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

from checks import check, done

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PART = os.path.join(REPO, "..", "shared", "corpus", "xpxwo100__bullShit", "tmp", "kafka-logs", "TEST-TOPIC-0")
KAUDIT = os.environ.get("KAUDIT", "./kaudit")
SPILL = ["--jobs", "1", "--max-memory", "256K"]

def audit(args, tmpdir, **kw):
    env = dict(os.environ, TMPDIR=tmpdir)
    return subprocess.run([KAUDIT, "audit"] + args, cwd=REPO, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=600, **kw)


def private_dirs(tmpdir):
    return [d for d in os.listdir(tmpdir) if d.startswith("kaudit-")]


def wait_for_dir(tmpdir, proc, seconds=60):
    end = time.time() + seconds
    while time.time() < end and proc.poll() is None:
        found = private_dirs(tmpdir)
        if found:
            return os.path.join(tmpdir, found[0])
        time.sleep(0.002)
    return None


def test_same_report(tmp):
    mem = audit(["--format", "json", "--fail-on", "none", PART], tmp)
    spilled = audit(["--format", "json", "--fail-on", "none"] + SPILL + [PART], tmp)
    a, b = json.loads(mem.stdout), json.loads(spilled.stdout)
    b["generated_at"] = a["generated_at"]
    warnings = sum(1 for f in a["findings"] if f["severity"] == "warning")
    runs = sorted((f["offset"], f["count"], f["original_offset"]) for f in a["findings"] if f["severity"] == "warning")
    check("in-memory audit finds TEST-TOPIC-0's two replays", runs == [(9000, 9000, 0), (18000, 3211, 9000)],
          json.dumps(a["summary"]["findings_by_severity"]) + " " + str(runs))
    check("spilled", b"two passes" in spilled.stderr, spilled.stderr.decode()[-300:])
    check("the spilled report equals the in-memory one", a == b)
    check("nothing left after a normal exit", os.listdir(tmp) == [], str(os.listdir(tmp)))
    return warnings


def test_error_exit(tmp):
    p = audit(SPILL + ["-o", os.path.join(tmp, "no", "such", "dir", "report.txt"), PART], tmp)
    check("exit 2 when the report cannot be written", p.returncode == 2, "exit %d" % p.returncode)
    check("nothing left after an error exit", os.listdir(tmp) == [], str(os.listdir(tmp)))


def test_signal_while_waiting(tmp, sig):
    """The audit has spilled and blocks opening its output (a FIFO nobody reads)."""
    fifo = os.path.join(tmp, "out.fifo")
    os.mkfifo(fifo)
    env = dict(os.environ, TMPDIR=tmp)
    proc = subprocess.Popen([KAUDIT, "audit"] + SPILL + ["-o", fifo, PART], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    d = wait_for_dir(tmp, proc)
    name = signal.Signals(sig).name
    check("%s: a private directory while spilling" % name, d is not None)
    if d:
        mode = stat.S_IMODE(os.stat(d).st_mode)
        check("%s: the private directory is mode 0700" % name, mode == 0o700, oct(mode))
        time.sleep(1.0)  # long enough for the audit to finish and block on the FIFO
        check("%s: no file is visible in the private directory" % name, os.listdir(d) == [], str(os.listdir(d)))
    proc.send_signal(sig)
    rc = proc.wait(timeout=60)
    check("%s: died of the signal" % name, rc == -sig, "exit %d" % rc)
    os.unlink(fifo)
    check("%s: nothing left after the signal" % name, os.listdir(tmp) == [], str(os.listdir(tmp)))


def test_signal_mid_spill(tmp, sig):
    """Stopped the moment the private directory appears: in the middle of the work."""
    env = dict(os.environ, TMPDIR=tmp)
    proc = subprocess.Popen([KAUDIT, "audit"] + SPILL + ["--format", "json", PART], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    d = wait_for_dir(tmp, proc)
    proc.send_signal(sig)
    rc = proc.wait(timeout=60)
    name = signal.Signals(sig).name
    check("%s mid-spill: the directory was seen before the end" % name, d is not None)
    check("%s mid-spill: died of the signal, or had already finished" % name, rc in (-sig, 0, 1), "exit %d" % rc)
    check("%s mid-spill: nothing left" % name, os.listdir(tmp) == [], str(os.listdir(tmp)))


def test_unwritable_tmpdir(tmp):
    ro = os.path.join(tmp, "missing")  # does not exist: mkdtemp fails
    p = audit(["--format", "json", "--fail-on", "none", "--tmpdir", ro] + SPILL + [PART], tmp)
    # Incomplete is not clean: exit 2 (could not finish), and the report
    # (still written) names the partition among what was not fully checked.
    check("an impossible spill exits 2", p.returncode == 2, "exit %d: %s" % (p.returncode, p.stderr[-300:]))
    try:
        r = json.loads(p.stdout)
    except ValueError:
        check("an impossible spill gives a report", False)
        return
    t = audit(["--format", "text", "--tmpdir", ro] + SPILL + [PART], tmp)
    check("the text verdict says Incomplete, not Clean", t.stdout.startswith(b"Incomplete:"), repr(t.stdout[:120]))
    check("the report lists the partition as not fully checked",
          any("TEST-TOPIC-0: duplicates not checked to the end" in x for x in r.get("problems", [])),
          str(r.get("problems")))
    notes = [n for part in r["partitions"] for n in part.get("notes", [])]
    check("the report says the spill failed", any("could not spill" in n for n in notes), str(notes))
    check("the report says where duplicate checks stopped",
          any("duplicates not checked from offset" in n for n in notes), str(notes))
    # Where the 96 KiB stop: 768 distinct records in 512 batches always fit
    # (test_audit.must_spill), 1,537 or 1,025 never do. So the index
    # stops after the first such record or batch, and at or before the
    # second; kafka-python says where those are.
    sys.path.insert(0, os.path.join(REPO, "tests"))
    import oracle
    seen, batches, fits, never = set(), 0, None, None
    for path in oracle.segment_files(PART):
        st = oracle.decode_file(path)
        starts = {row["base_offset"] for row in st.batch_rows if not row["is_control"]}
        for line in st.record_lines:
            rec = json.loads(line)
            batches += rec[0] in starts
            seen.add((rec[2], rec[3]))
            if fits is None and (len(seen) > 768 or batches > 512):
                fits = rec[0]
            if never is None and (len(seen) > 1536 or batches > 1024):
                never = rec[0]
    stops = [int(n.split()[5].rstrip(":")) for n in notes if n.startswith("duplicates not checked from offset")]
    check("the note gives where the index filled up, between offsets %s and %s (kafka-python)" % (fits, never),
          len(stops) == 1 and fits <= stops[0] <= never, str(notes))
    check("no duplicate claimed past the limit", r["summary"]["findings_by_severity"]["warning"] == 0)


def blocked_spilling_run(tmp, name):
    """An audit that has spilled and waits, its directory made, to open a
    FIFO nobody reads yet: (process, its private directory, the FIFO)."""
    fifo = os.path.join(tmp, name + ".fifo")
    os.mkfifo(fifo)
    before = set(private_dirs(tmp))
    env = dict(os.environ, TMPDIR=tmp)
    proc = subprocess.Popen([KAUDIT, "audit", "-q"] + SPILL + ["--fail-on", "none", "-o", fifo, PART], cwd=REPO,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.time() + 60
    while time.time() < end and proc.poll() is None:
        new = set(private_dirs(tmp)) - before
        if new:
            return proc, os.path.join(tmp, new.pop()), fifo
        time.sleep(0.002)
    return proc, None, fifo


def test_kill9_leftover(tmp):
    """SIGKILL leaves the empty private directory (no handler runs); the
    next audit removes it, and nothing else: not a live run's directory,
    not what is not ours."""
    # The live run first: each run sweeps as it starts.
    live, alive, fifo2 = blocked_spilling_run(tmp, "live")
    check("a live run's private directory", alive is not None)
    killed, gone, fifo1 = blocked_spilling_run(tmp, "killed")
    check("SIGKILL: a private directory while spilling", gone is not None)
    time.sleep(0.5)  # done with the work, blocked on the FIFO
    killed.kill()
    check("SIGKILL: died of it", killed.wait(timeout=60) == -signal.SIGKILL)
    check("SIGKILL leaves the empty private directory", gone is not None and os.listdir(gone) == [],
          str(os.listdir(tmp)))
    # A run killed between making a named spill file and unlinking it:
    # its directory holds a spill file.
    named = os.path.join(tmp, "kaudit-spill-Ab12Cd")
    os.mkdir(named, 0o700)
    open(os.path.join(named, "spill-Zz9Yy8"), "wb").write(b"x" * 96)
    # What is not ours to remove: a folder with other files, one open to
    # others, a link, a name that is not ours.
    foreign = {
        "kaudit-spill-Other1": ("dir", 0o700, "notes"),
        "kaudit-spill-Open22": ("dir", 0o755, None),
        "kaudit-spill-Pipe33": ("dir", 0o700, "spill-Fifo44"),
        "kaudit-spill-toolong": ("dir", 0o700, None),
        "kaudit-other": ("dir", 0o700, None),
        "kaudit-spill-Link55": ("link", 0, None),
    }
    for name, (kind, mode, inside) in foreign.items():
        p = os.path.join(tmp, name)
        if kind == "link":
            os.symlink(named if os.path.isdir(named) else tmp, p)
            continue
        os.mkdir(p)
        os.chmod(p, mode)
        if inside == "spill-Fifo44":
            os.mkfifo(os.path.join(p, inside))
        elif inside:
            open(os.path.join(p, inside), "wb").write(b"mine")
    after = audit(["--fail-on", "none", os.path.join(REPO, "fixtures", "sample", "logdir")], tmp)
    check("the next audit runs", after.returncode == 0, "exit %d: %s" % (after.returncode, after.stderr[-300:]))
    check("the next audit removed the killed run's directory", gone is not None and not os.path.exists(gone))
    check("... and the one with a spill file left in it", not os.path.exists(named))
    check("... and says so", b"removed 2 empty spill directories" in after.stderr, after.stderr.decode()[-300:])
    check("the live run's directory is untouched", alive is not None and os.path.isdir(alive))
    for name in foreign:
        check("%s is untouched" % name, os.path.lexists(os.path.join(tmp, name)))
    check("kaudit-spill-Other1 still holds its file", os.listdir(os.path.join(tmp, "kaudit-spill-Other1")) == ["notes"])
    # The live run goes on and finishes: its report whole, its directory gone.
    with open(fifo2, "rb") as f:
        report = f.read()
    rc = live.wait(timeout=120)
    check("the live run finishes (exit 0)", rc == 0, "exit %d" % rc)
    check("the live run's report is whole", report.startswith(b"Found ") and b"TEST-TOPIC-0" in report,
          repr(report[:200]))
    check("the live run removed its own directory", alive is not None and not os.path.exists(alive))
    for f in (fifo1, fifo2):
        os.unlink(f)


def test_tmpdir_inside(tmp):
    tree = os.path.join(tmp, "logs")
    shutil.copytree(PART, os.path.join(tree, "TEST-TOPIC-0"))
    before = sorted(os.listdir(os.path.join(tree, "TEST-TOPIC-0")))
    inside = os.path.join(tree, "TEST-TOPIC-0")
    p = audit(["--tmpdir", inside] + SPILL + [tree], tmp)
    check("--tmpdir inside the audited tree: exit 2", p.returncode == 2, "exit %d" % p.returncode)
    check("--tmpdir inside the audited tree: said why", b"inside an audited directory" in p.stderr,
          p.stderr.decode()[-200:])
    p = audit(SPILL + [tree], tree)  # $TMPDIR is the audited folder itself
    check("$TMPDIR the audited folder: exit 2", p.returncode == 2, "exit %d" % p.returncode)
    check("the audited tree is unchanged", sorted(os.listdir(inside)) == before and
          sorted(os.listdir(tree)) == ["TEST-TOPIC-0"])


def main():
    if not os.path.isdir(PART):
        print("  FAIL corpus partition missing: %s" % PART)
        print("kt: 0 passed, 1 failed")
        return 1
    cases = [test_same_report, test_error_exit, test_unwritable_tmpdir, test_tmpdir_inside, test_kill9_leftover]
    cases += [lambda t, s=s: test_signal_while_waiting(t, s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)]
    cases += [lambda t, s=s: test_signal_mid_spill(t, s) for s in (signal.SIGTERM, signal.SIGINT)]
    for fn in cases:
        tmp = tempfile.mkdtemp(prefix="kaudit-test-spill-")
        try:
            fn(tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
