#!/usr/bin/python3
"""test_hostile.py - names and payloads from the data cannot take over an
output (kaudit issue 13).

Run from the repository root:

    /usr/bin/python3 tests/test_hostile.py      # uses ./kaudit, or $KAUDIT

It builds, in a temporary directory, a data directory whose names and
contents are hostile:

  * partition directories named with ESC[2J (clear screen), ESC]0;title BEL
    (set the window title), U+202E (right-to-left override), U+2066/U+2069
    and U+061C (other bidirectional controls), U+009B (C1 CSI) as UTF-8, a
    raw 0x9b byte, bytes that are not UTF-8 (0xff 0xfe), a newline, DEL and
    a space, each holding a copy of fixtures/sample/logdir/orders-0;
  * a log directory whose own name is hostile, holding orders-0, next to a
    plain one holding it too (so the text report names both paths);
  * a partition whose keys, values and header keys and values carry ESC,
    U+202E, U+009B, NUL, CR and bytes that are not UTF-8, written by an
    independent encoder, kafka-python's DefaultRecordBatchBuilder (Debian
    python3-kafka), each record sent twice like a client's retry, so that
    the audit's duplicate findings show their previews;
  * a recovery-point-offset-checkpoint and a meta.properties that name
    hostile topics and a hostile cluster.id.

Then it runs `kaudit audit` in every format (text, with and without
colours, json, markdown, html) and `kaudit dump` (text with --payload, and
jsonl), of the whole tree and of single files under hostile paths, and
checks for each output (stdout and stderr):

  * it is well-formed UTF-8 and holds no C0 control but newline, no DEL, no
    C1 control and no bidirectional control: nothing from the data reaches
    a terminal or a page raw (the text report with --color always may hold
    its own colour codes, ESC[<n>m, and nothing else);
  * JSON parses (the report whole, the dump line by line);
  * every hostile name is still there, recognisable, in the form
    docs/report.md ("Names and text from the data") gives it: the text
    form (every byte of a control or of a sequence that is not UTF-8 as
    \\xNN), under Markdown's and HTML's own escaping in those formats, and
    in JSON the name itself, with each byte that is not UTF-8 as the text
    \\xNN;
  * previews in findings, dump payloads and JSONL keys, values and headers
    are exactly what their rules say for the bytes kafka-python wrote.

The expected forms are computed here, independently of kaudit's code. A
missing dependency (kafka-python) is a failure, never a silent pass.
Ends with "kt: N passed, M failed"; exit status 1 if any check failed.
"""

import base64
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True   # leave no __pycache__ in the work tree

from checks import check, done

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE = os.path.join(ROOT, "fixtures", "sample", "logdir")

# The hostile partition directory names (bytes; "-0" is added).
NAMES = [
    b"esc\x1b[2J",                       # clear the screen
    b"tit\x1b]0;title\x07",              # set the window title
    "rlo\u202eevil".encode(),            # right-to-left override
    "lri\u2066x\u2069y".encode(),        # isolate and pop
    "alm\u061cx".encode(),               # Arabic letter mark
    b"c1\xc2\x9b31m",                    # C1 CSI as UTF-8
    b"raw\x9b31m",                       # C1 CSI as a raw byte
    b"bad\xff\xfe",                      # not UTF-8
    b"new\nline",                        # a line of its own
    b"del\x7fx",                         # DEL
    b"sp ace",                           # plain, but not a Kafka name
]
HOSTILE_LOGDIR = b"ld\x1b[31m\xe2\x80\xae\xff"
CLUSTER_ID = b"cl\x1b]0;pwned\x07\xe2\x80\xae"
# meta.properties is read as Java's Properties.load reads it, ISO 8859-1:
# the three bytes of U+202E are three characters there, one of them C1.
CLUSTER_SHOWN = CLUSTER_ID.decode("latin-1").encode("utf-8")
CHECKPOINT_TOPICS = [b"cp\x1b[2J", "cp\u202erev".encode(), b"cp\xc2\x9bx"]

# Bidirectional controls (Unicode's Bidi_Control property).
BIDI = {0x061C, 0x200E, 0x200F} | set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))


def is_control(cp):
    return cp < 0x20 or 0x7F <= cp <= 0x9F or cp in BIDI


