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


def main():
    os.chdir(REPO)
    kaudit = os.environ.get("KAUDIT", "./kaudit")
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
            # Every other audit with a 96 KiB index: spilled, so two passes
            # over data that changes between them.
            for cmd in ([kaudit, "audit", "--format", "json", "--jobs", "2", tmp],
                        [kaudit, "audit", "--format", "json", "--jobs", "1", "--max-memory", "96K", tmp],
                        [kaudit, "dump", "--format", "jsonl", "--records", part]):
                if "96K" in cmd and runs % 2:
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
    print("kt: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--writer":
        writer(sys.argv[2], float(sys.argv[3]))
        sys.exit(0)
    sys.exit(main())
