#!/usr/bin/python3
"""oracle.py - an independent decoder for Kafka segment files, built on kafka-python.

kaudit is written in C from the format description; this script is the second
opinion. It never parses the batch format itself: it hands whole files to
kafka-python 2.0.2 (Debian's python3-kafka), whose MemoryRecords walks the
[offset int64][size int32] entry framing and whose DefaultRecordBatch (magic 2)
and LegacyRecordBatch (magic 0/1) decode batches, decompress them and iterate
their records.

Usage:
    /usr/bin/python3 tests/oracle.py PATH [PATH...]

PATH is a partition directory (its *.log segments are decoded in base-offset
order) or a single .log / KRaft .checkpoint file. The output is one JSON
document: per input, per file and (for directories) totals of

    batches          entries of the file; a v0/v1 compressed wrapper is ONE batch
    data_records     records in non-control batches (inner messages of wrappers)
    control_records  records in control batches
    producer_ids     sorted distinct producerId >= 0 of v2 batches (control included)
    last_sequence    {pid: lastSequence of that pid's last *data* batch in offset
                     order}; lastSequence = baseSequence + lastOffsetDelta with
                     the broker's wrap after 2147483647 to 0 (-1 if no sequence).
                     Control batches (markers) are left out on purpose: they
                     always carry baseSequence -1 and would hide the producer's
                     real position.

plus a few extra cross-checks (crc_invalid, first/last offset, trailing bytes,
the first decoding error, and SHA-256 digests over every batch header and every
record). In memory, FileStats also keeps one row per batch (BATCH_KEYS, named
as in kaudit's JSONL) and one canonical line per record (record_digest_line);
tests/test_corpus.py compares those with kaudit item by item.

Places where kafka-python 2.0.2 is wrong or cannot decode, and what we do
(each work-around swaps in a codec function or reads a private field of
kafka-python's own classes; nothing re-implements the record format):

  * zstd with several frames in one batch: kafka.codec.zstd_decode calls
    ZstdDecompressor().decompress(), which stops after the FIRST frame, so the
    records of the other frames are silently lost (the batch then fails with
    "Found invalid record structure"). Its fallback for frames without a
    content size also caps the output at 1 MiB. We replace the zstd_decode name
    that default_records imported with a stream reader that reads across frames.
  * v0 LZ4 wrappers need the `xxhash` module (lz4_decode_old_kafka fixes up
    Kafka's broken frame-header checksum with xxh32): Debian's python3-xxhash,
    which tests/deps.sh installs; without it kafka.codec fails with a bare
    AssertionError, so we check for it first and say what is missing.
  * DefaultRecordBatch has no public accessor for producerId, producerEpoch,
    baseSequence, partitionLeaderEpoch, batchLength or the record count, and
    LegacyRecordBatch none for its entry offset; we read kafka-python's own
    parsed header tuple (_header_data) and fields (_offset, _crc, _timestamp).
  * kafka-python decodes control batches as plain records (no control-record
    class); we read the 4-byte key (version int16, type int16) to name them.
  * MemoryRecords stops when fewer than 12 bytes remain, Kafka's
    FileLogInputStream when fewer than 17 remain; both end silently on an entry
    that runs past EOF. We report the unread tail as trailing_bytes.
  * Legacy v0 records have timestamp None in kafka-python; we report -1
    (Kafka's NO_TIMESTAMP).

The cache (build/oracle-cache/): decoding is the slow part of the tests that
use this oracle, and every test run decodes the same inputs again (each
tests/test_*.py runs twice, against ./kaudit and the ASan build, and several
suites read the same corpus). decode_file() therefore keeps what it computes
for a file, keyed by the SHA-256 of the file's bytes and of the code that
computes it (this file, kafka-python's codec and record modules, the
versions of kafka-python, zstandard and Python); cached() does the same for
other results, keyed by the digests the caller names and the caller's own
source file. A result comes back exactly as a fresh computation gives it:
every value handed out, fresh or not, is the stored pickle read back.
Entries are written to a temporary file and renamed into place, so a reader
never sees half an entry, and a per-key lock lets the plain and the ASan run
of a suite (side by side) compute each entry once. KT_NO_CACHE=1 in the
environment ignores the cache (neither read nor written); a cache that
cannot be written is only slower.
"""

