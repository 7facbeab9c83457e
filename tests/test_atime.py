#!/usr/bin/python3
"""test_atime.py - an audit and a dump leave every access time as it was.

kaudit only reads, and reading sets access times: of every file opened and
of every directory listed. Files are opened with O_NOATIME and so are
directories (reader/layout.c, open_dir); one audit used to change the
atime of every directory it listed.

A copy of the sample log directory gets access times far in the past (so
that relatime, which updates an atime older than the mtime or than a day,
would update every one), then is audited and dumped; every atime must be
unchanged. A test that cannot see atimes change passes on nothing: on a
filesystem mounted noatime, or anywhere `cat` and `ls` do not move the
atime of a control file and folder, the next candidate folder is tried
($TMPDIR, /dev/shm, /var/tmp, build/), and when none shows a change the
test fails.

O_NOATIME needs the file's owner (or CAP_FOWNER): the copy is ours.

Run: /usr/bin/python3 tests/test_atime.py   (uses ./kaudit, or $KAUDIT)
"""
import os
import shutil
import subprocess
import sys
import tempfile

from checks import check, done

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KAUDIT = os.environ.get("KAUDIT", "./kaudit")
SAMPLE = os.path.join(REPO, "fixtures", "sample", "logdir")
PAST = 1000000000  # 2001-09-09: older than any mtime and than a day


def set_past(path):
    st = os.stat(path)
    os.utime(path, ns=(PAST * 10**9, st.st_mtime_ns))


def atime_moves(base):
    """Does reading a file (cat) and listing a folder (ls) under `base` set
    their access times? Returns a scratch folder there when both do."""
    try:
        scratch = tempfile.mkdtemp(prefix="kaudit-test-atime-", dir=base)
    except OSError:
        return None
    control = os.path.join(scratch, "control")
    folder = os.path.join(scratch, "folder")
    os.mkdir(folder)
    with open(control, "wb") as f:
        f.write(b"control\n")
    with open(os.path.join(folder, "x"), "wb") as f:
        f.write(b"x")
    set_past(control)
    set_past(folder)
    subprocess.run(["cat", control], stdout=subprocess.DEVNULL)
    subprocess.run(["ls", folder], stdout=subprocess.DEVNULL)
    if os.stat(control).st_atime > PAST + 1 and os.stat(folder).st_atime > PAST + 1:
        os.unlink(control)
        shutil.rmtree(folder)
        return scratch
    shutil.rmtree(scratch, ignore_errors=True)
    return None


def tree(root):
    """Every folder and file under root, root included. Listing a folder
    sets its atime: called once, before the atimes are set."""
    out = [root]
    for d, dirs, files in os.walk(root):
        out += [os.path.join(d, name) for name in dirs + files]
    return out


def atimes(paths):
    """{path: atime_ns}: stat alone, which sets no atime."""
    return {p: os.stat(p).st_atime_ns for p in paths}


def main():
    scratch = None
    for base in (tempfile.gettempdir(), "/dev/shm", "/var/tmp", os.path.join(REPO, "build")):
        if os.path.isdir(base) and (scratch := atime_moves(base)):
            break
    check("a folder where reading moves atimes (else this test cannot tell)", scratch is not None,
          "cat and ls left the atimes of a control file and folder as they were in every candidate")
    if not scratch:
        return done()
    try:
        logdir = os.path.join(scratch, "logdir")
        shutil.copytree(SAMPLE, logdir)
        paths = tree(logdir)
        for p in paths:
            set_past(p)
        before = atimes(paths)
        nfolders = sum(1 for p in before if os.path.isdir(p))
        check("the copy has folders and files", nfolders >= 4 and len(before) > nfolders, str(len(before)))
        check("the atimes are in the past", all(t == PAST * 10**9 for t in before.values()))
        runs = [
            ("audit", [KAUDIT, "audit", "--fail-on", "none", "--format", "json", logdir]),
            ("audit of a partition", [KAUDIT, "audit", "--fail-on", "none", os.path.join(logdir, "orders-0")]),
            ("dump", [KAUDIT, "dump", "--records", "--payload", "--verify-index", logdir]),
            ("dump jsonl of a partition", [KAUDIT, "dump", "--format", "jsonl", "--records",
                                           os.path.join(logdir, "orders-1")]),
        ]
        for name, cmd in runs:
            # Each run from atimes in the past: relatime moves them once.
            for q in paths:
                set_past(q)
            p = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
            check("%s runs (exit 0)" % name, p.returncode == 0, "exit %d: %s" % (p.returncode, p.stderr[-300:]))
            check("%s read something" % name, len(p.stdout) > 1000, str(len(p.stdout)))
            after = atimes(paths)
            moved = sorted(os.path.relpath(q, logdir) for q in before if after.get(q) != before[q])
            dirs = [q for q in moved if os.path.isdir(os.path.join(logdir, q))]
            check("%s: no folder's atime changed" % name, not dirs, "%d changed: %s" % (len(dirs), dirs[:5]))
            check("%s: no file's atime changed" % name, len(moved) == len(dirs), str(moved[:5]))
        # The check itself can see a change: listing the copy with ls moves it.
        subprocess.run(["ls", "-R", logdir], stdout=subprocess.DEVNULL)
        check("ls moves the copy's folder atimes (the check can fail)", os.stat(logdir).st_atime_ns != before[logdir])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
