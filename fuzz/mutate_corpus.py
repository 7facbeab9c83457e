#!/usr/bin/python3
"""mutate_corpus.py - structure-aware mutants of real partitions, through the
ASan+UBSan build of kaudit.

libFuzzer's targets (fuzz/README.md) flip bytes; almost every flip inside a
batch breaks its checksum, so the parsers behind the checksum (records,
counts, offsets, the auditor's replay) see little of what they get. This
script edits one field of one entry of a real partition the way a buggy
writer would, recomputes the CRC (CRC-32C for v2, CRC-32 for v0/v1) so the
mutant reaches those parsers (some are left with a stale CRC on purpose),
and runs

    build/asan/kaudit audit --format json --max-examples -1 <log dir>
    build/asan/kaudit dump --records --format jsonl <partition dir>

on each, with a timeout. Run from anywhere:

    /usr/bin/python3 fuzz/mutate_corpus.py                    # 1000 mutants, seed 1, 2 at a time
    /usr/bin/python3 fuzz/mutate_corpus.py --count 200 --seed 7 --jobs 2 --max-seconds 300
    /usr/bin/python3 fuzz/mutate_corpus.py --list-ops

Sources: every partition directory of the real-broker corpus
(../shared/corpus, or --corpus) whose .log files hold at most --max-bytes
(default 256 KiB). The corpus is only read: a mutant is a copy of one
partition (all its files, their times kept: no live-broker wait) in its own
log directory under --work (default tests/artifacts/mutate-corpus/, which
git ignores). Mutants are deleted after their run unless they crashed,
timed out, printed invalid JSON or were silent (kept under <work>/kept/ with
mutation.json saying what was changed). Deterministic: mutant i depends only
on --seed and i.

Mutations (--list-ops): v2 batch header fields (base offset, length,
partition leader epoch, magic, attributes: codec, timestamp type,
transactional, control, delete horizon, unused bits; lastOffsetDelta, base
and max timestamp, producer id, epoch, base sequence, count), record fields
(length, attributes, timestamp delta, offset delta, key, value and header
lengths, header count; a record dropped, duplicated, bytes appended; the
records of a compressed batch decompressed, edited, compressed again with the
same codec), legacy message fields, and the segment's end (truncated inside
or between entries, zeros appended).

Each mutation has a class, decided from the bytes it changed:
  must    Kafka's format or replay rules say this is wrong (a count that does
          not match the records, an offset outside its batch or going back, a
          length that does not frame, a stale CRC, a cut entry): the audit
          must report something the unmutated partition did not have;
  maybe   may or may not be visible (a producer's epoch, a transactional bit,
          an offset gap): counted, not judged;
  benign  legitimately valid data (a timestamp, an unused attribute bit).

Counted: mutants, crashes (a signal, or an ASan/UBSan/LeakSanitizer report),
timeouts, invalid JSON (audit's report, any dump line), exit statuses, and
SILENT: a `must` mutant whose audit exits as the unmutated partition's did
with no finding (type, offset, severity) or problem the unmutated one lacks.
The dump is judged on `must` mutations of the bytes' format (not of the
replay rules): silent when it prints no error the unmutated dump lacks.

Exit status 1 when anything crashed, timed out, printed invalid JSON or was
silent; 0 otherwise. The summary goes to stdout and <work>/summary.json.
"""

import argparse
import collections
import gzip
import io
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

sys.dont_write_bytecode = True

from kafka.record.util import calc_crc32c

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SEGMENT_NAME = re.compile(r"^\d{20}\.log$")
HEADER = 61
SAN_MARKERS = (b"AddressSanitizer", b"LeakSanitizer", b"runtime error:", b"UndefinedBehaviorSanitizer")


# ---------------------------------------------------------------------------
# Bytes: varints, records, codecs
# ---------------------------------------------------------------------------

def read_varint(data, pos):
    shift = raw = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("varint runs past the data")
        b = data[pos]
        pos += 1
        raw |= (b & 0x7F) << shift
        if not b & 0x80:
            return (raw >> 1) ^ -(raw & 1), pos
        shift += 7


def varint(value):
    raw = ((value << 1) ^ (value >> 63)) & ((1 << 64) - 1)
    out = bytearray()
    while raw >= 0x80:
        out.append((raw & 0x7F) | 0x80)
        raw >>= 7
    out.append(raw)
    return bytes(out)