import fcntl
import hashlib
import io
import json
import os
import pickle
import re
import shutil
import struct
import sys
import tempfile

import kafka.codec
import kafka.record.default_records
import kafka.record.legacy_records
from kafka.errors import CorruptRecordException
from kafka.record.default_records import DefaultRecordBatch
from kafka.record.legacy_records import LegacyRecordBatch
from kafka.record.memory_records import MemoryRecords

import zstandard

INT32_MAX = 2147483647

# Names of control record types (key = version int16, type int16).
CONTROL_TYPES = {
    0: "ABORT",
    1: "COMMIT",
    2: "LEADER_CHANGE",
    3: "SNAPSHOT_HEADER",
    4: "SNAPSHOT_FOOTER",
    5: "KRAFT_VERSION",
    6: "KRAFT_VOTERS",
}

CODEC_NAMES = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}

# The batch fields the oracle reports per batch, named as kaudit's JSONL does.
BATCH_KEYS = ("position", "size", "base_offset", "last_offset", "count", "magic", "codec",
              "crc", "crc_valid", "partition_leader_epoch", "producer_id", "producer_epoch",
              "base_sequence", "last_sequence", "is_transactional", "is_control",
              "timestamp_type", "max_timestamp")

# A segment or KRaft snapshot file name: 20-digit offset, optionally
# "-<10-digit epoch>" for .checkpoint files.
SEGMENT_RE = re.compile(r"^(\d+)\.log$")
CHECKPOINT_RE = re.compile(r"^(\d+)-(\d+)\.checkpoint$")


def zstd_decode_all_frames(payload):
    """Decompress every zstd frame in `payload` (kafka.codec stops at the first)."""
    reader = zstandard.ZstdDecompressor().stream_reader(
        io.BytesIO(bytes(payload)), read_across_frames=True)
    out = io.BytesIO()
    while True:
        chunk = reader.read(1 << 16)
        if not chunk:
            break
        out.write(chunk)
    return out.getvalue()


# ---------------------------------------------------------------------------
# The cache (see the module doc)
# ---------------------------------------------------------------------------

ORACLE_FILE = os.path.abspath(__file__)      # taken at import, before any chdir
REPO = os.path.dirname(os.path.dirname(ORACLE_FILE))
CACHE_DIR = os.path.join(REPO, "build", "oracle-cache")
CACHE_FORMAT = b"kaudit oracle cache 1"
_MISS = object()
_code_digests = {}
_cache_warned = False
_pruned = set()


def cache_enabled():
    """False when KT_NO_CACHE is set (to anything but "" or "0")."""
    return os.environ.get("KT_NO_CACHE", "") in ("", "0")


def _library_files():
    """The kafka-python sources this oracle runs (what decodes is part of the key)."""
    rec = os.path.dirname(kafka.record.default_records.__file__)
    names = sorted(n for n in os.listdir(rec) if n.endswith(".py"))
    return [kafka.codec.__file__] + [os.path.join(rec, n) for n in names]


def code_digest(paths=()):
    """SHA-256 over the code that computes a cached result: this file, the
    given source files (the computing function's module), kafka-python's
    codec and record modules, and the versions of the libraries and Python."""
    files = tuple(sorted({ORACLE_FILE} | {os.path.abspath(p) for p in paths}))
    if files not in _code_digests:
        d = hashlib.sha256(CACHE_FORMAT + b"\n")
        for f in files + tuple(_library_files()):
            with open(f, "rb") as fh:
                data = fh.read()
            d.update(b"%s %d\n" % (os.path.basename(f).encode(), len(data)))
            d.update(data)
        d.update(("\nkafka-python %s, zstandard %s, python %s\n"
                  % (kafka.__version__, zstandard.__version__, sys.version)).encode())
        _code_digests[files] = d.hexdigest()
    return _code_digests[files]


