#!/usr/bin/python3
"""test_memory.py - one budget (issue 13): everything that grows with the
data counts against --max-memory, and a run's peak memory stays under it
with a margin for what does not grow (the program, its libraries, the
names of the files).

Each case runs kaudit on data written by kafka-python (the independent
encoder) and measures the process's peak resident memory (wait4's
ru_maxrss):

  * decompression bombs, one per codec: batches of one record of zeros
    that each inflate to BOMB_MIB MiB. With a small budget every batch is
    "not checked" and the audit is Incomplete (exit 2) instead of taking
    the memory; with a large one every batch is checked and the parts read
    ahead (engine/pipeline.h) hold no batch too large beside the others:
    the auditing thread reads those in order;
  * every finding listed (--max-examples -1) from copies of a real corpus
    partition with tens of thousands of findings: the list goes to disk
    past the findings' share, the JSON still lists every one;
  * an open transaction's records, and the state of many producers, which
    the audit holds to the partition's end.

The inputs are generated once into build/memory-inputs (a version file says
which generator made them). Under AddressSanitizer (KT_TAG=asan-) resident
memory says nothing about the budget (shadow memory, quarantine): every
other check runs, the peaks are printed but not compared.
"""
import fcntl
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, done  # noqa: E402

from kafka.record.default_records import DefaultRecordBatchBuilder  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KAUDIT = os.environ.get("KAUDIT", "./kaudit")
ASAN = os.environ.get("KT_TAG", "") == "asan-"
INPUTS = os.path.join(REPO, "build", "memory-inputs")
VERSION = "4"
CORPUS_PART = os.path.join(REPO, "..", "shared", "corpus", "dschne27__kafka-streams", "broker", "data",
                           "_confluent-controlcenter-7-6-1-1-MetricsAggregateStore-repartition-0")

BOMB_MIB, BOMBS = 24, 6            # six batches of 24 MiB each
BIG_MIB = 96                        # ... and two of 96 MiB, for a ulimit -v of 100000 KiB
CODECS = {"gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
TXN_RECORDS, TXN_BATCH = 200000, 1000
PRODUCERS = 100000
SMALL = "1M"                        # the budget for the held state: 768 KiB for the job
MARGIN_MIB = 24                     # what does not grow with the data
SEG = "00000000000000000000.log"


def batch(records, codec=0, pid=-1, epoch=-1, seq=-1, txn=False, ts=1700000000000):
    b = DefaultRecordBatchBuilder(magic=2, compression_type=codec, is_transactional=txn, producer_id=pid,
                                  producer_epoch=epoch, base_sequence=seq, batch_size=1 << 30)
    for i, value in enumerate(records):
        b.append(i, timestamp=ts + i, key=None, value=value, headers=[])
    return bytes(b.build())


def at_offset(raw, offset):
    """The batch with its base offset set (outside the CRC in v2)."""
    return struct.pack(">q", offset) + raw[8:]


def write_partition(path, batches):
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, SEG), "wb") as f:
        for b in batches:
            f.write(b)


