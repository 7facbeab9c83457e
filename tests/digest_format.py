"""digest_format.py - docs/digest.md in Python: a second reader (and writer) of kaudit digests.

Written from the format document, not from kaudit's C, so that a test can hold kaudit's
digests against what kafka-python reads from the same segments, and the benchmark can
make digests of clusters that do not exist (bench/gen_digests.py).

    d = decode(open(path, "rb").read())   # raises ValueError on anything the document forbids
    d["dirs"], d["parts"] (each with "batches" and "producers"), d["end"]
    data = encode(dirs, parts)            # the same structures back to bytes
"""

import struct

import xxhash

MAGIC = b"KAUDITDG"
VERSION = 1
CHUNK = 1024
PART_INTS = ("kafka_log_start", "log_start", "log_end", "high_watermark", "last_segment_base",
             "last_segment_size", "segments", "batches", "records", "control_records", "bytes",
             "min_timestamp", "max_timestamp")
F_TXN, F_CONTROL, F_PRODUCER, F_COMMIT, F_ABORT = 1, 2, 4, 8, 64


class Reader:
    def __init__(self, data, pos=0, end=None):
        self.data, self.pos, self.end = data, pos, len(data) if end is None else end

    def byte(self):
        if self.pos >= self.end:
            raise ValueError("cut short at byte %d" % self.pos)
        self.pos += 1
        return self.data[self.pos - 1]

    def uv(self):
        v = shift = 0
        while True:
            b = self.byte()
            v |= (b & 0x7F) << shift
            if not b & 0x80:
                return v
            shift += 7
            if shift >= 70:
                raise ValueError("varint too long at byte %d" % self.pos)

    def sv(self):
        u = self.uv()
        return (u >> 1) ^ -(u & 1)

    def raw(self, n):
        if self.pos + n > self.end:
            raise ValueError("cut short at byte %d" % self.pos)
        self.pos += n
        return self.data[self.pos - n:self.pos]

    def string(self):
        return self.raw(self.uv()).decode("utf-8", "surrogateescape")


def wrap(v, bits=64):
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def decode(data):
    if data[:8] != MAGIC:
        raise ValueError("no KAUDITDG header")
    if len(data) < 10 or data[8] != VERSION or data[9] != 0:
        raise ValueError("version or flags unknown")
    r = Reader(data, 10)
    dirs, parts = [], []
    part = None
    while True:
        at = r.pos
        tag = chr(r.byte())
        length = r.uv()
        body = Reader(data, r.pos, r.pos + length)
        if r.pos + length > len(data):
            raise ValueError("record at %d cut short" % at)
        r.pos += length
        if tag == "E":
            end = {"partitions": body.uv(), "batches": body.uv(), "checksum": struct.unpack("<Q", body.raw(8))[0]}
            if body.pos != body.end or r.pos != len(data):
                raise ValueError("bytes after the end")
            if part is not None:
                raise ValueError("a partition without its end record")
            if end["checksum"] != xxhash.xxh3_64_intdigest(data[:at]):
                raise ValueError("checksum")
            if end["partitions"] != len(parts) or end["batches"] != sum(len(p["batches"]) for p in parts):
                raise ValueError("end counts")
            return {"dirs": dirs, "parts": parts, "end": end}
        if tag == "D":
            d = {"id": body.uv(), "path": body.string(), "broker": body.sv(), "cluster": body.string()}
            if d["id"] != len(dirs) or part is not None:
                raise ValueError("directory out of order")
            dirs.append(d)
        elif tag == "P":
            if part is not None:
                raise ValueError("a partition without its end record")
            part = {"dir": body.sv(), "topic": body.string(), "partition": body.sv(), "path": body.string()}
            part["truncating"] = body.byte() == 1
            for k in PART_INTS:
                part[k] = body.sv()
            part["batches_list"], prev = [], {"next": 0, "epoch": 0, "ts": 0, "pid": 0}
            part["_prev"] = prev
        elif tag == "B":
            count = body.uv()
            prev = part["_prev"]
            for _ in range(count):
                flags = body.byte()
                b = {"base_offset": wrap(body.sv() + prev["next"])}
                b["last_offset"] = b["base_offset"] + body.uv()
                b["leader_epoch"] = wrap(body.sv() + prev["epoch"])
                b["crc"] = struct.unpack("<I", body.raw(4))[0]
                b["count"] = body.sv()
                b["max_timestamp"] = wrap(body.sv() + prev["ts"])
                b["transactional"], b["control"] = bool(flags & F_TXN), bool(flags & F_CONTROL)
                b["marker"] = "COMMIT" if flags & F_COMMIT else "ABORT" if flags & F_ABORT else None
                b["magic"] = (flags >> 4) & 3
                if flags & F_PRODUCER:
                    b["producer_id"] = wrap(body.sv() + prev["pid"])
                    b["producer_epoch"], b["base_sequence"] = body.sv(), body.sv()
                    prev["pid"] = b["producer_id"]
                else:
                    b["producer_id"], b["producer_epoch"], b["base_sequence"] = -1, -1, -1
                prev["next"], prev["epoch"], prev["ts"] = b["last_offset"] + 1, b["leader_epoch"], b["max_timestamp"]
                part["batches_list"].append(b)
        elif tag == "S":
            part["unread"] = body.sv()
            part["producers"] = []
            for _ in range(body.uv()):
                part["producers"].append(dict(zip(("producer_id", "epoch", "last_sequence", "last_offset",
                                                   "last_timestamp", "open_txn_first"),
                                                  (body.sv() for _ in range(6)))))
            del part["_prev"]
            part["batches_count"] = part.pop("batches")
            part["batches"] = part.pop("batches_list")
            parts.append(part)
            part = None
        else:
            raise ValueError("unknown tag %r at %d" % (tag, at))
        if body.pos != body.end and tag != "S":
            raise ValueError("record at %d longer than its fields" % at)