class Record(object):
    """A v2 record's fields (formats doc 1.6)."""

    def __init__(self, data):
        length, at = read_varint(data, 0)
        if length < 0 or at + length != len(data):
            raise ValueError("record length")
        self.attributes = data[at]
        self.ts_delta, at = read_varint(data, at + 1)
        self.offset_delta, at = read_varint(data, at)
        self.key, at = self._field(data, at)
        self.value, at = self._field(data, at)
        n, at = read_varint(data, at)
        if n < 0:
            raise ValueError("header count")
        self.headers = []
        for _ in range(n):
            k, at = self._field(data, at)
            v, at = self._field(data, at)
            self.headers.append((k, v))
        if at != len(data):
            raise ValueError("record body")

    @staticmethod
    def _field(data, at):
        n, at = read_varint(data, at)
        if n < 0:
            return None, at
        if at + n > len(data):
            raise ValueError("field")
        return bytes(data[at:at + n]), at + n

    @staticmethod
    def _put(value):
        return varint(-1) if value is None else varint(len(value)) + value

    def body(self, key_len=None, value_len=None, header_count=None):
        """The body; a *_len or header_count overrides what is written for it
        (the bytes stay: a length that lies)."""
        out = bytearray([self.attributes & 0xFF]) + varint(self.ts_delta) + varint(self.offset_delta)
        out += self._put(self.key) if key_len is None else varint(key_len) + (self.key or b"")
        out += self._put(self.value) if value_len is None else varint(value_len) + (self.value or b"")
        out += varint(len(self.headers) if header_count is None else header_count)
        for k, v in self.headers:
            out += self._put(k) + self._put(v)
        return bytes(out)

    def encode(self, length_delta=0, **lies):
        body = self.body(**lies)
        return varint(len(body) + length_delta) + body


def split_records(area):
    out, at = [], 0
    while at < len(area):
        n, start = read_varint(area, at)
        if n < 0 or start + n > len(area):
            raise ValueError("records do not frame")
        out.append(Record(area[at:start + n]))
        at = start + n
    return out


def zstd_decode(data):
    import zstandard
    out = io.BytesIO()
    with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True) as r:
        shutil.copyfileobj(r, out)
    return out.getvalue()


def decompress(codec, data):
    if codec == 0:
        return bytes(data)
    if codec == 1:
        return gzip.decompress(data)
    if codec == 2:
        from kafka.codec import snappy_decode
        return snappy_decode(bytes(data))
    if codec == 3:
        import lz4.frame
        return lz4.frame.decompress(bytes(data))
    if codec == 4:
        return zstd_decode(bytes(data))
    raise ValueError("codec %d" % codec)


def compress(codec, data):
    if codec == 0:
        return data
    if codec == 1:
        buf = io.BytesIO()
        with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as g:
            g.write(data)
        return buf.getvalue()
    if codec == 2:
        from kafka.codec import snappy_encode
        return snappy_encode(data, xerial_compatible=True)
    if codec == 3:
        import lz4.frame
        return lz4.frame.compress(data)
    if codec == 4:
        import zstandard
        return zstandard.ZstdCompressor().compress(data)
    raise ValueError("codec %d" % codec)


# ---------------------------------------------------------------------------
# Segments and entries
# ---------------------------------------------------------------------------

class Entry(object):
    """One entry of a segment: where it is and its header fields."""

    def __init__(self, seg, pos, data):
        self.seg, self.pos = seg, pos
        self.size = 12 + struct.unpack_from(">i", data, pos + 8)[0]
        self.magic = data[pos + 16]
        self.base_offset = struct.unpack_from(">q", data, pos)[0]
        if self.magic == 2:
            (self.ple, _, self.crc, self.attributes, self.lod, self.base_ts, self.max_ts, self.pid, self.epoch,
             self.base_seq, self.count) = struct.unpack_from(">ibIhiqqqhii", data, pos + 12)
            self.codec = self.attributes & 7
            self.last_offset = self.base_offset + self.lod
        else:
            self.codec = data[pos + 17] & 7     # offset, size, crc, magic, attributes (1.11)
            self.last_offset = self.base_offset
            self.ple = -1


def read_entries(seg_index, data):
    """The entries Kafka's framing finds before anything it would stop at."""
    out, pos = [], 0
    while pos + 17 <= len(data):
        size = struct.unpack_from(">i", data, pos + 8)[0]
        if size < 14 or data[pos + 16] > 2 or pos + 12 + size > len(data):
            break
        if data[pos + 16] == 2 and size + 12 < HEADER:
            break
        out.append(Entry(seg_index, pos, data))
        pos += 12 + size
    return out


def fix_crc(data, e):
    """Recompute the CRC of the entry at e.pos (its size as now framed)."""
    size = 12 + struct.unpack_from(">i", data, e.pos + 8)[0]
    if data[e.pos + 16] == 2:
        struct.pack_into(">I", data, e.pos + 17, calc_crc32c(bytes(data[e.pos + 21:e.pos + size])))
    else:
        struct.pack_into(">I", data, e.pos + 12, zlib.crc32(bytes(data[e.pos + 16:e.pos + size])) & 0xFFFFFFFF)


class Partition(object):
    """A source partition directory of the corpus, its segments read."""

    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        self.files = sorted(os.listdir(path))
        self.segments = []
        for f in self.files:
            if SEGMENT_NAME.match(f):
                with open(os.path.join(path, f), "rb") as fh:
                    data = fh.read()
                self.segments.append((f, data, read_entries(len(self.segments), data)))
        self.entries = [e for _, _, es in self.segments for e in es]

    def neighbours(self, e):
        i = self.entries.index(e)
        prev = self.entries[i - 1] if i > 0 else None
        nxt = self.entries[i + 1] if i + 1 < len(self.entries) else None
        return prev, nxt


