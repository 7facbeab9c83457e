"""test_pipeline.py - one partition read by several threads (engine/pipeline.h)
gives the report reading in order gives, byte for byte but for generated_at
and duration_ms: the fixtures and a multi-segment partition written by
bench/gen.c (clean, and damaged in the ways the parts must agree on: a bad
checksum, a bad checksum followed by an offset below the last good one, an
entry that breaks the framing mid-segment, a record area that does not
parse, a zero-filled and a truncated tail) are audited at --jobs 1, 2 and 4
and with the pipeline forced off and on (KAUDIT_PIPELINE), in parts as small
as one entry (KAUDIT_PART_BYTES), so that every part boundary meets every
damage. No timing is measured here (bench/run.sh does)."""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

from checks import check, done

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KAUDIT = os.environ.get("KAUDIT", "./kaudit")
TAG = os.environ.get("KT_TAG", "")

# (name, environment): the reference first.
OFF = {"KAUDIT_PIPELINE": "off"}
FORCED = [
    ("1 worker, parts of one entry", {"KAUDIT_PIPELINE": "1", "KAUDIT_PART_BYTES": "1"}),
    ("3 workers, parts of one entry", {"KAUDIT_PIPELINE": "3", "KAUDIT_PART_BYTES": "1"}),
    ("2 workers, parts of 20 KB", {"KAUDIT_PIPELINE": "2", "KAUDIT_PART_BYTES": "20000"}),
    ("2 workers, default parts", {"KAUDIT_PIPELINE": "2"}),
]