def _uv(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def _sv(v):
    return _uv(((v << 1) ^ (v >> 63)) & ((1 << 64) - 1))


def _str(s):
    b = s.encode("utf-8", "surrogateescape")
    return _uv(len(b)) + b


def _record(tag, body):
    return tag.encode() + _uv(len(body)) + body


def encode_part(part, batches, producers=(), unread=0):
    """The 'P', 'B' and 'S' records of one copy (part: kd_part's fields, as decode gives them)."""
    out = [_record("P", _sv(part["dir"]) + _str(part["topic"]) + _sv(part["partition"]) + _str(part["path"]) +
                   bytes([1 if part.get("truncating") else 0]) + b"".join(_sv(part[k]) for k in PART_INTS))]
    prev = {"next": 0, "epoch": 0, "ts": 0, "pid": 0}
    for i in range(0, len(batches), CHUNK):
        chunk = batches[i:i + CHUNK]
        body = [_uv(len(chunk))]
        for b in chunk:
            producer = b.get("producer_id", -1) >= 0
            flags = ((F_TXN if b.get("transactional") else 0) | (F_CONTROL if b.get("control") else 0) |
                     (F_PRODUCER if producer else 0) | (b.get("magic", 2) << 4) |
                     (F_COMMIT if b.get("marker") == "COMMIT" else 0) | (F_ABORT if b.get("marker") == "ABORT" else 0))
            body.append(bytes([flags]) + _sv(b["base_offset"] - prev["next"]) +
                        _uv(b["last_offset"] - b["base_offset"]) + _sv(b["leader_epoch"] - prev["epoch"]) +
                        struct.pack("<I", b["crc"]) + _sv(b["count"]) + _sv(b["max_timestamp"] - prev["ts"]))
            if producer:
                body.append(_sv(b["producer_id"] - prev["pid"]) + _sv(b["producer_epoch"]) + _sv(b["base_sequence"]))
                prev["pid"] = b["producer_id"]
            prev["next"], prev["epoch"], prev["ts"] = b["last_offset"] + 1, b["leader_epoch"], b["max_timestamp"]
        out.append(_record("B", b"".join(body)))
    state = _sv(unread) + _uv(len(producers)) + b"".join(
        b"".join(_sv(p[k]) for k in ("producer_id", "epoch", "last_sequence", "last_offset", "last_timestamp",
                                     "open_txn_first")) for p in producers)
    out.append(_record("S", state))
    return b"".join(out)


class Writer:
    """A digest written piece by piece (the benchmark's millions of copies never sit in memory)."""

    def __init__(self, f):
        self.f, self.hash, self.parts, self.batches = f, xxhash.xxh3_64(), 0, 0
        self._put(MAGIC + bytes([VERSION, 0]))

    def _put(self, b):
        self.hash.update(b)
        self.f.write(b)

    def dir(self, ident, path, broker, cluster):
        self._put(_record("D", _uv(ident) + _str(path) + _sv(broker) + _str(cluster)))

    def part(self, part, batches, producers=(), unread=0):
        self._put(encode_part(part, batches, producers, unread))
        self.parts += 1
        self.batches += len(batches)

    def close(self):
        body = _uv(self.parts) + _uv(self.batches) + struct.pack("<Q", self.hash.intdigest())
        self.f.write(_record("E", body))