def find_partitions(corpus, max_bytes):
    out = []
    for root, dirs, files in os.walk(corpus):
        dirs.sort()
        logs = [f for f in files if SEGMENT_NAME.match(f)]
        if not logs or not re.match(r"^.+-\d+$", os.path.basename(root)):
            continue
        size = sum(os.path.getsize(os.path.join(root, f)) for f in logs)
        if 0 < size <= max_bytes:
            p = Partition(root)
            if p.entries:
                out.append(p)
    return out


# ---------------------------------------------------------------------------
# Mutations. Each takes (rng, partition, entry, data) with data the entry's
# segment as a bytearray; it edits data in place and returns (description,
# class, crc) with crc "fix" (recompute), "keep" (the field lies outside
# the CRC) or "any" (the caller picks: mostly fixed, sometimes stale); or
# None when it does not apply to this entry.
# ---------------------------------------------------------------------------

OPS = []


def op(name, v2=True, legacy=False):
    def wrap(fn):
        OPS.append((name, v2, legacy, fn))
        return fn
    return wrap


def pick_int(rng, old, lo, hi):
    """A new value for a field: near the old one, a boundary, or anything."""
    choices = [old + 1, old - 1, 0, -1, lo, hi, old + rng.randint(2, 1000), old - rng.randint(2, 1000),
               rng.randint(lo, hi)]
    v = rng.choice(choices)
    v = max(lo, min(hi, v))
    return v if v != old else (old + 1 if old < hi else old - 1)


@op("base_offset", legacy=True)
def m_base_offset(rng, p, e, data):
    prev, nxt = p.neighbours(e)
    new = pick_int(rng, e.base_offset, -(1 << 63), (1 << 63) - 1)
    struct.pack_into(">q", data, e.pos, new)
    last = new + (e.lod if e.magic == 2 else 0)
    seg_base = int(p.segments[e.seg][0][:20])
    if (new < 0 or (prev and new <= prev.last_offset) or (nxt and last >= nxt.base_offset) or new < seg_base or
            last - seg_base > (1 << 31) - 1 or last >= 1 << 63):
        cls = "must"
    else:
        cls = "maybe"   # a wider gap: compaction leaves those
    return "base offset %d -> %d" % (e.base_offset, new), cls, "keep"


@op("length", legacy=True)
def m_length(rng, p, e, data):
    old = e.size - 12
    new = pick_int(rng, old, -(1 << 31), (1 << 31) - 1)
    struct.pack_into(">i", data, e.pos + 8, new)
    return "batch length %d -> %d" % (old, new), "must", "keep"


@op("partition_leader_epoch")
def m_ple(rng, p, e, data):
    new = pick_int(rng, e.ple, -(1 << 31), (1 << 31) - 1)
    struct.pack_into(">i", data, e.pos + 12, new)
    i = p.entries.index(e)
    earlier = max([x.ple for x in p.entries[:i] if x.magic == 2] or [-1])
    cls = "must" if 0 <= new < earlier else "maybe"
    return "partition leader epoch %d -> %d" % (e.ple, new), cls, "keep"


@op("magic", legacy=True)
def m_magic(rng, p, e, data):
    new = rng.choice([x for x in (0, 1, 2, 3, 0x7F, 0xFF) if x != e.magic])
    data[e.pos + 16] = new
    return "magic %d -> %d" % (e.magic, new), "must", "keep"


@op("codec", legacy=True)
def m_codec(rng, p, e, data):
    at = e.pos + (22 if e.magic == 2 else 17)
    new = rng.choice([c for c in range(8) if c != e.codec])
    data[at] = (data[at] & ~7) | new
    # A valid payload of one codec is no valid payload of another (and 5-7
    # are no codec): the records cannot be read as they were written.
    return "codec %d -> %d" % (e.codec, new), "must", "any"


@op("timestamp_type")
def m_ts_type(rng, p, e, data):
    data[e.pos + 22] ^= 0x08
    return "timestamp type flipped", "benign", "fix"


@op("transactional")
def m_txn(rng, p, e, data):
    data[e.pos + 22] ^= 0x10
    return "transactional bit flipped", "maybe", "fix"


@op("control")
def m_control(rng, p, e, data):
    data[e.pos + 22] ^= 0x20
    return "control bit flipped", "maybe", "fix"


@op("delete_horizon")
def m_horizon(rng, p, e, data):
    data[e.pos + 22] ^= 0x40
    return "delete horizon bit flipped", "maybe", "fix"


@op("unused_attribute_bits")
def m_unused(rng, p, e, data):
    data[e.pos + 21] ^= 1 << rng.randint(0, 7)
    return "an unused attribute bit (8-15) flipped", "benign", "fix"


@op("last_offset_delta")
def m_lod(rng, p, e, data):
    new = pick_int(rng, e.lod, -(1 << 31), (1 << 31) - 1)
    struct.pack_into(">i", data, e.pos + 23, new)
    _, nxt = p.neighbours(e)
    deltas = record_deltas(e, p)
    # Below the records' deltas or the count, or into the next batch: wrong.
    # A wider range alone is what the cleaner leaves (its last records gone).
    cls = "maybe"
    if new < 0 or e.count > new + 1 or (deltas and max(deltas) > new):
        cls = "must"
    elif nxt is not None and e.base_offset + new >= nxt.base_offset:
        cls = "must"
    elif e.base_offset + new - int(p.segments[e.seg][0][:20]) > (1 << 31) - 1 or e.base_offset + new >= 1 << 63:
        cls = "must"    # past what the segment's indexes can hold
    return "lastOffsetDelta %d -> %d" % (e.lod, new), cls, "any"


