#!/usr/bin/python3
"""test_dump_jsonl.py - every string of `kaudit dump --format jsonl` is
written by the one JSON rule (report/jsonw.c), byte for byte.

Issue 17 made the JSONL writer fast (sixteen bytes at a time, names made
by the compiler, the path and topic escaped once per file, lines written
in blocks); its output must stay what it was. The truth here is the rule
itself, written again in Python from report/escape.h and report/jsonw.h:
  * in a string, '"' and '\\' are backslashed, tab, newline and carriage
    return are \\t \\n \\r, every other C0 control, DEL, C1 controls and the
    bidirectional controls (U+061C, U+200E, U+200F, U+202A..U+202E,
    U+2066..U+2069) are \\u00XX / \\uXXXX in lowercase hex, and a byte that is
    not part of well-formed UTF-8 is the four characters \\xNN (JSON
    "\\\\xNN"); everything else is itself, raw UTF-8;
  * keys, values and header values are strings when they are well-formed
    UTF-8, else {"base64": "..."} (padded, standard alphabet);
  * objects and arrays have no spaces.
Checks:
  1. every line that kaudit writes for the fixtures and the corpus (records,
     redacted records, --verify-index lines) is exactly the rule's text of
     what json.loads reads from it (the parse gives back the characters; the
     rule must give back the bytes);
  2. records whose keys, values and headers are random hostile bytes (every
     kind of control, quotes every few bytes, cut and overlong UTF-8, bytes
     that are not UTF-8), in a partition whose topic and path hold such
     bytes too, written by kafka-python's DefaultRecordBatchBuilder: each
     line holds the rule's text of the very bytes written.

Run: /usr/bin/python3 tests/test_dump_jsonl.py   (uses ./kaudit, or $KAUDIT)
"""
import base64
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, done  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.normpath(os.path.join(REPO, "..", "shared", "corpus"))
KAUDIT = os.environ.get("KAUDIT", "./kaudit")

BIDI = {0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069}
# Characters the rule writes otherwise than as themselves; surrogates stand
# for bytes that are not UTF-8 (Python's surrogateescape: one per byte).
CARE = re.compile("[\x00-\x1f\"\\\\\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\udc80-\udcff]")


def care(m):
    c = m.group(0)
    o = ord(c)
    if c == '"' or c == "\\":
        return "\\" + c
    if c == "\t":
        return "\\t"
    if c == "\n":
        return "\\n"
    if c == "\r":
        return "\\r"
    if 0xDC80 <= o <= 0xDCFF:
        return "\\\\x%02x" % (o - 0xDC00)
    return "\\u%04x" % o


def rule_text(s):
    """The JSON string of text s (str; surrogates are bytes that were not UTF-8)."""
    return '"' + CARE.sub(care, s) + '"'


def rule_bytes_as_text(b):
    """jw_str's text of bytes b (names, paths: invalid bytes as \\xNN)."""
    # Python's decoder and kaudit's (reader/text.h, Unicode Table 3-7) agree
    # on well-formedness; an ill-formed subpart is escaped byte by byte by
    # both, and none of its bytes could start a well-formed sequence.
    return rule_text(b.decode("utf-8", "surrogateescape"))


def rule_bytes(b):
    """jw_bytes's text of bytes b: a string when UTF-8, else base64."""
    if b is None:
        return "null"
    try:
        return rule_text(b.decode("utf-8"))
    except UnicodeDecodeError:
        return '{"base64":"%s"}' % base64.b64encode(b).decode()


def rule_value(v):
    """The writer's text of a parsed JSON value."""
    if isinstance(v, dict):
        return "{" + ",".join(rule_text(k) + ":" + rule_value(x) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ",".join(rule_value(x) for x in v) + "]"
    if isinstance(v, str):
        return rule_text(v)
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, int):
        return str(v)
    return None  # a float: not written by the rule's strings; the line is left out