def _cache_warn(what, err):
    global _cache_warned
    if not _cache_warned:
        sys.stderr.write("oracle: cannot %s the cache in %s (%s): computing without it\n"
                         % (what, CACHE_DIR, err))
        _cache_warned = True


def _cache_read(path, key):
    """The value stored under key at path, or _MISS (absent, unreadable, damaged)."""
    try:
        with open(path, "rb") as f:
            stored_key, value = pickle.load(f)
    except FileNotFoundError:
        return _MISS
    except Exception:            # damaged (e.g. a disk that filled up): computed again
        return _MISS
    return value if stored_key == key else _MISS


def _prune(folder):
    """Entries are kept per kind in one folder per version of the code
    (<kind>/<code digest>/): once per process, remove the kind's folders of
    other versions, which no run of this code can hit again."""
    if folder in _pruned:
        return
    _pruned.add(folder)
    parent, mine = os.path.split(folder)
    try:
        names = os.listdir(parent)
    except OSError:
        return
    for name in names:
        if name != mine:
            shutil.rmtree(os.path.join(parent, name), ignore_errors=True)


def _cache_write(path, key, blob):
    """Store the pickle blob atomically: a temporary file renamed into place."""
    folder = os.path.dirname(path)
    tmp = None
    try:
        _prune(folder)
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".pickle")
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, path)
        tmp = None
    except OSError as err:
        _cache_warn("write", err)
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


class _KeyLock(object):
    """An exclusive flock per key (striped: 256 lock files per kind), so that
    two processes needing the same entry compute it once. No cycle of waits:
    a compute function may only take locks of other kinds, and decode_file,
    the kind the others use, takes none while it computes."""

    def __init__(self, kind, key):
        self.path = os.path.join(CACHE_DIR, "locks", "%s.%s.lock" % (kind, key[:2]))
        self.fd = None

    def __enter__(self):
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except OSError as err:
            _cache_warn("lock", err)
            if self.fd is not None:
                os.close(self.fd)
                self.fd = None
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)      # releases the flock
        return False


def cached(kind, inputs, compute, code=()):
    """compute() (a picklable value), from build/oracle-cache/ when the same
    inputs went through the same code before.

    kind names the computation (one folder); inputs is a list of strings
    that, with the code, determine the result completely (SHA-256 digests of
    the input files' bytes, and anything else compute() reads); code lists
    the source files of the computing function besides this one. The value
    returned is always the stored pickle read back, so a hit and a miss
    give the same thing."""
    if not cache_enabled():
        return compute()
    code_key = code_digest(code)
    parts = [x.encode() for x in [kind, code_key] + list(inputs)]
    material = b"".join(b"%d:%s\n" % (len(x), x) for x in parts)    # unambiguous
    key = hashlib.sha256(material).hexdigest()
    path = os.path.join(CACHE_DIR, kind, code_key[:20], key + ".pickle")
    value = _cache_read(path, key)
    if value is not _MISS:
        return value
    with _KeyLock(kind, key):
        value = _cache_read(path, key)           # computed meanwhile by another process?
        if value is not _MISS:
            return value
        blob = pickle.dumps((key, compute()), protocol=pickle.HIGHEST_PROTOCOL)
        _cache_write(path, key, blob)
    return pickle.loads(blob)[1]


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


_SHIMS_INSTALLED = False


def install_kafka_python_shims():
    """Patch the zstd gap of kafka-python 2.0.2 described in the module doc."""
    global _SHIMS_INSTALLED
    if _SHIMS_INSTALLED:
        return
    if kafka.codec.xxhash is None:
        sys.exit("oracle: the xxhash module is missing (apt-get install python3-xxhash): "
                 "kafka-python needs it for v0 LZ4")
    # default_records did `from kafka.codec import zstd_decode`: patch that name.
    kafka.record.default_records.zstd_decode = zstd_decode_all_frames
    _SHIMS_INSTALLED = True


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