@op("base_timestamp")
def m_base_ts(rng, p, e, data):
    new = pick_int(rng, e.base_ts, -(1 << 63), (1 << 63) - 1)
    struct.pack_into(">q", data, e.pos + 27, new)
    return "base timestamp %d -> %d" % (e.base_ts, new), "maybe", "any"


@op("max_timestamp")
def m_max_ts(rng, p, e, data):
    new = pick_int(rng, e.max_ts, -(1 << 63), (1 << 63) - 1)
    struct.pack_into(">q", data, e.pos + 35, new)
    return "max timestamp %d -> %d" % (e.max_ts, new), "maybe", "any"


@op("producer_id")
def m_pid(rng, p, e, data):
    new = pick_int(rng, e.pid, -1, (1 << 63) - 1)
    struct.pack_into(">q", data, e.pos + 43, new)
    return "producer id %d -> %d" % (e.pid, new), "maybe", "any"


@op("producer_epoch")
def m_epoch(rng, p, e, data):
    new = pick_int(rng, e.epoch, -(1 << 15), (1 << 15) - 1)
    struct.pack_into(">h", data, e.pos + 51, new)
    return "producer epoch %d -> %d" % (e.epoch, new), "maybe", "any"


@op("base_sequence")
def m_seq(rng, p, e, data):
    new = pick_int(rng, e.base_seq, -(1 << 31), (1 << 31) - 1)
    struct.pack_into(">i", data, e.pos + 53, new)
    return "base sequence %d -> %d" % (e.base_seq, new), "maybe", "any"


@op("count")
def m_count(rng, p, e, data):
    new = pick_int(rng, e.count, -(1 << 31), (1 << 31) - 1)
    struct.pack_into(">i", data, e.pos + 57, new)
    # The records stay: any other count disagrees with them (an empty
    # batch's bare header now declares records it does not hold).
    return "recordsCount %d -> %d" % (e.count, new), "must", "any"


@op("legacy_key_length", v2=False, legacy=True)
def m_legacy_key(rng, p, e, data):
    at = e.pos + 12 + 4 + 2 + (8 if e.magic == 1 else 0)
    old = struct.unpack_from(">i", data, at)[0]
    new = pick_int(rng, old, -(1 << 31), (1 << 31) - 1)
    if old < 0 and new < 0:
        return None
    struct.pack_into(">i", data, at, new)
    return "legacy key length %d -> %d" % (old, new), "must", "any"


@op("legacy_timestamp", v2=False, legacy=True)
def m_legacy_ts(rng, p, e, data):
    if e.magic != 1:
        return None
    at = e.pos + 18
    old = struct.unpack_from(">q", data, at)[0]
    new = pick_int(rng, old, -(1 << 63), (1 << 63) - 1)
    struct.pack_into(">q", data, at, new)
    return "v1 timestamp %d -> %d" % (old, new), "maybe", "any"


# ---- records: decompressed, edited, compressed again ------------------------

def record_deltas(e, p):
    """The offset deltas of e's records, or None when they cannot be read."""
    try:
        data = p.segments[e.seg][1]
        recs = split_records(decompress(e.codec, data[e.pos + HEADER:e.pos + e.size]))
        return [r.offset_delta for r in recs]
    except Exception:
        return None


def rewrite_records(data, e, area, count=None):
    """Replace e's records area (compressed again with its codec); returns
    the new entry bytes' length change. The count is set when given."""
    payload = compress(e.codec, bytes(area))
    start, end = e.pos + HEADER, e.pos + e.size
    data[start:end] = payload
    struct.pack_into(">i", data, e.pos + 8, HEADER - 12 + len(payload))
    if count is not None:
        struct.pack_into(">i", data, e.pos + 57, count)
    return len(payload) - (end - start)


def records_op(name):
    """A record mutation: fn(rng, e, recs) returns (area bytes, count or None,
    description, class) or None."""
    def wrap(fn):
        def run(rng, p, e, data):
            if e.count <= 0 or e.size <= HEADER:
                return None
            try:
                recs = split_records(decompress(e.codec, data[e.pos + HEADER:e.pos + e.size]))
            except Exception:
                return None
            if len(recs) != e.count or not recs:
                return None
            got = fn(rng, e, recs)
            if got is None:
                return None
            area, count, what, cls = got
            if cls == "must" and valid_records(area, e.count if count is None else count, e.lod):
                cls = "maybe"   # the lie happens to read as valid records (an empty key now null, ...)
            try:
                rewrite_records(data, e, area, count)
            except Exception:
                return None
            codec = " (%s batch)" % ("none", "gzip", "snappy", "lz4", "zstd")[e.codec]
            return what + codec, cls, "any"
        OPS.append((name, True, False, run))
        return run
    return wrap