def text_form(b):
    """The text form of docs/report.md: each byte of a control or of a
    sequence that is not UTF-8 as \\xNN, everything else as it is."""
    out = []
    for ch in b.decode("utf-8", "surrogateescape"):
        cp = ord(ch)
        if 0xDC80 <= cp <= 0xDCFF:               # a byte that is not UTF-8
            out.append("\\x%02x" % (cp - 0xDC00))
        elif is_control(cp):
            out.append("".join("\\x%02x" % x for x in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


def md_form(b):
    """text_form under Markdown's escaping of report/markdown.c's md_text."""
    return re.sub(r"([|\\*_`<>\[\]])", r"\\\1", text_form(b))


def html_form(b):
    t = text_form(b)
    for a, e in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#39;")):
        t = t.replace(a, e)
    return t


def json_form(b):
    """A name as a JSON reader gets it: the characters themselves, each byte
    that is not UTF-8 as the text \\xNN."""
    return b.decode("utf-8", "backslashreplace")


def preview_form(b):
    """A finding's key or value preview (docs/report.md): printable ASCII as
    it is, every other byte and '\\' as \\xNN (all our payloads are short)."""
    assert len(b) <= 48
    return "".join(chr(x) if 0x20 <= x < 0x7F and x != 0x5C else "\\x%02x" % x for x in b)


def dump_form(b):
    """A payload in `kaudit dump --payload` (docs/dump-format.md): as it is
    when it is UTF-8 with no control and no '\\', else byte by byte."""
    try:
        s = b.decode("utf-8")
        if "\\" not in s and not any(is_control(ord(c)) for c in s):
            return s
    except UnicodeDecodeError:
        pass
    return "".join("\\\\" if x == 0x5C else chr(x) if 0x20 <= x < 0x7F else "\\x%02x" % x for x in b)


def raw_controls(data, allow_esc_sgr=False):
    """What in these output bytes reaches a terminal raw: a list of
    descriptions, empty when nothing does."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return ["not UTF-8 at byte %d: %r" % (e.start, data[max(0, e.start - 20):e.start + 10])]
    if allow_esc_sgr:
        text = re.sub("\x1b\\[[0-9]+m", "", text)
    bad = []
    for i, ch in enumerate(text):
        if ch != "\n" and is_control(ord(ch)):
            bad.append("U+%04X at %d: %r" % (ord(ch), i, text[max(0, i - 20):i + 10]))
    return bad


# ---- the data ------------------------------------------------------------

# Records with hostile keys, values and headers: (key, value, headers).
PAYLOADS = [
    (b"k-esc\x1b[2J", b"v-osc\x1b]0;title\x07 done", [("h-esc\x1b[2J", b"hv\x1b[2J")]),
    ("k-rlo\u202e".encode(), "v-rlo\u202etxt.exe".encode(), [("h-rlo\u202e", "hv\u202e".encode())]),
    (b"k-c1\xc2\x9b31m", b"v-c1\xc2\x9b31m", [("h-c1\u009b", b"hv\xc2\x9b")]),
    (b"k-bad\xff\xfe", b"v-bad\xff\xfe\x9b31m", [("h-plain", b"hv\xff")]),
    (b"k-nul\x00\r", "caf\u00e9 \u2066iso\u2069".encode(), []),
]


def payload_segment():
    """Each record in a batch of its own, then the same batch again at the
    next offsets (a client's retry without idempotence), built by
    kafka-python; base offsets stamped the way a broker does (bytes 0..7,
    outside the CRC)."""
    from kafka.record.default_records import DefaultRecordBatchBuilder
    out = bytearray()
    offset = 0
    for i, (key, value, headers) in enumerate(PAYLOADS):
        for _copy in range(2):
            b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False,
                                          producer_id=-1, producer_epoch=-1, base_sequence=-1,
                                          batch_size=1 << 20)
            assert b.append(0, timestamp=1700000000000 + 1000 * i, key=key, value=value,
                            headers=list(headers)) is not None
            buf = bytearray(b.build())
            buf[0:8] = struct.pack(">q", offset)
            out += buf
            offset += 1
    return bytes(out)


def build(tmp):
    """The hostile tree under tmp (bytes paths); returns its root."""
    root = os.path.join(tmp, b"data")
    ld = os.path.join(root, b"logdir")
    os.makedirs(ld)
    orders = os.path.join(os.fsencode(SAMPLE), b"orders-0")
    for name in NAMES:
        shutil.copytree(orders, os.path.join(ld, name + b"-0"))
    pay = os.path.join(ld, b"payloads-0")
    os.makedirs(pay)
    with open(os.path.join(pay, b"00000000000000000000.log"), "wb") as f:
        f.write(payload_segment())
    with open(os.path.join(ld, b"recovery-point-offset-checkpoint"), "wb") as f:
        f.write(b"0\n%d\n" % len(CHECKPOINT_TOPICS) + b"".join(t + b" 0 1\n" for t in CHECKPOINT_TOPICS))
    with open(os.path.join(ld, b"meta.properties"), "wb") as f:
        f.write(b"version=0\nbroker.id=1\ncluster.id=" + CLUSTER_ID + b"\n")
    for d in (HOSTILE_LOGDIR, b"plain-ld"):
        shutil.copytree(orders, os.path.join(root, d, b"orders-0"))
    return root


# ---- running kaudit --------------------------------------------------------

def kaudit():
    exe = os.environ.get("KAUDIT", "./kaudit")
    return exe if os.path.isabs(exe) else os.path.join(ROOT, exe)


def run(args):
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    env.pop("NO_COLOR", None)
    p = subprocess.run([os.fsencode(kaudit())] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env, timeout=300)
    return p.returncode, p.stdout, p.stderr


def check_inert(what, out, err, sgr=False):
    bad = raw_controls(out, sgr)
    check(what + ": stdout holds no raw control", not bad, "; ".join(bad[:3]))
    bad = raw_controls(err)
    check(what + ": stderr holds no raw control", not bad, "; ".join(bad[:3]))


def strings_of(v):
    """Every string in a parsed JSON value, keys included."""
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for k, x in v.items():
            yield k
            yield from strings_of(x)
    elif isinstance(v, list):
        for x in v:
            yield from strings_of(x)


def name_paths(root):
    """(name bytes, the path under which it shows) of every hostile name."""
    for n in NAMES:
        yield n, n + b"-0"
    yield HOSTILE_LOGDIR, HOSTILE_LOGDIR + b"/orders-0"


def test_audit(root):
    for fmt in ("text", "json", "markdown", "html"):
        rc, out, err = run([b"audit", b"-q", b"--fail-on", b"none", b"--color", b"never", b"--format",
                            fmt.encode(), root])
        what = "audit --format " + fmt
        check(what + ": ran (exit 0 or 2)", rc in (0, 2), "exit %d: %r" % (rc, err[-300:]))
        check_inert(what, out, err)
        stdout = out.decode("utf-8", "replace")
        stderr = err.decode("utf-8", "replace")
        if fmt == "json":
            try:
                report = json.loads(out.decode("utf-8"))
            except ValueError as e:
                check(what + ": parses", False, str(e))
                continue
            check(what + ": parses", True)
            texts = list(strings_of(report))
            for n, shown in name_paths(root):
                check("%s: %r in a string" % (what, n), any(json_form(shown) in t for t in texts))
            previews = {(f.get("key_preview"), f.get("value_preview")) for f in report["findings"]}
            for key, value, _h in PAYLOADS:
                check("%s: previews of %r" % (what, key), (preview_form(key), preview_form(value)) in previews,
                      repr(sorted(p for p in previews if p[0] and p[0].startswith("k-"))))
            continue
        form = {"text": text_form, "markdown": md_form, "html": html_form}[fmt]
        for n, shown in name_paths(root):
            # Markdown names partitions by topic alone: no path.
            check("%s: %r shown as %r" % (what, n, form(shown)),
                  form(shown) in stdout or (fmt == "markdown" and n == HOSTILE_LOGDIR))
            check("%s: %r on stderr as %r" % (what, n, text_form(shown)),
                  n == HOSTILE_LOGDIR or text_form(shown) in stderr)
        if fmt == "html":
            check(what + ": the cluster.id shown", html_form(CLUSTER_SHOWN) in stdout)
        if fmt in ("markdown", "html"):
            for key, value, _h in PAYLOADS:
                for b in (key, value):
                    p = preview_form(b)
                    p = p.replace("|", "/") if fmt == "markdown" else html_form(p.encode())
                    check("%s: preview of %r" % (what, b), p in stdout)
    # On a terminal: the same text with colours; only our own colour codes.
    rc, out, err = run([b"audit", b"-q", b"--fail-on", b"none", b"--color", b"always", root])
    check_inert("audit --color always", out, err, sgr=True)
    check("audit --color always: colours are there", b"\x1b[0m" in out)
    for n, shown in name_paths(root):
        check("audit --color always: %r shown" % n, text_form(shown) in out.decode("utf-8", "replace"))


def test_dump(root):
    rc, out, err = run([b"dump", b"-q", b"--records", b"--payload", root])
    what = "dump --records --payload"
    check(what + ": ran", rc in (0, 1, 2), "exit %d" % rc)
    check_inert(what, out, err)
    text = out.decode("utf-8", "replace") + err.decode("utf-8", "replace")
    for n, shown in name_paths(root):
        check("%s: %r shown as %r" % (what, n, text_form(shown)), text_form(shown) in text)
    check(what + ": the hostile log directory's segment dumped",
          "Dumping " + text_form(os.path.join(root, HOSTILE_LOGDIR, b"orders-0", b"00000000000000000000.log"))
          in text)
    check(what + ": the cluster.id shown", "cluster.id: " + text_form(CLUSTER_SHOWN) in text)
    for t in CHECKPOINT_TOPICS:
        check("%s: checkpoint topic %r shown" % (what, t), "topic: " + text_form(t) + " partition: 0" in text)
    for key, value, headers in PAYLOADS:
        check("%s: key %r" % (what, key), " key: " + dump_form(key) + " payload: " + dump_form(value) in text)
        for hk, hv in headers:
            check("%s: header %r" % (what, hk), dump_form(hk.encode()) + "=" + dump_form(hv) in text)

    rc, out, err = run([b"dump", b"-q", b"--format", b"jsonl", b"--records", root])
    what = "dump --format jsonl"
    check_inert(what, out, err)
    lines, broken = [], []
    for line in out.split(b"\n")[:-1]:
        try:
            lines.append(json.loads(line.decode("utf-8")))
        except ValueError as e:
            broken.append("%s: %r" % (e, line[:120]))
    check(what + ": every line parses", not broken and len(lines) > 100, "; ".join(broken[:3]))
    texts = [t for x in lines for t in strings_of(x)]
    for n, shown in name_paths(root):
        check("%s: %r in a string" % (what, n), any(json_form(shown) in t for t in texts))
    check(what + ": the cluster.id", any(x.get("cluster_id") == json_form(CLUSTER_SHOWN) for x in lines))
    cp = [e.get("topic") for x in lines if x.get("type") == "checkpoint" for e in x.get("entries", [])]
    check(what + ": checkpoint topics", all(json_form(t) in cp for t in CHECKPOINT_TOPICS), repr(cp))

    def as_json(b):
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(b).decode()}

    recs = [x for x in lines if x.get("type") == "record" and "/payloads-0/" in x.get("file", "")]
    check(what + ": every payload record", len(recs) == 2 * len(PAYLOADS), "%d records" % len(recs))
    for i, x in enumerate(recs[:2 * len(PAYLOADS)]):
        key, value, headers = PAYLOADS[i // 2]
        check("%s: record %d's key" % (what, i), x.get("key") == as_json(key), repr(x.get("key")))
        check("%s: record %d's value" % (what, i), x.get("value") == as_json(value), repr(x.get("value")))
        want = [{"key": hk, "value": as_json(hv)} for hk, hv in headers]
        check("%s: record %d's headers" % (what, i), x.get("headers") == want, repr(x.get("headers")))


def test_paths(root):
    """Single files under hostile paths, and hostile arguments."""
    seg = os.path.join(root, HOSTILE_LOGDIR, b"orders-0", b"00000000000000000000.log")
    rc, out, err = run([b"dump", seg])
    check_inert("dump of a file under a hostile path", out, err)
    check("dump of a file under a hostile path: named", ("Dumping " + text_form(seg)).encode() in out)
    rc, out, err = run([b"dump", b"--format", b"jsonl", seg])
    try:
        first = json.loads(out.split(b"\n")[0].decode("utf-8"))
    except ValueError as e:             # UnicodeDecodeError is one
        first = {"error": str(e)}
    check("dump --format jsonl of a file under a hostile path: named", first.get("file") == json_form(seg),
          repr(first))
    missing = os.path.join(root, b"gone\x1b[2J\xe2\x80\xae\xff-0")
    for cmd in (b"audit", b"dump"):
        rc, out, err = run([cmd, missing])
        check_inert(cmd.decode() + " of a missing hostile path", out, err)
        check(cmd.decode() + " of a missing hostile path: exit 2", rc == 2, "exit %d" % rc)
        check(cmd.decode() + " of a missing hostile path: named", text_form(missing).encode() in out + err,
              repr((out + err)[-300:]))
    rc, out, err = run([b"\x1b]0;title\x07\x9b"])
    check_inert("an unknown hostile command", out, err)
    check("an unknown hostile command: named", b"unknown command '\\x1b]0;title\\x07\\x9b'" in err, repr(err[:80]))


def main():
    try:
        import kafka.record.default_records  # noqa: F401
    except ImportError as e:
        check("kafka-python (Debian python3-kafka) is there", False, str(e))
        return done()
    tmp = tempfile.mkdtemp(prefix="kaudit-hostile-")
    try:
        root = build(os.fsencode(tmp))
        test_audit(root)
        test_dump(root)
        test_paths(root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
