#!/usr/bin/python3
"""test_special_files.py - nothing named like Kafka's vanishes, and nothing blocks.

Only regular files are read (links to them are followed, as Kafka does). A
FIFO, a link to /dev/zero or /dev/urandom, a link loop or a link to nowhere
named like a segment or an index, and a partition directory whose topic
Kafka would not accept (a space, a newline), used to vanish: "Clean ... 0
segments", exit 0; a FIFO named like a segment's index blocked the audit
for ever. Each must now be named in the report's problems (the dump's ERROR
lines), the audit be Incomplete (exit 2), and every run end promptly.

Run: /usr/bin/python3 tests/test_special_files.py   (uses ./kaudit, or $KAUDIT)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from checks import check, done

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KAUDIT = os.environ.get("KAUDIT", "./kaudit")
SEGMENT = os.path.join(REPO, "fixtures", "sample", "logdir", "orders-0", "00000000000000000000.log")


def run(args, timeout=60):
    try:
        p = subprocess.run([KAUDIT] + args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return "timeout", b"", b""


def build(root):
    """A log directory with one readable partition and every kind of entry
    that is not read. Returns {path: words its problem must hold}."""
    ld = os.path.join(root, "logs")
    os.makedirs(os.path.join(ld, "orders-0"))
    open(os.path.join(ld, "meta.properties"), "w").write("version=0\nbroker.id=0\n")
    part = os.path.join(ld, "orders-0")
    shutil.copy(SEGMENT, part)
    want = {}
    for name, make, words in (
        ("00000000000000000100.log", "fifo", "a FIFO"),
        # The index of the readable segment: read for the index check.
        ("00000000000000000000.index", "fifo", "a FIFO"),
        ("00000000000000000200.log", "/dev/zero", "a symbolic link to a character device"),
        ("00000000000000000300.log", "/dev/urandom", "a symbolic link to a character device"),
        ("00000000000000000400.log", "loop", "Too many levels of symbolic links"),
        ("00000000000000000500.log", "nowhere", "cannot be followed"),
    ):
        p = os.path.join(part, name)
        if make == "fifo":
            os.mkfifo(p)
        elif make == "loop":
            os.symlink(name, p)
        else:
            os.symlink(make, p)
        want[p] = words
    for name in ("bad topic-0", "nl\nx-0"):
        d = os.path.join(ld, name)
        os.mkdir(d)
        shutil.copy(SEGMENT, d)
        want[d] = "not a name Kafka accepts"
    # A partition holding nothing but a FIFO: it was "Clean ... 0 segments".
    only = os.path.join(root, "fifo-only", "events-0")
    os.makedirs(only)
    os.mkfifo(os.path.join(only, "00000000000000000000.log"))
    return ld, part, only, want


def main():
    root = tempfile.mkdtemp(prefix="kaudit-test-special-")
    try:
        ld, part, only, want = build(root)
        rc, out, err = run(["audit", "-q", "--format", "json", "--fail-on", "none", ld])
        check("audit ends (no FIFO blocks it)", rc != "timeout")
        check("audit exits 2 (Incomplete)", rc == 2, "exit %s" % rc)
        try:
            r = json.loads(out)
        except ValueError:
            r = {"problems": [], "partitions": []}
            check("audit writes its JSON report", False, repr(out[:200]))
        problems = r.get("problems", [])
        for path, words in want.items():
            hit = [x for x in problems if x.startswith(path + ": ")]
            check("problem named: %r" % os.path.relpath(path, root), len(hit) == 1 and words in hit[0],
                  str(hit or problems))
        check("each problem once", len(problems) == len(set(problems)) == len(want), "\n".join(problems))
        check("the readable partition is audited", [p["topic"] for p in r.get("partitions", [])] == ["orders"])
        check("the FIFO named like an index is not also a corrupt file",
              not [f for f in r.get("findings", []) if f["type"] == "corrupt_file"],
              str([f.get("file") for f in r.get("findings", []) if f["type"] == "corrupt_file"]))
        rc, out, err = run(["audit", "-q", "--fail-on", "none", ld])
        # (the readable segment holds duplicates: the verdict counts them)
        check("text verdict: not Clean", rc == 2 and not out.startswith(b"Clean"), repr(out[:120]))
        check("text lists what was not audited", out.count(b"Not audited: ") == len(want), out.decode()[:600])

        rc, out, err = run(["audit", "-q", "--fail-on", "none", os.path.dirname(only)])
        check("a partition of a FIFO alone: exit 2, not Clean", rc == 2 and not out.startswith(b"Clean"),
              "exit %s: %r" % (rc, out[:120]))
        check("... its FIFO named", b"00000000000000000000.log: a FIFO" in out, repr(out[:400]))

        for fmt in ("text", "jsonl"):
            rc, out, err = run(["dump", "-q", "--format", fmt, "--records", "--verify-index", ld])
            check("dump %s ends" % fmt, rc != "timeout")
            check("dump %s exits 2" % fmt, rc == 2, "exit %s" % rc)
            # (with --verify-index too the FIFO index is said once: it is not read)
            text = out.decode(errors="replace")
            lines = [l for l in text.splitlines() if l.startswith("ERROR") or '"type":"error"' in l]
            named = [p for p in want if (p.replace("\n", "\\x0a") if fmt == "text" else json.dumps(p)[1:-1]) in text]
            check("dump %s names every entry not read, once" % fmt, len(named) == len(want) and len(lines) == len(want),
                  "\n".join(lines))

        # Given directly: said, never opened.
        for path in (os.path.join(part, "00000000000000000100.log"), os.path.join(part, "00000000000000000200.log"),
                     os.path.join(part, "00000000000000000000.index")):
            for cmd in (["audit", "-q", "--fail-on", "none"], ["dump", "-q"]):
                rc, out, err = run(cmd + [path])
                check("%s %s given: ends, exit 2" % (cmd[0], os.path.basename(path)), rc == 2, "exit %s" % rc)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
