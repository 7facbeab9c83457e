#!/bin/sh
# test_cli.sh - the command line as a user meets it: help, version, exit
# codes (0 clean, 1 problems in the data, 2 usage or unreadable input),
# errors on stderr, filters. Ends with "kt: N passed, M failed".
cd "$(dirname "$0")/.." || exit 2
K=${KAUDIT:-./kaudit}
C=../shared/corpus
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# check NAME EXPECTED_RC COMMAND...: run, compare the exit code.
check() {
    name=$1 want=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -eq "$want" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "  FAIL $name: exit $rc, wanted $want"; fi
}
# expect NAME FILE PATTERN: the file matches the extended regex.
expect() {
    if grep -Eq -- "$3" "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "  FAIL $1: no /$3/ in $2"; head -5 "$2" | sed 's/^/    /'; fi
}
# count NAME FILE PATTERN N: exactly N lines match.
count() {
    n=$(grep -Ec -- "$3" "$2")
    if [ "$n" -eq "$4" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "  FAIL $1: $n lines match /$3/, wanted $4"; fi
}

check "help" 0 $K --help
expect "help lists dump" "$tmp/out" "^  dump "
check "dump help" 0 $K dump --help
expect "dump help lists --verify-index" "$tmp/out" "--verify-index"
check "version" 0 $K --version
expect "version format" "$tmp/out" "^kaudit [0-9]+\.[0-9]+\.[0-9]+$"
check "no command" 2 $K
expect "usage on stderr" "$tmp/err" "^Usage: kaudit"
check "unknown command" 2 $K frobnicate
expect "unknown command named" "$tmp/err" "unknown command 'frobnicate'"
check "dump without path" 2 $K dump
check "bad option" 2 $K dump --no-such-option $C
check "bad range" 2 $K dump --offsets 9:1 $C/DonaldY__kafka-2.7.1
check "missing path" 2 $K dump /nonexistent/kaudit
expect "missing path message" "$tmp/out" "cannot read"

# A clean partition: exit 0, and --offsets keeps exactly the batches asked for.
P=$C/William0423__kafka/kafka-logs/__consumer_offsets-28
check "clean partition" 0 $K dump --format jsonl $P
check "offsets filter" 0 $K dump --format jsonl --offsets 10:12 $P
count "offsets filter keeps 3 batches" "$tmp/out" '"type":"batch"' 3
check "producer filter" 0 $K dump --format jsonl --producer-id 123456 $P
count "producer filter keeps none" "$tmp/out" '"type":"batch"' 0

# A partition named by "." or with a trailing slash is still a partition
# (8202 batches: tests/oracle.py, kafka-python, on the same folder).
K_ABS=$(cd "$(dirname "$K")" && pwd)/$(basename "$K")
check "dump . in a partition" 0 sh -c "cd $P && $K_ABS dump --format jsonl ."
count "dump . finds every batch" "$tmp/out" '"type":"batch"' 8202
check "trailing slash" 0 $K dump --format jsonl $P/
count "trailing slash finds every batch" "$tmp/out" '"type":"batch"' 8202

# Redpanda: one clear message, exit 2, nothing decoded.
check "redpanda" 2 $K dump $C/langley232__video_ingestion
count "redpanda one message" "$tmp/out" "Redpanda" 1
expect "redpanda summary on stderr" "$tmp/err" "not readable"

# Problems in the data: exit 1, message with file and position.
head -c 4000 $P/00000000000000000000.log >"$tmp/00000000000000000000.log"
check "truncated copy" 1 $K dump "$tmp/00000000000000000000.log"
expect "truncated message" "$tmp/out" "^ERROR .*00000000000000000000.log at position [0-9]+: partial entry"

# audit: exit codes for scheduled audits, output file, scope options.
S=fixtures/sample/logdir
check "audit help" 0 $K audit --help
expect "audit help lists --fail-on" "$tmp/out" "--fail-on"
check "audit sample finds warnings" 1 $K audit $S
expect "audit verdict" "$tmp/out" "^Found 0 errors and 3 warnings"
check "audit fail-on none" 0 $K audit --fail-on none $S
check "audit fail-on error" 0 $K audit --fail-on error $S
check "audit fail-on info" 1 $K audit --fail-on info $S
check "audit clean partition" 0 $K audit $S/payments-0
expect "audit clean verdict" "$tmp/out" "^Clean"
check "audit json to file" 1 $K audit --format json -o "$tmp/report.json" $S
count "audit -o leaves stdout empty" "$tmp/out" "." 0
expect "audit json written" "$tmp/report.json" '"schema_version":2'
check "audit topics filter" 0 $K audit --topics '^payments$' $S
expect "audit topics filter audits one partition" "$tmp/out" "Audited 1 partition,"
check "audit exclude filter" 1 $K audit --exclude-topics '^payments$' --format json $S
count "audit exclude keeps the 2 orders partitions" "$tmp/out" '"topic":"payments"' 0
check "audit offsets window" 0 $K audit --offsets 0:9 --topics '^orders$' $S
# A window no batch was written in matches nothing: a usage warning, not Clean (issue 16).
check "audit since window matching nothing" 2 $K audit --since 2030-01-01 $S
check "audit html" 1 $K audit --format html -o "$tmp/r.html" $S
expect "audit html is a page" "$tmp/r.html" "^<!DOCTYPE html>"
expect "audit html verdict" "$tmp/r.html" '<p id="verdict" class="v-warning">0 errors and 3 warnings'
check "audit markdown" 1 $K audit --format markdown $S
expect "audit markdown table" "$tmp/out" '^\| `duplicate` \| 0 \| 3 \| 0 \|$'
check "audit color always" 1 $K audit --color always $S
expect "audit color codes" "$tmp/out" "$(printf '\033')\\[33m"
check "audit color auto off a terminal" 1 $K audit $S
count "audit no color in a pipe" "$tmp/out" "$(printf '\033')" 0
check "audit bad color" 2 $K audit --color sometimes $S
# The report is the same whatever the number of jobs (same findings, order, ids).
$K audit --format json --jobs 1 --max-examples 3 fixtures/audit $C/dschne27__kafka-streams 2>/dev/null | sed 's/"generated_at":"[^"]*"//' >"$tmp/j1"
$K audit --format json --jobs 3 --max-examples 3 fixtures/audit $C/dschne27__kafka-streams 2>/dev/null | sed 's/"generated_at":"[^"]*"//' >"$tmp/j3"
if cmp -s "$tmp/j1" "$tmp/j3" && [ -s "$tmp/j1" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "  FAIL jobs: reports differ between --jobs 1 and 3"; fi
expect "jobs report has findings" "$tmp/j1" '"id":"F[0-9a-f]{12}"'
# One partition with a thread to spare is read in parts (engine/pipeline.h):
# the same report, in memory and spilled, for v1, v2 and compressed data.
# (Each budget spills the partition; the compressed one needs 512K for its
# decompression share to hold its largest batch.)
for pm in $C/xpxwo100__bullShit/tmp/kafka-logs/TEST-TOPIC-0:256K fixtures/audit/37-large-partition/orders-0:256K \
          $C/dschne27__kafka-streams/broker/data/_confluent-controlcenter-7-6-1-1-MetricsAggregateStore-repartition-0:512K; do
    p=${pm%:*} m=${pm##*:}
    $K audit --format json --jobs 1 --fail-on none "$p" 2>/dev/null | sed 's/"generated_at":"[^"]*"//' >"$tmp/r1"
    $K audit --format json --jobs 2 --fail-on none "$p" 2>/dev/null | sed 's/"generated_at":"[^"]*"//' >"$tmp/r2"
    $K audit -q --format json --jobs 2 --max-memory "$m" --fail-on none "$p" 2>"$tmp/r3.err" | sed 's/"generated_at":"[^"]*"//' >"$tmp/r3"
    if [ -s "$tmp/r1" ] && grep -q '"records":[1-9]' "$tmp/r1" && cmp -s "$tmp/r1" "$tmp/r2" && cmp -s "$tmp/r1" "$tmp/r3"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "  FAIL pipeline: reports differ for $p"
    fi
done
check "audit bad jobs" 2 $K audit --jobs 0 $S
expect "audit bad jobs: the range said" "$tmp/err" "--jobs needs a number from 1 to 1024: 0"
check "audit too many jobs" 2 $K audit --jobs 5000 $S
expect "audit too many jobs: the range said" "$tmp/err" "--jobs needs a number from 1 to 1024: 5000"
# The most jobs on three partitions: three threads audit (the rest read
# their segments in parts), and the report is the one of a single job.
$K audit --format json --jobs 1 --fail-on none $S 2>/dev/null | sed 's/"generated_at":"[^"]*"//' >"$tmp/jobs1"
check "audit --jobs 1024" 0 $K audit --format json --jobs 1024 --fail-on none $S
sed -i 's/"generated_at":"[^"]*"//' "$tmp/out"
if [ -s "$tmp/jobs1" ] && cmp -s "$tmp/jobs1" "$tmp/out"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "  FAIL --jobs 1024: the report differs from --jobs 1"; fi
check "audit bad regex" 2 $K audit --topics '(' $S
check "audit bad time" 2 $K audit --since yesterday $S
check "audit bad duration" 2 $K audit --producer-expiration 3weeks $S
check "audit bad transaction timeout" 2 $K audit --txn-max-timeout 0 $S
# A transaction open 3 minutes: in progress (info, exit 0) under the broker's
# default 15 minutes, hanging (a warning, exit 1) under 1 minute.
check "audit transaction in progress" 0 $K audit fixtures/audit/40-transaction-in-progress
check "audit transaction hanging" 1 $K audit --txn-max-timeout 1m fixtures/audit/40-transaction-in-progress
check "audit unreadable input" 2 $K audit /nonexistent/kaudit
check "audit redpanda" 2 $K audit --format json $C/luisfelipebp__olist-analytics
expect "audit redpanda problem listed" "$tmp/out" "Redpanda"

# make install: a second front end builds against the installed header and
# libkaudit.a alone, and audits the sample.
if make -s install DESTDIR="$tmp/inst" PREFIX=/usr >"$tmp/install.log" 2>&1 &&
   cc -std=c11 -D_GNU_SOURCE -I"$tmp/inst/usr/include/kaudit" tests/front_end.c -L"$tmp/inst/usr/lib" -lkaudit \
      -lzstd -llz4 -lsnappy -lz -lcjson -lxxhash -pthread -lm -o "$tmp/front_end" 2>>"$tmp/install.log" &&
   [ -x "$tmp/inst/usr/bin/kaudit" ]; then
    check "installed front end audits the sample" 0 "$tmp/front_end" fixtures/sample/logdir
    expect "installed front end found the sample's duplicates" "$tmp/out" "^3 partitions, 3 warnings"
else
    fail=$((fail + 1)); echo "  FAIL make install or the front end's build:"; tail -5 "$tmp/install.log" | sed 's/^/    /'
fi

# Only reads: the corpus tree is unchanged by a dump and an audit (names,
# sizes, mtimes).
# (contents too: every file's checksum).
tree_state() { (find "$1" -printf '%p %s %T@ %m\n'; find "$1" -type f -exec md5sum {} +) | sort | md5sum; }
before=$(tree_state $C/DonaldY__kafka-2.7.1)
$K dump --records --verify-index $C/DonaldY__kafka-2.7.1 >/dev/null 2>&1
$K audit --format json $C/DonaldY__kafka-2.7.1 >/dev/null 2>&1
after=$(tree_state $C/DonaldY__kafka-2.7.1)
if [ "$before" = "$after" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "  FAIL read-only: the tree changed"; fi

# --dup-include-headers: equal key and value, different headers (written by
# kafka-python, two batches at offsets 0 and 1).
mkdir -p "$tmp/hdr/events-0"
/usr/bin/python3 - "$tmp/hdr/events-0/00000000000000000000.log" <<'PY'
import struct, sys
from kafka.record.default_records import DefaultRecordBatchBuilder
out = b""
for offset, header in ((0, b"a"), (1, b"b")):
    b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False, producer_id=-1,
                                  producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
    b.append(0, 1700000000000 + offset, b"k", b"v", [("trace", header)])
    raw = bytearray(b.build())
    struct.pack_into(">q", raw, 0, offset)  # the broker assigns the base offset
    out += bytes(raw)
open(sys.argv[1], "wb").write(out)
PY
check "headers ignored by default" 1 $K audit --format json "$tmp/hdr"
expect "headers ignored: one duplicate" "$tmp/out" '"findings_by_type":\{"duplicate":1\}'
check "dup-include-headers" 0 $K audit --format json --dup-include-headers "$tmp/hdr"
expect "dup-include-headers: none" "$tmp/out" '"findings_by_type":\{\}'

# --redact: no payload byte in a shared report, duplicates still line up.
# The sample's values are JSON orders ("order_id"), its keys "order-<n>".
check "redacted html" 1 $K audit --format html --redact keys,values -o "$tmp/red.html" $S
count "redacted html: no value byte" "$tmp/red.html" 'order_id' 0
count "redacted html: no key byte" "$tmp/red.html" 'order-[0-9]' 0
count "redacted html: the 3 duplicates remain" "$tmp/red.html" '<tr id="F[0-9a-f]*" data-type="duplicate"' 3
expect "redacted html says so" "$tmp/red.html" 'Redacted</td><td><code>keys, values</code>'
printf 'a shared secret\n' >"$tmp/key"
$K audit --format json --redact values --redact-key-file "$tmp/key" $S >"$tmp/red1.json" 2>/dev/null
$K audit --format json --redact values --redact-key-file "$tmp/key" $S >"$tmp/red2.json" 2>/dev/null
$K audit --format json --redact values $S >"$tmp/red3.json" 2>/dev/null
t1=$(grep -o 'token [0-9a-f]*' "$tmp/red1.json" | head -n 1)
t2=$(grep -o 'token [0-9a-f]*' "$tmp/red2.json" | head -n 1)
t3=$(grep -o 'token [0-9a-f]*' "$tmp/red3.json" | head -n 1)
if [ -n "$t1" ] && [ "$t1" = "$t2" ] && [ "$t1" != "$t3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "  FAIL redact key: '$t1' '$t2' '$t3'"; fi
count "redacted json: keys still shown" "$tmp/red1.json" '"key_preview":"order-5"' 1
check "redacted dump" 0 $K dump --format jsonl --records --redact values,headers $S/payments-0
count "redacted dump: no value byte" "$tmp/out" 'order_id|payment_id|amount' 0
expect "redacted dump: token objects" "$tmp/out" '"value":\{"redacted":true,"size":[0-9]+,"token":"[0-9a-f]{16}"\}'
check "bad redact" 2 $K audit --redact passwords $S

# A symlink cycle inside a log directory does not loop; paths are reported as given.
mkdir -p "$tmp/logdir/orders-0"
cp fixtures/sample/logdir/orders-0/00000000000000000000.log "$tmp/logdir/orders-0/"
ln -s .. "$tmp/logdir/orders-0/loop"
ln -s "$tmp/logdir" "$tmp/logdir/again"
check "symlink cycle terminates" 1 timeout 20 $K audit --format json "$tmp/logdir"
count "symlink cycle: one partition" "$tmp/out" '"path":"[^"]*orders-0","log_start' 1
expect "paths as given" "$tmp/out" "\"path\":\"$tmp/logdir/orders-0\""

# A report or dump that cannot be written whole (a full disk) is exit 2, and said.
if [ -w /dev/full ]; then
    check "audit to a full disk" 2 sh -c "$K audit fixtures/sample/logdir >/dev/full"
    expect "audit says why" "$tmp/err" "writing the report failed: No space left on device"
    check "audit -o a full disk" 2 $K audit --format json -o /dev/full fixtures/sample/logdir
    check "dump to a full disk" 2 sh -c "$K dump --records fixtures/sample/logdir >/dev/full"
    expect "dump says why" "$tmp/err" "writing the dump failed: No space left on device"
else
    fail=$((fail + 1)); echo "  FAIL /dev/full is missing: the write-failure checks cannot run"
fi

echo "kt: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
