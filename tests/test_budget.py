#!/usr/bin/python3
"""test_budget.py - the memory budget shared by the jobs (issue 17).

  * the report is the same, byte for byte (but for generated_at and
    duration_ms), for any --jobs and any --max-memory that lets the audit
    finish, on the fixtures, a corpus partition and bench-like partitions
    written by bench/gen.c: in memory, spilled from the estimate, and with a
    tiny cap;
  * adding jobs never makes a partition spill: with a budget that holds one
    bench-like partition's index but not three, --jobs 3 runs them one after
    the other in memory, as --jobs 1 does (no "two passes" notice), and at
    any cap as many partitions spill with --jobs 3 as with --jobs 1;
  * partitions whose estimate cannot fit go straight to the spill;
  * the default --max-memory follows the cgroup limit ($KAUDIT_CGROUP_ROOT,
    a fake cgroup tree): --help shows it.

Run: /usr/bin/python3 tests/test_budget.py   (uses ./kaudit, or $KAUDIT)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from checks import check, done

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KAUDIT = os.environ.get("KAUDIT", "./kaudit")
CORPUS_PART = os.path.join(REPO, "..", "shared", "corpus", "xpxwo100__bullShit", "tmp", "kafka-logs", "TEST-TOPIC-0")


def audit(paths, *args, env=None):
    p = subprocess.run([KAUDIT, "audit", "--format", "json", "--fail-on", "none"] + list(args) + paths, cwd=REPO,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600,
                       env=dict(os.environ, **(env or {})))
    out = re.sub(rb'"generated_at":"[^"]*"', b"", p.stdout)
    out = re.sub(rb'"duration_ms":[0-9]+', b"", out)
    return p.returncode, out, p.stderr.decode(errors="replace")


def write_bench(tmp):
    """Three bench-like lz4 partitions of 4 MB of records (bench/gen.c)."""
    gen = os.path.join(tmp, "gen")
    cc = os.environ.get("CC", "cc")
    b = subprocess.run([cc, "-O2", "-std=c11", "-D_GNU_SOURCE", "-I.", "-o", gen, "bench/gen.c", "reader/crc.c",
                        "-lzstd", "-llz4", "-lsnappy", "-lz", "-pthread"], cwd=REPO, stderr=subprocess.PIPE)
    check("bench/gen.c builds", b.returncode == 0, b.stderr.decode(errors="replace")[-300:])
    data = os.path.join(tmp, "bench")
    g = subprocess.run([gen, data, "lz4", "4", "3"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check("bench/gen.c writes 3 partitions", g.returncode == 0 and len(os.listdir(data)) == 3, g.stderr[-300:])
    return data


def test_same_report_any_jobs_and_cap(bench):
    paths = ["fixtures/audit", CORPUS_PART, bench]
    rc0, want, err0 = audit(paths, "--jobs", "1")
    check("reference audit runs in memory", rc0 == 0 and "two passes" not in err0 and len(want) > 1000,
          "exit %d: %s" % (rc0, err0[-300:]))
    for cap in (None, "8M", "2M", "256K"):
        for jobs in ("1", "2", "3", "16"):
            args = ["--jobs", jobs] + (["--max-memory", cap] if cap else [])
            rc, got, err = audit(paths, *args)
            check("%s: exit 0" % " ".join(args), rc == 0, "exit %d: %s" % (rc, err[-300:]))
            check("%s: the same report as --jobs 1 in memory" % " ".join(args), got == want)
            if cap == "256K":
                check("%s: the bench partitions spill" % " ".join(args),
                      all(("bench-lz4-%d: the duplicate index" % i) in err for i in range(3)), err[-500:])
    # A tiny cap: maybe not everything can be checked, but the same for any --jobs.
    ref = audit(paths, "--jobs", "1", "--max-memory", "64K")
    for jobs in ("2", "5"):
        got = audit(paths, "--jobs", jobs, "--max-memory", "64K")
        check("--max-memory 64K --jobs %s: the same report and exit as --jobs 1" % jobs,
              got[0] == ref[0] and got[1] == ref[1])


def test_jobs_never_spill(bench):
    # 6M: a pool of 4.5 MiB, 2.25 MiB of it for one index: one partition's
    # (about 0.7 MiB estimated and needed) fits, three together do not.
    # Equal slices per job gave each of 3 jobs 0.75 MiB, and all three
    # spilled.
    rc1, r1, e1 = audit([bench], "--jobs", "1", "--max-memory", "6M")
    rc3, r3, e3 = audit([bench], "--jobs", "3", "--max-memory", "6M")
    check("6M --jobs 1: in memory", rc1 == 0 and "two passes" not in e1, e1[-300:])
    check("6M --jobs 3: in memory too (jobs wait for memory rather than spill)", rc3 == 0 and "two passes" not in e3,
          e3[-300:])
    check("6M: --jobs 3 gives --jobs 1's report", r1 == r3 and len(r1) > 1000)
    # Whatever the cap, whether a partition spills does not depend on --jobs.
    for cap in ("512K", "1M", "2M", "3M", "4M"):
        spilled = [audit([bench], "--jobs", j, "--max-memory", cap)[2].count("two passes") for j in ("1", "3")]
        check("%s: as many spills with --jobs 3 as with --jobs 1 (%s)" % (cap, spilled), spilled[0] == spilled[1])


def test_default_follows_cgroup(tmp):
    root = os.path.join(tmp, "cgroup")
    os.makedirs(os.path.join(root, "memory"))
    with open(os.path.join(root, "memory.max"), "w") as f:
        f.write("1073741824\n")
    with open(os.path.join(root, "memory", "memory.limit_in_bytes"), "w") as f:
        f.write("9223372036854771712\n")
    phys = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    p = subprocess.run([KAUDIT, "audit", "--help"], cwd=REPO, stdout=subprocess.PIPE,
                       env=dict(os.environ, KAUDIT_CGROUP_ROOT=root))
    text = " ".join(p.stdout.decode().split())
    want = "here 256 MiB" if phys > (1 << 30) else None
    check("--help shows a quarter of a 1 GiB cgroup limit", want is None or want in text, text[-600:])
    with open(os.path.join(root, "memory.max"), "w") as f:
        f.write("max\n")
    p = subprocess.run([KAUDIT, "audit", "--help"], cwd=REPO, stdout=subprocess.PIPE,
                       env=dict(os.environ, KAUDIT_CGROUP_ROOT=root))
    text = " ".join(p.stdout.decode().split())
    q = phys // 4
    want = "here %.1f GiB" % (q / (1 << 30)) if q >= (1 << 30) else "here %d MiB" % (q >> 20)
    check("--help shows a quarter of physical memory without a limit", want in text, want + " / " + text[-600:])


def main():
    tmp = tempfile.mkdtemp(prefix="kaudit-budget-")
    try:
        bench = write_bench(tmp)
        test_same_report_any_jobs_and_cap(bench)
        test_jobs_never_spill(bench)
        test_default_follows_cgroup(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