def valid_records(area, count, lod):
    """Would Kafka's rules accept these records: they frame, there are
    `count` of them, offset deltas increasing within [0, lod]?"""
    try:
        recs = split_records(area)
    except Exception:
        return False
    deltas = [r.offset_delta for r in recs]
    return (len(recs) == count and all(0 <= d <= lod for d in deltas) and
            all(a < b for a, b in zip(deltas, deltas[1:])))


def join(recs, i=None, rec_bytes=None):
    return b"".join(rec_bytes if j == i else r.encode() for j, r in enumerate(recs))


@records_op("record_offset_delta")
def r_offset_delta(rng, e, recs):
    i = rng.randrange(len(recs))
    old = recs[i].offset_delta
    new = rng.choice([-1, -old - 1, old - 1, old + 1, e.lod, e.lod + 1, recs[i - 1].offset_delta if i else 0,
                      rng.randint(-(1 << 31), (1 << 31) - 1)])
    if new == old:
        new = old + 1
    deltas = [r.offset_delta for r in recs]
    deltas[i] = new
    ok = all(0 <= d <= e.lod for d in deltas) and all(a < b for a, b in zip(deltas, deltas[1:]))
    recs[i].offset_delta = new
    return join(recs), None, "record %d offsetDelta %d -> %d" % (i, old, new), "maybe" if ok else "must"


@records_op("record_timestamp_delta")
def r_ts_delta(rng, e, recs):
    i = rng.randrange(len(recs))
    old = recs[i].ts_delta
    recs[i].ts_delta = pick_int(rng, old, -(1 << 63), (1 << 63) - 1)
    return join(recs), None, "record %d timestampDelta %d -> %d" % (i, old, recs[i].ts_delta), "maybe"


@records_op("record_attributes")
def r_attributes(rng, e, recs):
    i = rng.randrange(len(recs))
    recs[i].attributes ^= 1 << rng.randint(0, 7)
    return join(recs), None, "record %d attributes flipped (unused by Kafka)" % i, "benign"


@records_op("record_length")
def r_length(rng, e, recs):
    i = rng.randrange(len(recs))
    d = rng.choice([-2, -1, 1, 2, 100, -(1 << 20)])
    return join(recs, i, recs[i].encode(length_delta=d)), None, "record %d length %+d" % (i, d), "must"


@records_op("record_key_length")
def r_key_length(rng, e, recs):
    i = rng.randrange(len(recs))
    old = -1 if recs[i].key is None else len(recs[i].key)
    # (not 0 for a null key: those would be valid bytes, an empty key)
    new = rng.choice([old + 1, old - 1, old + 100, -2, 1 << 30]) if old >= 0 else rng.choice([1, 5, 1 << 30])
    if new < 0 and old < 0:
        return None
    return join(recs, i, recs[i].encode(key_len=new)), None, "record %d key length %d -> %d" % (i, old, new), "must"


@records_op("record_value_length")
def r_value_length(rng, e, recs):
    i = rng.randrange(len(recs))
    old = -1 if recs[i].value is None else len(recs[i].value)
    # (not 0 for a null value: those would be valid bytes, an empty value)
    new = rng.choice([old + 1, old - 1, old + 100, -2, 1 << 30]) if old >= 0 else rng.choice([1, 5, 1 << 30])
    if new < 0 and old < 0:
        return None
    return (join(recs, i, recs[i].encode(value_len=new)), None,
            "record %d value length %d -> %d" % (i, old, new), "must")


@records_op("record_header_count")
def r_header_count(rng, e, recs):
    i = rng.randrange(len(recs))
    old = len(recs[i].headers)
    new = rng.choice([old + 1, old - 1, -1, 1 << 20])
    if new == old:
        return None
    return (join(recs, i, recs[i].encode(header_count=new)), None,
            "record %d header count %d -> %d" % (i, old, new), "must")


@records_op("record_dropped")
def r_dropped(rng, e, recs):
    i = rng.randrange(len(recs))
    keep_count = rng.random() < 0.5
    area = b"".join(r.encode() for j, r in enumerate(recs) if j != i)
    if keep_count:
        return area, None, "record %d dropped, recordsCount kept" % i, "must"
    # What the cleaner does: fewer records, deltas with a gap, the range kept.
    return area, e.count - 1, "record %d dropped, recordsCount %d" % (i, e.count - 1), "benign"


@records_op("record_duplicated")
def r_duplicated(rng, e, recs):
    i = rng.randrange(len(recs))
    recs = recs[:i + 1] + recs[i:]
    bump = rng.random() < 0.5
    return (join(recs), e.count + 1 if bump else None,
            "record %d duplicated%s" % (i, ", recordsCount +1" if bump else ""), "must")


@records_op("records_trailing_bytes")
def r_trailing(rng, e, recs):
    extra = bytes(rng.choice([[0], [0, 0, 0], [2, 0], [rng.randrange(256) for _ in range(rng.randint(1, 9))]]))
    return join(recs) + extra, None, "%d bytes after the last record" % len(extra), "must"