def increment_sequence(sequence, increment):
    """Kafka's DefaultRecordBatch.incrementSequence: wraps after INT32_MAX to 0."""
    if sequence > INT32_MAX - increment:
        return increment - (INT32_MAX - sequence) - 1
    return sequence + increment


def _hex_or_none(b):
    return None if b is None else bytes(b).hex()


def record_digest_line(offset, timestamp, key, value, headers, control_type=None):
    """One canonical text line per record; the digest of a file hashes them all.

    tests/test_corpus.py builds the same lines from kaudit's JSONL output, so
    any difference in offsets, timestamps, keys, values or headers shows up.
    Control records are identified by offset, timestamp and type only (kaudit
    prints no key/value for them).
    """
    if control_type is not None:
        item = [offset, timestamp, "control", control_type]
    else:
        item = [offset, timestamp, _hex_or_none(key), _hex_or_none(value),
                [[k, _hex_or_none(v)] for k, v in headers]]
    return json.dumps(item, separators=(",", ":"))


def control_type_name(key):
    """Name the type in a control record key (version int16, type int16)."""
    if key is None or len(key) < 4:
        return "UNKNOWN"
    _version, ctype = struct.unpack_from(">hh", key, 0)
    return CONTROL_TYPES.get(ctype, "UNKNOWN")


class FileStats(object):
    """Counters for one decoded file (also used for directory totals)."""

    def __init__(self, path):
        self.path = path
        self.batches = 0
        self.data_records = 0
        self.control_records = 0
        self.crc_invalid = 0
        self.producer_ids = set()
        # pid -> (last offset of its last data batch, last sequence)
        self.last_seq = {}
        self.first_offset = None
        self.last_offset = None
        self.magics = {}
        self.codecs = {}
        self.size = 0
        self.valid_bytes = 0
        self.error = None          # first decoding error: {"position", "message"}
        self.record_errors = []    # batches whose records could not be iterated
        self.digest = hashlib.sha256()
        # Kept in memory for tests/test_corpus.py (not printed): one dict per
        # batch (BATCH_KEYS) and one record_digest_line() per record.
        self.batch_rows = []
        self.record_lines = []

    def add_record_line(self, line):
        self.record_lines.append(line)
        self.digest.update(line.encode() + b"\n")

    def note_offsets(self, first, last):
        if first is not None and (self.first_offset is None or first < self.first_offset):
            self.first_offset = first
        if last is not None and (self.last_offset is None or last > self.last_offset):
            self.last_offset = last

    def note_sequence(self, pid, last_offset, last_sequence):
        prev = self.last_seq.get(pid)
        if prev is None or last_offset >= prev[0]:
            self.last_seq[pid] = (last_offset, last_sequence)

    def as_dict(self):
        return {
            "file": self.path,
            "size": self.size,
            "batches": self.batches,
            "data_records": self.data_records,
            "control_records": self.control_records,
            "producer_ids": sorted(self.producer_ids),
            "last_sequence": {str(pid): seq for pid, (_, seq) in sorted(self.last_seq.items())},
            "crc_invalid": self.crc_invalid,
            "first_offset": self.first_offset,
            "last_offset": self.last_offset,
            "magics": {str(k): v for k, v in sorted(self.magics.items())},
            "codecs": dict(sorted(self.codecs.items())),
            "valid_bytes": self.valid_bytes,
            "trailing_bytes": self.size - self.valid_bytes,
            "error": self.error,
            "record_errors": self.record_errors,
            "records_digest": self.digest.hexdigest(),
            "batches_digest": hashlib.sha256(
                "".join(json.dumps(list(r.values())) + "\n" for r in self.batch_rows).encode()).hexdigest(),
        }


# ---------------------------------------------------------------------------
# Decoding one file
# ---------------------------------------------------------------------------

def _count_codec(stats, codec_id):
    name = CODEC_NAMES.get(codec_id, "unknown")
    stats.codecs[name] = stats.codecs.get(name, 0) + 1


