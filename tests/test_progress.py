#!/usr/bin/python3
"""test_progress.py - the progress line of `kaudit audit` (issue 5).

On a terminal, a run longer than a second shows "kaudit: DONE of TOTAL (P%),
RATE/s, T left" on stderr, redrawn in place; --quiet silences it, and so does
a stderr that is not a terminal. `kaudit dump` shows it too, unless its own
output goes to the same terminal. The input: partitions that all link to
one real corpus segment (xpxwo100's TEST-TOPIC-0, 1.3 MB, 21,211 batches),
audited with a 96 KiB index so each is read three times. The runs that must
draw no line (--quiet, not a terminal, a dump to the terminal itself) read
10 of them; the ones that must draw it as many as take about 2.5 s, as the
first of those runs measured (at most 100): a line is drawn after a second,
and the suite runs under AddressSanitizer too, several times slower.

Run: /usr/bin/python3 tests/test_progress.py   (uses ./kaudit, or $KAUDIT)
"""
import os
import pty
import re
import shutil
import subprocess
import sys
import tempfile
import time

from checks import check, done

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEGMENT = os.path.join(REPO, "..", "shared", "corpus", "xpxwo100__bullShit", "tmp", "kafka-logs", "TEST-TOPIC-0",
                       "00000000000000000000.log")
KAUDIT = os.environ.get("KAUDIT", "./kaudit")
MANY = 100           # partitions at most for the runs that must draw the line
LINE = re.compile(rb"\r\x1b\[Kkaudit: [0-9.]+ [kMGT]?B of [0-9.]+ [kMGT]?B \(\d+%\), [0-9.]+ [kMGT]?B/s")

def run_on_pty(args, cmd="audit", stdout_too=False):
    """Run kaudit with stderr (and stdout_too: stdout) on a pseudo-terminal;
    return (status, what the terminal got)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([KAUDIT, cmd] + args, cwd=REPO, stdout=slave if stdout_too else subprocess.DEVNULL,
                            stderr=slave)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.wait(timeout=600), out


def partitions(top, n):
    """n partition folders under top, each a link to the corpus segment."""
    for i in range(n):
        d = os.path.join(top, "t-%d" % i)
        os.makedirs(d)
        os.symlink(os.path.abspath(SEGMENT), os.path.join(d, "00000000000000000000.log"))
    return top


def main():
    if not os.path.exists(SEGMENT):
        print("  FAIL corpus segment missing: %s" % SEGMENT)
        print("kt: 0 passed, 1 failed")
        return 1
    tmp = tempfile.mkdtemp(prefix="kaudit-test-progress-")
    try:
        opts = ["--jobs", "1", "--max-memory", "256K", "--fail-on", "none", "--tmpdir", tmp]
        few = partitions(os.path.join(tmp, "few"), 10)

        started = time.monotonic()
        status, err = run_on_pty(["--quiet"] + opts + [few])
        check("--quiet: exit 0", status == 0, "exit %d" % status)
        check("--quiet: nothing on stderr", err == b"", repr(err[:200]))
        # Enough partitions for about 2.5 s of work, so a line is drawn
        # (after 1 s) on a fast machine and the run stays short on a slow
        # one or under a sanitizer.
        per = max(time.monotonic() - started, 0.001) / 10
        logs = partitions(os.path.join(tmp, "logs"), min(MANY, max(10, int(2.5 / per) + 1)))

        status, err = run_on_pty(opts + [logs])
        lines = LINE.findall(err)
        check("exit 0 on a terminal", status == 0, "exit %d" % status)
        check("progress drawn on a terminal", len(lines) >= 1, repr(err[-300:]))
        pcts = [int(m) for m in re.findall(rb"\((\d+)%\)", err)]
        check("percentages never go backwards", pcts == sorted(pcts), str(pcts))
        check("'left' while work remains", b" left" in err, repr(err[-300:]))
        last = list(LINE.finditer(err))
        check("the last line drawn is erased", bool(last) and b"\r\x1b[K" in err[last[-1].end():], repr(err[-80:]))
        check("notices above the line (spills)", b"two passes" in err)

        p = subprocess.run([KAUDIT, "audit"] + opts + [few], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        check("not a terminal: no progress line", b"\r" not in p.stderr and b"two passes" in p.stderr,
              repr(p.stderr[:200]))

        # dump: progress when the dump goes elsewhere, never mixed into it
        # (as many partitions as take 2.5 s again: a dump reads once).
        dump = ["--format", "jsonl", "--records"]
        started = time.monotonic()
        status, err = run_on_pty(["--quiet"] + dump + [few], "dump")
        check("dump --quiet: nothing on the terminal", status == 0 and err == b"", repr(err[:200]))
        per = max(time.monotonic() - started, 0.001) / 10
        dumped = partitions(os.path.join(tmp, "dumped"), min(MANY * 3, max(10, int(2.5 / per) + 1)))
        status, err = run_on_pty(dump + [dumped], "dump")
        check("dump: exit 0 on a terminal", status == 0, "exit %d" % status)
        check("dump: progress drawn when stdout is elsewhere", len(LINE.findall(err)) >= 1, repr(err[-300:]))
        status, err = run_on_pty(["--offsets", "0:0"] + dump + [few], "dump", stdout_too=True)
        check("dump to the terminal itself: no progress line", status == 0 and b"\x1b[K" not in err and
              b'"type":"record"' in err, repr(err[:200]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