# ---- the segment's end -------------------------------------------------------

@op("truncate", legacy=True)
def m_truncate(rng, p, e, data):
    cut = e.pos + rng.randint(1, e.size - 1) if rng.random() < 0.7 else e.pos + e.size
    del data[cut:]
    inside = cut < e.pos + e.size
    return ("segment truncated at %d (%s)" % (cut, "inside the entry at %d" % e.pos if inside else "after an entry"),
            "must" if inside else "maybe", "keep")


@op("zeros_appended", legacy=True)
def m_zeros(rng, p, e, data):
    n = rng.choice([1, 5, 16, 17, 61, 4096])
    data += bytes(n)
    return "%d zero bytes appended to the segment" % n, "must", "keep"


# ---------------------------------------------------------------------------
# Running kaudit
# ---------------------------------------------------------------------------

def run_one(kaudit, args, timeout):
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0", UBSAN_OPTIONS="print_stacktrace=1")
    t0 = time.monotonic()
    try:
        p = subprocess.run([kaudit] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"timeout": True, "seconds": timeout}
    return {"rc": p.returncode, "stdout": p.stdout, "stderr": p.stderr, "seconds": time.monotonic() - t0,
            "sanitizer": any(m in p.stderr for m in SAN_MARKERS), "timeout": False}


def judge_audit(res):
    """(findings Counter, problems count, invalid-JSON reason or None)."""
    try:
        r = json.loads(res["stdout"])
        keys = collections.Counter((f["type"], f.get("offset"), f["severity"]) for f in r["findings"])
        omitted = r.get("findings_omitted") or {}
        return keys, len(r.get("problems") or []) + (1 if omitted else 0), None
    except Exception as err:
        return collections.Counter(), 0, "audit report: %s: %s" % (type(err).__name__, err)


def judge_dump(res):
    codes = collections.Counter()
    for n, line in enumerate(res["stdout"].splitlines(), 1):
        try:
            o = json.loads(line)
        except Exception as err:
            return codes, "dump line %d: %s" % (n, err)
        if o.get("type") == "error":
            codes[o.get("code")] += 1
    return codes, None


def baseline(args, p):
    """The unmutated partition's audit and dump, as judged."""
    d = os.path.join(args.work, "baseline", p.name + "-%08x" % (zlib.crc32(p.path.encode()) & 0xFFFFFFFF))
    logdir = os.path.join(d, "logdir")
    part = os.path.join(logdir, p.name)
    shutil.copytree(p.path, part)
    a = run_one(args.kaudit, ["audit", "--format", "json", "--max-examples", "-1", logdir], args.timeout)
    u = run_one(args.kaudit, ["dump", "--records", "--format", "jsonl", part], args.timeout)
    shutil.rmtree(d, ignore_errors=True)
    if a["timeout"] or u["timeout"]:
        return None
    fa, pa, _ = judge_audit(a)
    fu, _ = judge_dump(u)
    return {"audit_rc": a["rc"], "audit": fa, "problems": pa, "dump_rc": u["rc"], "dump": fu,
            "crashed": a["rc"] < 0 or u["rc"] < 0 or a["sanitizer"] or u["sanitizer"]}


# Mutations of the bytes' format, which the dump (no replay) must see too.
FORMAT_OPS = {"length", "magic", "codec", "count", "record_offset_delta", "record_length",
              "record_key_length", "record_value_length", "record_header_count", "record_dropped",
              "record_duplicated", "records_trailing_bytes", "truncate", "zeros_appended", "legacy_key_length"}


def make_mutant(args, parts, i):
    """Mutant i: (partition, op name, description, class, crc state,
    segment name, bytes), or None when no op applied after some tries."""
    rng = random.Random("%d-%d" % (args.seed, i))
    ops = [o for o in OPS if not args.ops or o[0] in args.ops]
    for _ in range(50):
        p = rng.choice(parts)
        e = rng.choice(p.entries)
        name, v2, legacy, fn = rng.choice(ops)
        if (e.magic == 2 and not v2) or (e.magic < 2 and not legacy):
            continue
        data = bytearray(p.segments[e.seg][1])
        got = fn(rng, p, e, data)
        if got is None:
            continue
        what, cls, crc = got
        if crc == "any":
            crc = "stale" if rng.random() < args.stale else "fix"
        if crc == "fix":
            fix_crc(data, e)
        elif crc == "stale":
            cls = "must"    # a checksum that does not match is always reported
        if bytes(data) == p.segments[e.seg][1]:
            continue
        index = os.path.join(p.path, p.segments[e.seg][0][:20] + ".index")
        if (cls == "benign" and len(data) != len(p.segments[e.seg][1]) and os.path.exists(index) and
                os.path.getsize(index) > 0):
            cls = "maybe"   # the entries after it moved: the .index may point at their old positions
        return p, name, what, cls, crc, p.segments[e.seg][0], e.pos, bytes(data)
    return None