def dump(args):
    p = subprocess.run([KAUDIT, "dump", "--format", "jsonl"] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    return p.returncode, p.stdout


def has_float(v):
    if isinstance(v, dict):
        return any(has_float(x) for x in v.values())
    if isinstance(v, list):
        return any(has_float(x) for x in v)
    return isinstance(v, float)


def check_lines(case, out):
    """Each line is the rule's text of its own parse. Returns (lines, strings)."""
    lines = out.split(b"\n")
    check("%s: ends with a newline" % case, lines[-1] == b"", repr(lines[-1][:80]))
    first_bad = None
    n = 0
    for i, raw in enumerate(lines[:-1]):
        text = raw.decode("utf-8")  # the writer's output is always UTF-8
        v = json.loads(text)
        if has_float(v):
            continue
        n += 1
        if rule_value(v) != text and first_bad is None:
            first_bad = (i, text[:300], rule_value(v)[:300])
    check("%s: %d lines are the rule's text" % (case, n), first_bad is None, repr(first_bad))
    return n


def test_inputs():
    inputs = sorted(d for d in (os.path.join(REPO, "fixtures", x) for x in os.listdir(os.path.join(REPO, "fixtures")))
                    if os.path.isdir(d))
    if os.path.isdir(CORPUS):
        inputs += sorted(d for d in (os.path.join(CORPUS, x) for x in os.listdir(CORPUS)) if os.path.isdir(d))
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        keyfile = os.path.join(tmp, "key")
        open(keyfile, "w").write("a fixed key\n")
        for d in inputs:
            name = os.path.relpath(d, os.path.dirname(REPO))
            for extra in (["--records"], ["--records", "--redact", "keys,headers", "--redact-key-file", keyfile],
                          ["--verify-index"]):
                rc, out = dump(extra + [d])
                check("%s %s: exit 0, 1 or 2" % (name, " ".join(extra[:3])), rc in (0, 1, 2), str(rc))
                total += check_lines("%s %s" % (name, " ".join(extra[:3])), out)
    check("the fixtures and corpus gave lines", total > 1000, str(total))


def hostile(rng):
    """Bytes that meet every case of the rule."""
    pieces = [b'"', b"\\", b"\t", b"\n", b"\r", b"\x00", b"\x1b[2J", b"\x7f", b"\xc2\x9b", b"\xc2\xa0",
              b"\xd8\x9c", b"\xe2\x80\xae", b"\xe2\x81\xa6", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80", b"\xe2\x80",
              b"\xed\xa0\x80", b"\xc0\xaf", b"\xff", b"\x80", b"\xf4\x90\x80\x80", b'{"a":"b"}', b"caf\xc3\xa9"]
    out = b""
    for _ in range(rng.randrange(0, 12)):
        r = rng.random()
        if r < 0.4:
            out += bytes(rng.randrange(0x20, 0x7F) for _ in range(rng.randrange(0, 40)))
        elif r < 0.8:
            out += rng.choice(pieces)
        else:
            out += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 6)))
    return out


def test_hostile_records():
    from kafka.record.default_records import DefaultRecordBatchBuilder
    rng = random.Random(17)
    with tempfile.TemporaryDirectory() as tmp:
        # The path holds every kind of byte (a folder above the partition:
        # a topic's own name is only [a-zA-Z0-9._-]).
        topic = b"ho.st_ile"
        part = os.path.join(tmp.encode(), b"p\x1b]0;x\x07\"q\\\xe2\x80\xae\xff\xc2\x9b", topic + b"-3")
        os.makedirs(part)
        records = []
        data = b""
        offset = 0
        for batch in range(40):
            b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False, producer_id=-1,
                                          producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
            count = rng.randrange(1, 30)
            for i in range(count):
                key = None if rng.random() < 0.1 else hostile(rng)
                value = None if rng.random() < 0.1 else hostile(rng)
                headers = [(hostile(rng).decode("utf-8", "replace"), hostile(rng)) for _ in range(rng.randrange(3))]
                b.append(i, 1700000000000 + i, key, value, headers)
                records.append((offset + i, key, value, headers))
            raw = bytearray(b.build())
            raw[0:8] = offset.to_bytes(8, "big")
            offset += count
            data += raw
        path = os.path.join(part, b"00000000000000000000.log")
        open(path, "wb").write(data)
        rc, out = dump(["--records", os.fsdecode(part)])
        check("hostile records: exit 0", rc == 0, str(rc))
        check_lines("hostile records", out)
        lines = [ln for ln in out.split(b"\n") if ln.startswith(b'{"type":"record"')]
        check("hostile records: one line each", len(lines) == len(records), "%d != %d" % (len(lines), len(records)))
        bad = None
        for ln, (off, key, value, headers) in zip(lines, records):
            want = ('{"type":"record","file":%s,' % rule_bytes_as_text(path)).encode()
            tail = (',"topic":%s,"partition":3,"key":%s,"value":%s,"headers":[%s]}' % (
                rule_bytes_as_text(topic), rule_bytes(key), rule_bytes(value),
                ",".join('{"key":%s,"value":%s}' % (rule_bytes(k.encode()), rule_bytes(v)) for k, v in headers)
            )).encode()
            if not (ln.startswith(want) and ln.endswith(tail) and b'"offset":%d,' % off in ln) and bad is None:
                bad = (off, ln[:400], want[:200], tail[:400])
        check("hostile records: path, topic, keys, values, headers byte for byte", bad is None, repr(bad))


def main():
    if not os.access(KAUDIT, os.X_OK):
        print("no %s: build it first" % KAUDIT)
        return 1
    test_hostile_records()
    test_inputs()
    return done()


if __name__ == "__main__":
    sys.exit(main())