def audit(paths, jobs, env_extra):
    env = {k: v for k, v in os.environ.items() if k not in ("KAUDIT_PIPELINE", "KAUDIT_PART_BYTES")}
    env.update(env_extra)
    p = subprocess.run([KAUDIT, "audit", "--jobs", str(jobs), "--format", "json", "--fail-on", "none"] + paths,
                       cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode < 0 or "Sanitizer" in err or "runtime error" in err:
        return None, "signal %d or a sanitizer report: %s" % (-p.returncode, err[-600:])
    text = p.stdout.decode("utf-8", "replace")
    text = re.sub(r'"generated_at":"[^"]*"', '"generated_at":""', text)
    text = re.sub(r'"duration_ms":[0-9]+', '"duration_ms":0', text)
    return text, err


def same_everywhere(name, paths, single):
    """Audit `paths` every way; each report must equal the reference's.
    `single`: one partition, so --jobs 2 and 4 leave threads to spare."""
    ref, err = audit(paths, 1, OFF)
    ok = ref is not None and ref.startswith("{")
    check("%s: reference audit runs" % name, ok, str(err)[-300:])
    if not ok:
        return None
    ways = [("--jobs %d" % j, j, {}) for j in ((1, 2, 4) if single else (1, 4))]
    ways += [(w, 1, env) for w, env in FORCED]
    ways.append(("--jobs 2, pipeline forced off", 2, OFF))
    for way, jobs, env in ways:
        got, err = audit(paths, jobs, env)
        detail = str(err)[-300:] if got is None else first_difference(ref, got)
        check("%s: %s gives the same report" % (name, way), got == ref, detail)
    return json.loads(ref)


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return "at byte %d: ...%s... vs ...%s..." % (i, a[max(0, i - 80):i + 80], b[max(0, i - 80):i + 80])
    return "lengths %d and %d" % (len(a), len(b))


def entries(path):
    """(position, size field) of each entry of a sound segment."""
    data = open(path, "rb").read()
    out, at = [], 0
    while at + 12 <= len(data):
        size = struct.unpack(">i", data[at + 8:at + 12])[0]
        out.append((at, size))
        at += 12 + size
    return out


def patch(path, at, data):
    with open(path, "r+b") as f:
        f.seek(at)
        f.write(data)


def details(report):
    return [f.get("message", "") + " " + f.get("detail", "") for f in report.get("findings", [])]


def generated(tmp):
    """A multi-segment partition of each codec from bench/gen.c, and damaged
    copies of the uncompressed one."""
    gen = os.path.join(tmp, "gen")
    cc = os.environ.get("CC", "cc")
    p = subprocess.run([cc, "-O2", "-std=c11", "-D_GNU_SOURCE", "-I.", "-o", gen, "bench/gen.c", "reader/crc.c",
                        "-lzstd", "-llz4", "-lsnappy", "-lz", "-pthread"], cwd=REPO,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    check("bench/gen.c builds", p.returncode == 0, p.stdout.decode()[-300:])
    if p.returncode != 0:
        return {}
    made = {}
    for codec, mb in (("none", 5), ("zstd", 10), ("lz4", 3)):
        d = os.path.join(tmp, codec)
        p = subprocess.run([gen, d, codec, str(mb), "1", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        made[codec] = os.path.join(d, "bench-%s-0" % codec)
        segs = sorted(os.listdir(made[codec])) if p.returncode == 0 else []
        check("gen writes %s in %d+ segments" % (codec, 3 if codec == "none" else 2),
              p.returncode == 0 and len(segs) >= (3 if codec == "none" else 2), str(segs))
    clean = made.get("none")
    if not clean:
        return made

    def copy(name):
        d = os.path.join(tmp, "damaged", name, "bench-none-0")
        shutil.copytree(clean, d)
        return d, sorted(os.path.join(d, f) for f in os.listdir(d))

    # A bad checksum mid-segment: a payload byte flipped.
    d, segs = copy("crc")
    e = entries(segs[1])
    at, size = e[len(e) // 2]
    patch(segs[1], at + 12 + size - 5, b"\xff")
    made["crc"] = d
    # A bad checksum, then an entry whose offset field (outside the
    # checksum) is below the last good base offset: the reading in order
    # stops there, finding no plausible entry.
    d, segs = copy("crc-then-regression")
    e = entries(segs[0])
    at, size = e[len(e) // 3]
    patch(segs[0], at + 12 + size - 5, b"\xff")
    patch(segs[0], e[len(e) // 3 + 1][0], struct.pack(">q", 0))
    made["crc-then-regression"] = d
    # Two bad checksums in a row, the second entry's offset regressing:
    # the check falls inside a part that has no good entry of its own.
    d, segs = copy("two-crc-then-regression")
    e = entries(segs[1])
    i = len(e) // 2
    for k in (i, i + 1):
        patch(segs[1], e[k][0] + 12 + e[k][1] - 5, b"\x00\x01")
    patch(segs[1], e[i + 2][0], struct.pack(">q", 1))
    made["two-crc-then-regression"] = d
    # An absurd length mid-segment: no entry boundary can be trusted after it.
    d, segs = copy("absurd-length")
    e = entries(segs[1])
    patch(segs[1], e[len(e) // 4][0] + 8, struct.pack(">i", 0x7ffffff0))
    made["absurd-length"] = d
    # A codec the format does not have (7): the entry does not parse, the
    # reading goes on at the next one.
    d, segs = copy("bad-codec")
    e = entries(segs[2])
    at = e[len(e) // 2][0]
    patch(segs[2], at + 22, b"\x07")
    made["bad-codec"] = d
    # A zero-filled tail and a cut last entry.
    d, segs = copy("zero-tail")
    with open(segs[-1], "ab") as f:
        f.write(b"\0" * 5000)
    made["zero-tail"] = d
    d, segs = copy("truncated")
    with open(segs[-1], "r+b") as f:
        f.truncate(os.path.getsize(segs[-1]) - 777)
    made["truncated"] = d
    return made


def large_batches(tmp):
    """A partition whose gzip batches of zeros (12 MiB each) decompress to more than the
    parts may hold (read in order from there), between ordinary ones."""
    from kafka.record.default_records import DefaultRecordBatchBuilder
    d = os.path.join(tmp, "large", "large-0")
    os.makedirs(d)
    with open(os.path.join(d, "00000000000000000000.log"), "wb") as f:
        offset = 0
        for i in range(12):
            b = DefaultRecordBatchBuilder(magic=2, compression_type=1, is_transactional=False, producer_id=-1,
                                          producer_epoch=-1, base_sequence=-1, batch_size=1 << 30)
            values = [b"\0" * (12 << 20)] if i % 3 == 1 else [b"value-%d-%d" % (i, k) for k in range(20)]
            for k, v in enumerate(values):
                b.append(k, timestamp=1700000000000 + i, key=b"k%d" % (k % 7), value=v, headers=[])
            raw = bytes(b.build())
            f.write(struct.pack(">q", offset) + raw[8:])
            offset += len(values)
    return d


def large_entries(tmp):
    """A partition whose uncompressed batches of 6 MiB (past the parts' size and
    the 4 MiB a worker may hold) lie between ordinary ones: those parts are read
    in order by the auditing thread, never held in a worker's window."""
    from kafka.record.default_records import DefaultRecordBatchBuilder
    d = os.path.join(tmp, "large-entries", "large-entries-0")
    os.makedirs(d)
    with open(os.path.join(d, "00000000000000000000.log"), "wb") as f:
        offset = 0
        for i in range(9):
            b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False, producer_id=-1,
                                          producer_epoch=-1, base_sequence=-1, batch_size=1 << 30)
            values = [(b"%d-" % i) * (3 << 20)] if i % 3 == 1 else [b"value-%d-%d" % (i, k) for k in range(20)]
            for k, v in enumerate(values):
                b.append(k, timestamp=1700000000000 + i, key=b"k%d" % (k % 7), value=v, headers=[])
            raw = bytes(b.build())
            f.write(struct.pack(">q", offset) + raw[8:])
            offset += len(values)
    return d


def main():
    fixture_sets = [os.path.join("fixtures", d) for d in ("audit", "corrupt", "segments", "mutants", "groups")]
    for d in fixture_sets:
        check("%s exists" % d, os.path.isdir(os.path.join(REPO, d)))
        same_everywhere(d, [d], single=False)
    for one in ("fixtures/audit/29-multi-segment-clean", "fixtures/audit/23-corrupt-and-truncated",
                "fixtures/corrupt/crc-zstd-payload-bitflip"):
        same_everywhere(one, [one], single=True)
    tmp = tempfile.mkdtemp(prefix="kt-pipeline-")
    try:
        made = generated(tmp)
        try:
            made["large"] = large_batches(tmp)
            made["large-entries"] = large_entries(tmp)
        except ImportError as err:
            check("kafka-python for the large batches", False, str(err))
        expect = {
            "crc": "CRC-32C",
            "crc-then-regression": "no plausible entry follows the corrupt one",
            "two-crc-then-regression": "no plausible entry follows the corrupt one",
            "absurd-length": "absurd entry length",
            "bad-codec": "compression",
            "zero-tail": "zero-filled",
            "truncated": "partial entry at the end",
        }
        for name, path in sorted(made.items()):
            report = same_everywhere("generated " + name, [path], single=True)
            if report is None:
                continue
            said = " | ".join(details(report))
            if name in expect:
                check("generated %s: the reference says %r" % (name, expect[name]), expect[name] in said, said[:400])
            else:
                check("generated %s: clean of damage" % name,
                      not any(f["type"] in ("corrupt_batch", "truncated_batch") for f in report["findings"]),
                      said[:400])
            want = {"large": 164, "large-entries": 123}.get(name, 1000)
            check("generated %s: records were audited" % name,
                  report["partitions"][0]["records"] >= want, str(report["partitions"][0].get("records")))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