def _decode_v2(batch, position, size, stats):
    """Count one magic-2 batch (kafka-python's DefaultRecordBatch)."""
    (base_offset, _length, leader_epoch, magic, crc, _attrs, last_offset_delta,
     _first_ts, max_ts, producer_id, producer_epoch, base_sequence,
     count) = batch._header_data
    last_offset = base_offset + last_offset_delta
    last_sequence = -1 if base_sequence < 0 else increment_sequence(base_sequence, last_offset_delta)
    is_control = batch.is_control_batch
    crc_valid = batch.validate_crc()          # must run before iteration
    stats.note_offsets(base_offset, last_offset)
    _count_codec(stats, batch.compression_type)
    if not crc_valid:
        stats.crc_invalid += 1
    if producer_id >= 0:
        stats.producer_ids.add(producer_id)
        if not is_control:
            stats.note_sequence(producer_id, last_offset, last_sequence)
    stats.batch_rows.append(dict(zip(BATCH_KEYS, (
        position, size, base_offset, last_offset, count, magic,
        CODEC_NAMES.get(batch.compression_type, "unknown"), crc, crc_valid, leader_epoch,
        producer_id, producer_epoch, base_sequence, last_sequence, batch.is_transactional,
        is_control, "log_append" if batch.timestamp_type == 1 else "create", max_ts))))
    try:
        records = list(batch)
    except Exception as err:  # CorruptRecordException, codec errors, ...
        stats.record_errors.append({"position": position, "message": "%s: %s" % (type(err).__name__, err)})
        return
    for rec in records:
        if is_control:
            line = record_digest_line(rec.offset, rec.timestamp, None, None, None,
                                      control_type=control_type_name(rec.key))
        else:
            line = record_digest_line(rec.offset, rec.timestamp, rec.key, rec.value, rec.headers)
        stats.add_record_line(line)
    if is_control:
        stats.control_records += len(records)
    else:
        stats.data_records += len(records)


def _decode_legacy(batch, position, size, stats):
    """Count one magic-0/1 entry (kafka-python's LegacyRecordBatch)."""
    magic = batch._magic
    crc_valid = batch.validate_crc()
    _count_codec(stats, batch.compression_type)
    if not crc_valid:
        stats.crc_invalid += 1
    try:
        records = list(batch)
    except Exception as err:
        stats.record_errors.append({"position": position, "message": "%s: %s" % (type(err).__name__, err)})
        records = None
    first = records[0].offset if records else batch._offset
    stats.note_offsets(first, batch._offset)
    if batch.timestamp_type is None:
        ts_type = "none"
    else:
        ts_type = "log_append" if batch.timestamp_type == 1 else "create"
    stats.batch_rows.append(dict(zip(BATCH_KEYS, (
        position, size, first, batch._offset, len(records) if records is not None else None, magic,
        CODEC_NAMES.get(batch.compression_type, "unknown"), batch._crc, crc_valid, -1,
        -1, -1, -1, -1, False, False, ts_type,
        -1 if batch._timestamp is None else batch._timestamp))))
    if records is None:
        return
    for rec in records:
        ts = -1 if rec.timestamp is None else rec.timestamp
        stats.add_record_line(record_digest_line(rec.offset, ts, rec.key, rec.value, []))
    stats.data_records += len(records)


def decode_bytes(data, path="<bytes>"):
    """Decode a whole segment/checkpoint image; return a FileStats."""
    install_kafka_python_shims()
    stats = FileStats(path)
    stats.size = len(data)
    records = MemoryRecords(bytes(data))
    position = 0
    while True:
        try:
            batch = records.next_batch()
        except CorruptRecordException as err:
            stats.error = {"position": position, "message": str(err)}
            break
        except Exception as err:   # struct.error on a too-short v2 slice, ...
            stats.error = {"position": position, "message": "%s: %s" % (type(err).__name__, err)}
            break
        if batch is None:
            break
        size = len(batch._buffer)      # the entry's bytes, before any decompression
        magic = batch.magic if isinstance(batch, DefaultRecordBatch) else batch._magic
        stats.magics[magic] = stats.magics.get(magic, 0) + 1
        stats.batches += 1
        try:
            if isinstance(batch, DefaultRecordBatch):
                if magic != 2:
                    raise CorruptRecordException("unknown magic %d" % magic)
                _decode_v2(batch, position, size, stats)
            else:
                _decode_legacy(batch, position, size, stats)
        except Exception as err:
            stats.record_errors.append({"position": position, "message": "%s: %s" % (type(err).__name__, err)})
        position += size
    stats.valid_bytes = position
    return stats


