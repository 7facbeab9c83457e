#!/usr/bin/python3
"""test_live.py - kaudit on a partition a live "broker" is changing.

A writer process (this script with --writer) plays the broker for about
WRITE_SECONDS: it appends batches made by kafka-python (the independent
encoder; one idempotent producer with correct sequences, unique records) to
the active segment, rolls to a new segment every few hundred batches, and
retires the oldest segments the way Kafka's retention does (rename to
.deleted, then delete). Meanwhile `kaudit audit` and `kaudit dump` run on the
same directory in a loop, bounded in count and time.

Every run must end by itself (no crash, no signal, no hang), and report no
finding and no data problem: what the writer leaves is sound, so anything
kaudit meets mid-change (a batch still being written, a file renamed or
deleted after the scan) must come out as a note ("live"), never as a
corrupt or truncated batch. After the writer stops, the audit's counts must
equal kafka-python's on the final bytes.

Writes only below a fresh temporary folder. Ends with "kt: N passed, M failed".
"""
import glob
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

WRITE_SECONDS = 5     # about a thousand batches, ten rolls and retirements
MAX_RUNS = 200
RUN_TIMEOUT = 30


def writer(part_dir, seconds):
    from kafka.record.default_records import DefaultRecordBatchBuilder
    offset, seq, n = 0, 0, 0
    base = 0
    seg = open(os.path.join(part_dir, "%020d.log" % base), "ab")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False, producer_id=7000,
                                      producer_epoch=0, base_sequence=seq, batch_size=1 << 20)
        for i in range(5):
            b.append(i, 1700000000000 + offset + i, b"key-%d" % (offset + i),
                     b'{"n":%d,"payload":"%s"}' % (offset + i, b"x" * 200), [])
        raw = bytearray(b.build())
        struct.pack_into(">q", raw, 0, offset)  # the broker assigns offsets
        seg.write(raw[:len(raw) // 2])          # a write in two pieces with a
        seg.flush()                             # pause between: readers do
        time.sleep(0.003)                       # meet half-written batches
        seg.write(raw[len(raw) // 2:])
        seg.flush()
        offset += 5
        seq += 5
        n += 1
        if n % 100 == 0:                        # roll
            seg.close()
            base = offset
            seg = open(os.path.join(part_dir, "%020d.log" % base), "ab")
            logs = sorted(glob.glob(os.path.join(part_dir, "*.log")))
            for old in logs[:-3]:               # retention: rename, then delete
                os.rename(old, old + ".deleted")
                os.remove(old + ".deleted")
    seg.close()


ZERO_HEAD_ROUNDS = 4
ZERO_HEAD_PAUSE = 0.1    # seconds from kaudit opening the segment to the second half: inside its 250 ms watch


def zero_head_batch(offset):
    """A kafka-python batch at `offset` (< 2^24: its first five bytes are zeros)."""
    from kafka.record.default_records import DefaultRecordBatchBuilder
    b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False, producer_id=-1,
                                  producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
    for i in range(3):
        b.append(i, 1700000000000 + offset + i, b"zk-%d" % (offset + i), b"zero head %d" % (offset + i), [])
    raw = bytearray(b.build())
    struct.pack_into(">q", raw, 0, offset)
    assert raw[:5] == bytes(5)
    return bytes(raw)


def run_json(cmd, timeout=RUN_TIMEOUT):
    """Start cmd now; a function that waits and returns (exit status, stdout).
    The function's `pid` is the process's."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def finish():
        out, _ = p.communicate(timeout=timeout)
        return p.returncode, out
    finish.pid = p.pid
    return finish


def wait_opened(pids, path, timeout=10.0):
    """Wait until every process of `pids` has `path` open (Linux /proc), or
    has ended, or `timeout` passes: a process slow to start (ASan, a loaded
    machine) then still meets the half-written batch."""
    deadline = time.monotonic() + timeout
    waiting = set(pids)
    while waiting and time.monotonic() < deadline:
        for pid in list(waiting):
            try:
                fds = os.listdir("/proc/%d/fd" % pid)
            except OSError:             # ended (or no /proc): nothing to wait for
                waiting.discard(pid)
                continue
            for fd in fds:
                try:
                    if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == path:
                        waiting.discard(pid)
                        break
                except OSError:
                    pass
        time.sleep(0.002)


def zero_head(kaudit):
    """A batch appended in two halves, the first its five zero bytes, while
    audit and dump read: a write in flight (a `live` note), never a zero-filled
    tail, round after round. Then five zero bytes that never grow: a zero-filled
    tail still. Returns (passed, failed)."""
    tmp = tempfile.mkdtemp(prefix="kaudit-zero-head-")
    part = os.path.join(tmp, "orders-0")
    os.mkdir(part)
    log = os.path.join(part, "%020d.log" % 0)
    passed = failed = 0
    problems, live, runs = [], 0, 0
    try:
        offset = 0
        with open(log, "ab") as f:
            f.write(zero_head_batch(offset))
        offset += 3
        for _ in range(ZERO_HEAD_ROUNDS):
            raw = zero_head_batch(offset)
            with open(log, "ab") as f:
                f.write(raw[:5])
            audit = run_json([kaudit, "audit", "--format", "json", tmp])
            dump = run_json([kaudit, "dump", "--format", "jsonl", "--records", part])
            wait_opened((audit.pid, dump.pid), os.path.realpath(log))
            time.sleep(ZERO_HEAD_PAUSE)
            with open(log, "ab") as f:
                f.write(raw[5:])
            offset += 3
            for name, finish in (("audit", audit), ("dump", dump)):
                runs += 1
                rc, out = finish()
                if rc != 0:
                    problems.append("%s exited %d on a sound segment" % (name, rc))
                if name == "audit":
                    r = json.loads(out)
                    problems += ["audit finding: %s (%s) at %d: %s" % (f["type"], f.get("code"), f["offset"],
                                                                       f["message"]) for f in r["findings"]]
                    live += any("still being written" in n for x in r["partitions"] for n in x["notes"])
                else:
                    objs = [json.loads(line) for line in out.splitlines()]
                    problems += ["dump error: %s: %s" % (o["code"], o["message"]) for o in objs
                                 if o["type"] == "error" and o["code"] != "live"]
                    live += any(o["type"] == "error" and o["code"] == "live" for o in objs)
        # Every run meets the half-written batch: kaudit reaches the tail
        # within the pause after opening the segment (a run that did not
        # would read a whole batch: no note, nothing tested).
        if problems or live != runs:
            failed += 1
            print("  FAIL zero head: %d of %d runs saw a write in flight; %s" % (live, runs, problems[:4]))
        else:
            passed += 1
        # The same five zero bytes, never completed: a zero-filled tail (info),
        # after the watch, in both.
        size = os.path.getsize(log)
        with open(log, "ab") as f:
            f.write(bytes(5))
        rc, out = run_json([kaudit, "audit", "--format", "json", tmp])()
        r = json.loads(out)
        got = [(f["type"], f["severity"], f.get("code"), f.get("position"), f.get("file")) for f in r["findings"]]
        want = [("truncated_batch", "info", "zero_fill", size, log)]
        rc2, out2 = run_json([kaudit, "dump", "--format", "jsonl", part])()
        errs = [(o["code"], o["position"]) for o in map(json.loads, out2.splitlines()) if o["type"] == "error"]
        if got == want and rc == 0 and errs == [("zero_fill", size)] and rc2 == 1:
            passed += 1
        else:
            failed += 1
            print("  FAIL zero fill: audit exit %d %s (want %s), dump exit %d %s" % (rc, got, want, rc2, errs))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return passed, failed


def main():
    os.chdir(REPO)
    kaudit = os.environ.get("KAUDIT", "./kaudit")
    zpassed, zfailed = zero_head(kaudit)
    tmp = tempfile.mkdtemp(prefix="kaudit-live-")
    part = os.path.join(tmp, "orders-0")
    os.mkdir(part)
    passed = failed = 0
    problems = []
    runs = notes = spilled = changed = 0
    try:
        w = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--writer", part, str(WRITE_SECONDS)])
        time.sleep(0.3)
        deadline = time.monotonic() + WRITE_SECONDS + 20
        while w.poll() is None and runs < MAX_RUNS and time.monotonic() < deadline:
            runs += 1
            # Every other audit with a 24 KiB index (--max-memory 64K, the
            # least): spilled from the first runs on, so two passes
            # over data that changes between them.
            for cmd in ([kaudit, "audit", "--format", "json", "--jobs", "2", tmp],
                        [kaudit, "audit", "--format", "json", "--jobs", "1", "--max-memory", "64K", tmp],
                        [kaudit, "dump", "--format", "jsonl", "--records", part]):
                if "64K" in cmd and runs % 2:
                    continue
                try:
                    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
                except subprocess.TimeoutExpired:
                    problems.append("%s hung (over %d s)" % (cmd[1], RUN_TIMEOUT))
                    continue
                if p.returncode not in (0, 1):
                    problems.append("%s exited %d: %s" % (cmd[1], p.returncode, p.stderr[-300:]))
                    continue
                if cmd[1] == "audit":
                    spilled += b"two passes" in p.stderr
                    r = json.loads(p.stdout)
                    for f in r["findings"]:
                        problems.append("audit finding while live: %s at %d: %s" % (f["type"], f["offset"], f["message"]))
                    notes += sum(len(x["notes"]) for x in r["partitions"])
                    changed += sum(1 for x in r["partitions"] for n in x["notes"] if "between the two passes" in n)
                else:
                    for line in p.stdout.splitlines():
                        o = json.loads(line)
                        if o["type"] == "error" and o["code"] != "live":
                            problems.append("dump error while live: %s" % o["message"])
        w.wait(timeout=WRITE_SECONDS + 30)
        # 1. every run ended cleanly and reported nothing but notes
        if problems:
            failed += 1
            for p in problems[:8]:
                print("  FAIL live: %s" % p)
        elif runs < 3 or notes == 0 or spilled == 0:
            failed += 1
            print("  FAIL live: %d runs overlapped the writer and met %d live changes, %d spilled: the test did "
                  "not test" % (runs, notes, spilled))
        else:
            passed += 1
        # 2. the final bytes: counts equal kafka-python's, no finding
        import oracle
        want = oracle.merge_totals(part, [oracle.decode_file(f, cache=False)   # data of this run only
                                          for f in oracle.segment_files(part)])
        r = json.loads(subprocess.run([kaudit, "audit", "--format", "json", tmp], stdout=subprocess.PIPE).stdout)
        got = r["partitions"][0] if r["partitions"] else {}
        if (got.get("batches") == want.batches and got.get("records") == want.data_records and not r["findings"]
                and want.batches > 0 and not got.get("notes")):
            passed += 1
        else:
            failed += 1
            print("  FAIL final: kaudit %s batches %s records %d findings %s notes; kafka-python %d batches %d records"
                  % (got.get("batches"), got.get("records"), len(r["findings"]), got.get("notes"), want.batches,
                     want.data_records))
        # 3. the audited tree holds only what the writer made (kaudit wrote nothing)
        extra = [f for f in os.listdir(part) if not f.endswith(".log")]
        if extra:
            failed += 1
            print("  FAIL tree: unexpected files %s" % extra)
        else:
            passed += 1
        print("  %d runs of audit and dump overlapped the writer (%d audits spilled, %d of them saw the data "
              "change between their passes); %d notes of live changes" % (runs, spilled, changed, notes))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    passed, failed = passed + zpassed, failed + zfailed
    print("kt: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--writer":
        writer(sys.argv[2], float(sys.argv[3]))
        sys.exit(0)
    sys.exit(main())