def generate():
    """Once, whichever of the suites (plain and ASan run side by side) gets
    here first: the other waits on the lock."""
    os.makedirs(os.path.dirname(INPUTS), exist_ok=True)
    with open(INPUTS + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(os.path.join(INPUTS, "version")) and open(os.path.join(INPUTS, "version")).read() == VERSION:
            return
        write_inputs()


def write_inputs():
    shutil.rmtree(INPUTS, ignore_errors=True)
    for name, codec in CODECS.items():
        one = batch([b"\0" * (BOMB_MIB << 20)], codec=codec)
        write_partition(os.path.join(INPUTS, "bomb-" + name, "bomb-0"), [at_offset(one, i) for i in range(BOMBS)])
    # Two batches the system's limit cannot hold (system_limit).
    big = batch([b"\0" * (BIG_MIB << 20)], codec=1)
    write_partition(os.path.join(INPUTS, "bomb-big", "bomb-0"), [at_offset(big, i) for i in range(2)])
    # One transactional producer, never committed: every record is held.
    txn = []
    for b in range(TXN_RECORDS // TXN_BATCH):
        first = b * TXN_BATCH
        raw = batch([(first + i).to_bytes(8, "big") for i in range(TXN_BATCH)], pid=1000, epoch=0, seq=first, txn=True)
        txn.append(at_offset(raw, first))
    write_partition(os.path.join(INPUTS, "open-txn", "payments-0"), txn)
    # Many idempotent producers, one batch each: every one has a state.
    write_partition(os.path.join(INPUTS, "producers", "events-0"),
                    [at_offset(batch([p.to_bytes(8, "big")], pid=5000 + p, epoch=0, seq=0), p)
                     for p in range(PRODUCERS)])
    with open(os.path.join(INPUTS, "version"), "w") as f:
        f.write(VERSION)


PEAKRSS = os.path.join(REPO, "build", "tests", "peakrss")


def run(args, out_path=None):
    """kaudit's exit status, stdout (None when written to out_path), stderr
    and peak resident memory in MiB (tests/peakrss.c: measured from a small
    parent, not from Python, whose memory a forked child is charged with
    until it execs)."""
    out = open(out_path, "wb") if out_path else subprocess.PIPE
    with tempfile.NamedTemporaryFile() as kib:
        p = subprocess.run([PEAKRSS, kib.name, KAUDIT] + args, stdout=out, stderr=subprocess.PIPE)
        text = open(kib.name).read().strip()
    if out_path:
        out.close()
    return p.returncode, p.stdout, p.stderr.decode(errors="replace"), int(text) / 1024.0 if text else None


def under(name, mib, budget_mib):
    print("  %s: peak %.1f MiB (budget %d MiB + %d MiB)" % (name, mib, budget_mib, MARGIN_MIB))
    if ASAN:
        return
    check(name + ": peak memory under the budget", mib is not None and mib <= budget_mib + MARGIN_MIB,
          "%.1f MiB, budget %d MiB" % (mib or -1, budget_mib))


def report_of(stdout):
    try:
        return json.loads(stdout)
    except ValueError as e:
        check("the report is JSON", False, str(e))
        return {}


def bombs():
    for name in CODECS:
        path = os.path.join(INPUTS, "bomb-" + name)
        # 16M: a job's decompression share is 3 MiB, far below one batch.
        rc, out, err, mib = run(["audit", "--format", "json", "--jobs", "2", "--max-memory", "16M", path])
        rep = report_of(out)
        check("bomb %s 16M: exit 2 (Incomplete)" % name, rc == 2, "exit %d: %s" % (rc, err[-300:]))
        probs = rep.get("problems", [])
        check("bomb %s 16M: the partition is named in problems" % name,
              any("bomb-0" in p and "not fully checked" in p for p in probs), str(probs))
        notes = [n for p in rep.get("partitions", []) for n in p.get("notes", [])]
        check("bomb %s 16M: each batch said not checked for want of memory" % name,
              sum("not checked" in n and "--max-memory" in n for n in notes) == BOMBS, str(notes[:2]))
        check("bomb %s 16M: no corruption claimed" % name, not rep.get("findings"), str(rep.get("findings", [])[:1]))
        under("bomb %s 16M" % name, mib, 16)
        # 2G: a decompression share of 384 MiB; every batch is checked.
        rc, out, err, mib = run(["audit", "--format", "json", "--jobs", "2", "--max-memory", "2G", path])
        rep = report_of(out)
        check("bomb %s 2G: complete" % name, rc in (0, 1) and not rep.get("problems"), "exit %d %s" % (rc, err[-300:]))
        check("bomb %s 2G: every record read" % name, rep.get("summary", {}).get("records") == BOMBS,
              str(rep.get("summary")))
        # One batch decompressed (48 MiB), read in order by the auditing
        # thread, not copied into a part: not one buffer per part.
        under("bomb %s 2G" % name, mib, BOMB_MIB * 2)


def system_limit():
    """Memory the system refuses (ulimit -v: less than one 96 MiB batch, with
    a budget that would give it) is not the data's fault either:
    the batches are said not checked, the audit is Incomplete (it once
    exited 1 with every problem list empty)."""
    if ASAN:  # AddressSanitizer reserves terabytes of address space
        print("  ulimit -v: not under AddressSanitizer")
        return
    path = os.path.join(INPUTS, "bomb-big")
    p = subprocess.run(["sh", "-c", 'ulimit -v 100000 && exec "$0" audit --format json --jobs 2 --max-memory 2G "$1"',
                        os.path.abspath(KAUDIT), path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    rep = report_of(p.stdout)
    check("ulimit -v: exit 2 (Incomplete)", p.returncode == 2, "exit %d %s" % (p.returncode, p.stderr[-300:]))
    check("ulimit -v: the partition is named in problems",
          any("bomb-0" in x and "out of memory" in x for x in rep.get("problems", [])), str(rep.get("problems")))


def listing():
    tmp = tempfile.mkdtemp(prefix="kaudit-memory-")
    try:
        copies = 1 if ASAN else 2
        for i in range(copies):
            dst = os.path.join(tmp, "metrics-%d" % i)
            os.makedirs(dst)
            for f in os.listdir(CORPUS_PART):
                shutil.copy(os.path.join(CORPUS_PART, f), dst)
        out = os.path.join(tmp, "report.json")
        rc, _, err, mib = run(["audit", "--format", "json", "--max-examples", "-1", "--max-memory", "16M",
                               "--fail-on", "none", "--tmpdir", tmp] + [os.path.join(tmp, "metrics-%d" % i)
                                                                        for i in range(copies)], out_path=out)
        check("listing: exit 0", rc == 0, "exit %d %s" % (rc, err[-300:]))
        data = open(out, "rb").read()
        ids = re.findall(rb'\{"id":"(F[0-9a-f]{12})"', data)
        rep = report_of(data)
        counted = sum(rep.get("summary", {}).get("findings_by_severity", {}).values())
        check("listing: tens of thousands of findings", counted > 20000 * copies, str(counted))
        # Ids are fingerprints (docs/report.md, "Finding ids"), no longer F1, F2, ...
        # in list order: every finding counted is listed, each with its own id.
        check("listing: every finding counted is listed, each id its own", len(ids) == counted and
              len(set(ids)) == len(ids), "%d listed, %d distinct, %d counted" % (len(ids), len(set(ids)), counted))
        check("listing: nothing omitted", rep.get("findings_omitted") == {}, str(rep.get("findings_omitted")))
        under("listing --max-examples -1 (%d findings)" % counted, mib, 16)
        check("listing: the spill is gone", not [d for d in os.listdir(tmp) if d.startswith("kaudit-")],
              str(os.listdir(tmp)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def held_state():
    path = os.path.join(INPUTS, "open-txn")
    rc, out, err, mib = run(["audit", "--format", "json", "--jobs", "1", "--max-memory", SMALL, path])
    rep = report_of(out)
    check("open transaction small budget: exit 2 (Incomplete)", rc == 2, "exit %d %s" % (rc, err[-300:]))
    check("open transaction small budget: said why", any("open transaction" in p and "not fully checked" in p
                                               for p in rep.get("problems", [])), str(rep.get("problems")))
    check("open transaction small budget: every record counted", rep.get("summary", {}).get("records") == TXN_RECORDS,
          str(rep.get("summary")))
    under("open transaction, %d records held" % TXN_RECORDS, mib, 1)
    rc, out, err, mib = run(["audit", "--format", "json", "--jobs", "1", "--max-memory", "1G", path])
    rep = report_of(out)
    check("open transaction 1G: complete", rc in (0, 1) and not rep.get("problems"), "exit %d %s" % (rc, err[-300:]))
    check("open transaction 1G: found open",
          any(f["type"] == "open_transaction" and f.get("records") == TXN_RECORDS for f in rep.get("findings", [])),
          str([f["type"] for f in rep.get("findings", [])][:5]))

    path = os.path.join(INPUTS, "producers")
    rc, out, err, mib = run(["audit", "--format", "json", "--jobs", "1", "--max-memory", SMALL, path])
    rep = report_of(out)
    check("producers small budget: exit 2 (Incomplete)", rc == 2, "exit %d %s" % (rc, err[-300:]))
    check("producers small budget: said why", any("state of a producer" in p for p in rep.get("problems", [])),
          str(rep.get("problems")))
    under("%d producers" % PRODUCERS, mib, 1)
    rc, out, err, mib = run(["audit", "--format", "json", "--jobs", "1", "--max-memory", "1G", path])
    rep = report_of(out)
    check("producers 1G: complete, every producer summarised",
          rc == 0 and len(rep.get("partitions", [{}])[0].get("producers", [])) == PRODUCERS,
          "exit %d %s" % (rc, err[-300:]))


def main():
    check("tests/peakrss is built (make check builds it)", os.access(PEAKRSS, os.X_OK), PEAKRSS)
    if len(sys.argv) > 1 and sys.argv[1] == "--generate":
        generate()
        return 0
    # In a process of its own: this one stays small.
    subprocess.run([sys.executable, os.path.abspath(__file__), "--generate"], check=True)
    bombs()
    system_limit()
    listing()
    held_state()
    return done()


if __name__ == "__main__":
    sys.exit(main())