def stats_state(stats):
    """Everything a FileStats holds but its path, as plain picklable data
    (the running digest as its hex value)."""
    state = dict(vars(stats))
    del state["path"]
    state["digest"] = stats.digest.hexdigest()
    return state


def stats_from_state(path, state):
    """The FileStats that stats_state() described, for `path`. The running
    digest is recomputed from the record lines (as add_record_line made it)
    and must give the stored value."""
    stats = FileStats(path)
    for name, value in state.items():
        if name != "digest":
            setattr(stats, name, value)
    for line in stats.record_lines:
        stats.digest.update(line.encode() + b"\n")
    if stats.digest.hexdigest() != state["digest"]:
        raise ValueError("oracle cache: the record digest of %s does not match its lines" % path)
    return stats


def decode_file(path, cache=True):
    """decode_bytes() of the file's contents, through the cache (module doc)
    unless cache is False (an input made for one run only)."""
    with open(path, "rb") as f:
        data = f.read()
    if not cache or not cache_enabled():
        return decode_bytes(data, path)
    state = cached("decode_file", [hashlib.sha256(data).hexdigest()],
                   lambda: stats_state(decode_bytes(data, path)))
    return stats_from_state(path, state)


def _segment_key(name):
    m = SEGMENT_RE.match(name) or CHECKPOINT_RE.match(name)
    return (int(m.group(1)) if m else -1, name)


def segment_files(dirpath):
    """The *.log files of a partition directory, in base-offset order."""
    names = [n for n in os.listdir(dirpath)
             if n.endswith(".log") and os.path.isfile(os.path.join(dirpath, n))]
    return [os.path.join(dirpath, n) for n in sorted(names, key=_segment_key)]


def merge_totals(path, file_stats):
    """Directory totals over files already decoded (in offset order)."""
    total = FileStats(path)
    for st in file_stats:
        total.size += st.size
        total.valid_bytes += st.valid_bytes
        total.batches += st.batches
        total.data_records += st.data_records
        total.control_records += st.control_records
        total.crc_invalid += st.crc_invalid
        total.producer_ids |= st.producer_ids
        for pid, (last_offset, seq) in st.last_seq.items():
            total.note_sequence(pid, last_offset, seq)
        total.note_offsets(st.first_offset, st.last_offset)
        for k, v in st.magics.items():
            total.magics[k] = total.magics.get(k, 0) + v
        for k, v in st.codecs.items():
            total.codecs[k] = total.codecs.get(k, 0) + v
        if total.error is None and st.error is not None:
            total.error = dict(st.error, file=st.path)
        total.record_errors.extend(dict(e, file=st.path) for e in st.record_errors)
        total.digest.update(st.digest.hexdigest().encode())
    return total


def decode_path(path):
    """Decode a partition directory or one file; return a JSON-ready dict."""
    if os.path.isdir(path):
        files = [decode_file(p) for p in segment_files(path)]
        out = merge_totals(path, files).as_dict()
        out["kind"] = "directory"
        out["files"] = [st.as_dict() for st in files]
        return out
    out = decode_file(path).as_dict()
    out["kind"] = "file"
    return out


def main(argv):
    if len(argv) < 2:
        sys.stderr.write("usage: oracle.py PATH [PATH...]  (partition directory, .log or .checkpoint)\n")
        return 2
    results = [decode_path(p) for p in argv[1:]]
    json.dump({"oracle": "kafka-python " + kafka.__version__, "inputs": results},
              sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