def run_mutant(args, parts, bases, i, lock, stats):
    m = make_mutant(args, parts, i)
    if m is None:
        with lock:
            stats["not_made"] += 1
        return
    p, name, what, cls, crc, seg, pos, data = m
    d = os.path.join(args.work, "m%05d" % i)
    logdir = os.path.join(d, "logdir")
    part = os.path.join(logdir, p.name)
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(p.path, part)          # copy2: the corpus's old times, no live wait
    path = os.path.join(part, seg)
    st = os.stat(path)
    with open(path, "wb") as f:
        f.write(data)
    os.utime(path, (st.st_atime, st.st_mtime))
    a = run_one(args.kaudit, ["audit", "--format", "json", "--max-examples", "-1", logdir], args.timeout)
    u = run_one(args.kaudit, ["dump", "--records", "--format", "jsonl", part], args.timeout)
    base = bases[p.path]
    verdicts = []
    info = {"mutant": i, "partition": os.path.relpath(p.path, args.corpus), "segment": seg, "entry_position": pos,
            "op": name, "mutation": what, "class": cls, "crc": crc}
    for tool, res in (("audit", a), ("dump", u)):
        if res["timeout"]:
            verdicts.append("timeout")
            info[tool] = "timeout after %d s" % args.timeout
            continue
        info[tool + "_rc"] = res["rc"]
        if res["rc"] < 0 or res["sanitizer"]:
            verdicts.append("crash")
            info[tool + "_stderr"] = res["stderr"].decode("utf-8", "replace")[-3000:]
    if not a["timeout"] and not u["timeout"]:
        fa, pa, bad_a = judge_audit(a)
        fu, bad_u = judge_dump(u)
        if bad_a or bad_u:
            verdicts.append("invalid_json")
            info["invalid_json"] = bad_a or bad_u
        new_findings = fa - base["audit"]
        new_dump = fu - base["dump"]
        info["new_findings"] = sorted("%s@%s(%s)" % k for k in new_findings)
        info["new_dump_errors"] = sorted(new_dump)
        audit_silent = not new_findings and pa <= base["problems"] and a["rc"] == base["audit_rc"]
        dump_silent = not new_dump and u["rc"] == base["dump_rc"]
        if cls == "must" and audit_silent and not bad_a:
            verdicts.append("silent")
        if cls == "must" and (name in FORMAT_OPS or crc == "stale") and dump_silent and not bad_u:
            verdicts.append("dump_silent")
        if cls == "benign" and not audit_silent:
            verdicts.append("benign_reported")  # valid data reported: a false finding, or a wrong class here
        with lock:
            stats["audit_exit"][a["rc"]] += 1
            stats["dump_exit"][u["rc"]] += 1
            stats["class"][cls] += 1
            stats["crc"][crc] += 1
            stats["op"][name] += 1
            if cls != "must" and not audit_silent:
                stats["reported_" + cls] += 1
            if cls == "must" and not audit_silent:
                stats["must_reported"] += 1
    with lock:
        stats["mutants"] += 1
        stats["seconds"] += sum(r.get("seconds", 0) for r in (a, u))
        for v in verdicts:
            stats[v] += 1
        if verdicts:
            stats["examples"].append(dict(info, verdicts=verdicts))
        if stats["mutants"] % 100 == 0:
            sys.stderr.write("mutate_corpus: %d mutants, %d crashes, %d timeouts, %d invalid JSON, %d silent\n"
                             % (stats["mutants"], stats["crash"], stats["timeout"], stats["invalid_json"],
                                stats["silent"]))
    if verdicts and not (set(verdicts) <= {"dump_silent"} and not args.keep_dump_silent):
        kept = os.path.join(args.work, "kept", "m%05d" % i)
        shutil.rmtree(kept, ignore_errors=True)
        os.makedirs(os.path.dirname(kept), exist_ok=True)
        shutil.move(d, kept)
        with open(os.path.join(kept, "mutation.json"), "w") as f:
            json.dump(dict(info, verdicts=verdicts), f, indent=1, default=str)
    else:
        shutil.rmtree(d, ignore_errors=True)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=os.path.normpath(os.path.join(REPO, "..", "shared", "corpus")))
    ap.add_argument("--kaudit", default=os.path.join(REPO, "build", "asan", "kaudit"))
    ap.add_argument("--work", default=os.path.join(REPO, "tests", "artifacts", "mutate-corpus"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=1000, help="mutants to make (default 1000)")
    ap.add_argument("--start", type=int, default=0, help="first mutant number (to replay one: --start N --count 1)")
    ap.add_argument("--jobs", type=int, default=2, help="kaudit runs at a time (default 2)")
    ap.add_argument("--timeout", type=int, default=30, help="seconds per kaudit run (default 30)")
    ap.add_argument("--max-seconds", type=float, default=1800, help="stop starting mutants after this (default 1800)")
    ap.add_argument("--max-bytes", type=int, default=256 << 10, help="largest partition (.log bytes) used")
    ap.add_argument("--stale", type=float, default=0.15, help="share of CRC-covered mutations left with a stale CRC")
    ap.add_argument("--ops", nargs="*", help="only these mutations (see --list-ops)")
    ap.add_argument("--list-ops", action="store_true")
    ap.add_argument("--keep-dump-silent", action="store_true", help="keep mutants only the dump was silent on")
    args = ap.parse_args(argv[1:])
    if args.list_ops:
        for name, v2, legacy, _ in OPS:
            print("%-24s %s" % (name, "/".join(x for x, y in (("v2", v2), ("v0/v1", legacy)) if y)))
        return 0
    if not os.access(args.kaudit, os.X_OK):
        sys.stderr.write("mutate_corpus: %s is not built (make build/asan/kaudit)\n" % args.kaudit)
        return 2
    args.corpus = os.path.abspath(args.corpus)
    args.work = os.path.abspath(args.work)
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    # A copy: a rebuild of the tree during the run (make replaces the file)
    # must not change the binary under test, or make it vanish.
    shown = os.path.relpath(args.kaudit, REPO)
    args.kaudit = shutil.copy2(args.kaudit, os.path.join(args.work, "kaudit"))
    t0 = time.monotonic()
    parts = find_partitions(args.corpus, args.max_bytes)
    if not parts:
        sys.stderr.write("mutate_corpus: no partition of at most %d bytes under %s\n" % (args.max_bytes, args.corpus))
        return 2
    lock = threading.Lock()
    # The unmutated partitions' reports: of every partition, or for a short
    # run (a replay) only of those its mutants use.
    used = parts
    if args.count < len(parts):
        paths = {m[0].path for m in (make_mutant(args, parts, i) for i in range(args.start, args.start + args.count))
                 if m is not None}
        used = [p for p in parts if p.path in paths]
    with ThreadPoolExecutor(args.jobs) as pool:
        bases = dict(zip([p.path for p in used], pool.map(lambda p: baseline(args, p), used)))
    broken = [p for p in used if bases[p.path] is None or bases[p.path]["crashed"]]
    if broken:
        # A partition kaudit fails on unmutated would change which mutant
        # is which: stop and say so.
        sys.stderr.write("mutate_corpus: the unmutated partitions crash or time out: %s\n"
                         % ", ".join(os.path.relpath(p.path, args.corpus) for p in broken))
        return 1
    stats = collections.defaultdict(int)
    for k in ("audit_exit", "dump_exit", "class", "crc", "op"):
        stats[k] = collections.Counter()
    stats["examples"] = []
    deadline = t0 + args.max_seconds
    with ThreadPoolExecutor(args.jobs) as pool:
        futures = []
        for i in range(args.start, args.start + args.count):
            futures.append(pool.submit(lambda n: time.monotonic() < deadline and
                                       run_mutant(args, parts, bases, n, lock, stats), i))
        for f in futures:
            f.result()
    elapsed = time.monotonic() - t0
    order = ("crash", "timeout", "invalid_json", "silent", "dump_silent")
    stats["examples"].sort(key=lambda x: x["mutant"])
    summary = {
        "date": time.strftime("%Y-%m-%d"), "seed": args.seed, "start": args.start, "count": args.count,
        "jobs": args.jobs, "timeout": args.timeout, "kaudit": shown,
        "source_partitions": len(parts),
        "seconds": round(elapsed, 1), "kaudit_seconds": round(stats["seconds"], 1), "mutants": stats["mutants"],
        "not_made": stats["not_made"], "not_run_time_limit": args.count - stats["mutants"] - stats["not_made"],
        "by_class": dict(stats["class"]), "by_crc": dict(stats["crc"]), "by_op": dict(sorted(stats["op"].items())),
        "must_reported": stats["must_reported"], "maybe_reported": stats["reported_maybe"],
        "benign_reported": stats["reported_benign"],
        "audit_exit": {str(k): v for k, v in sorted(stats["audit_exit"].items())},
        "dump_exit": {str(k): v for k, v in sorted(stats["dump_exit"].items())},
    }
    for v in order:
        summary[v] = stats[v]
    summary["examples"] = stats["examples"]
    with open(os.path.join(args.work, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, default=str)
    print("mutate_corpus: seed %d, %d mutants of %d partitions in %.0f s (%d jobs, kaudit %s)"
          % (args.seed, summary["mutants"], len(parts), elapsed, args.jobs, summary["kaudit"]))
    print("  classes %s; CRC %s" % (summary["by_class"], summary["by_crc"]))
    print("  audit exit %s; dump exit %s" % (summary["audit_exit"], summary["dump_exit"]))
    print("  must mutants reported by the audit: %d; maybe reported: %d; benign reported: %d"
          % (summary["must_reported"], summary["maybe_reported"], summary["benign_reported"]))
    print("  crashes %d, timeouts %d, invalid JSON %d, silent %d (dump silent on a format mutation: %d)"
          % tuple(summary[v] for v in order))
    for x in summary["examples"]:
        if set(x["verdicts"]) - {"dump_silent"}:
            print("  m%05d %s: %s %s: %s [%s, crc %s]" % (x["mutant"], "+".join(x["verdicts"]), x["partition"],
                                                       x["segment"], x["mutation"], x["class"], x["crc"]))
    print("  details: %s" % os.path.relpath(os.path.join(args.work, "summary.json"), os.getcwd()))
    bad = sum(summary[v] for v in ("crash", "timeout", "invalid_json", "silent"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
