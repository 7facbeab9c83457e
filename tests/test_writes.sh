#!/bin/sh
# test_writes.sh - output that cannot be written is never a success: every
# command and format, on stdout or with -o, to a full disk (/dev/full) or a
# closed stdout, exits non-zero (2) with one line on stderr naming the write
# error, and the same command to /dev/null succeeds (so the failure is the
# write's). Ends with "kt: N passed, M failed".
cd "$(dirname "$0")/.." || exit 2
K=${KAUDIT:-./kaudit}
S=fixtures/sample/logdir
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "  FAIL $1"; }

# lost NAME REASON COMMAND...: COMMAND's output (stdout set up by the
# caller through sh -c) cannot be written: exit 2, and stderr holds exactly
# one line, naming REASON.
lost() {
    name=$1 reason=$2
    shift 2
    "$@" 2>"$tmp/err" >/dev/null
    rc=$?
    [ "$rc" -eq 2 ] && ok || ko "$name: exit $rc, wanted 2"
    lines=$(grep -c . "$tmp/err")
    if [ "$lines" -eq 1 ] && grep -Eq "^kaudit( audit| dump| compare)?: writing .*failed: $reason\$" "$tmp/err"; then
        ok
    else
        ko "$name: wanted one line on stderr naming '$reason', got $lines:"
        head -3 "$tmp/err" | sed 's/^/    /'
    fi
}

# fine NAME COMMAND...: the same command written to /dev/null exits 0, says nothing.
fine() {
    name=$1
    shift
    "$@" >/dev/null 2>"$tmp/err"
    rc=$?
    if [ "$rc" -eq 0 ] && ! [ -s "$tmp/err" ]; then ok; else ko "$name to /dev/null: exit $rc"; head -3 "$tmp/err" | sed 's/^/    /'; fi
}

if ! [ -w /dev/full ]; then
    echo "  FAIL /dev/full is missing: the write-failure checks cannot run"
    echo "kt: 0 passed, 1 failed"
    exit 1
fi
FULL="No space left on device"
CLOSED="Bad file descriptor"

# audit: every format, to stdout and with -o.
for f in text json html markdown prometheus; do
    fine "audit $f" $K audit -q --fail-on none --format $f $S
    lost "audit $f >/dev/full" "$FULL" sh -c "$K audit -q --fail-on none --format $f $S >/dev/full"
    lost "audit $f -o /dev/full" "$FULL" $K audit -q --fail-on none --format $f -o /dev/full $S
    lost "audit $f, stdout closed" "$CLOSED" sh -c "$K audit -q --fail-on none --format $f $S >&-"
done
# A small report (a partition with no finding: a few hundred bytes) fails
# only when flushed. (Not a topic that matches nothing: that is a usage
# warning on stderr of its own since issue 16.)
lost "small audit >/dev/full" "$FULL" sh -c "$K audit -q --topics '^payments$' $S >/dev/full"
# compare: two brokers' copies, every format.
R="fixtures/replicas/unclean-fork/broker1 fixtures/replicas/unclean-fork/broker2"
for f in text json html markdown prometheus; do
    lost "compare $f >/dev/full" "$FULL" sh -c "$K compare -q --fail-on none --format $f $R >/dev/full"
    lost "compare $f -o /dev/full" "$FULL" $K compare -q --fail-on none --format $f -o /dev/full $R
done

# dump: both formats, batches, records and payloads, a partition, one file, index checks.
for f in text jsonl; do
    for o in "" --records --payload; do
        fine "dump $f $o" $K dump -q --format $f $o $S
        lost "dump $f $o >/dev/full" "$FULL" sh -c "$K dump -q --format $f $o $S >/dev/full"
        lost "dump $f $o, stdout closed" "$CLOSED" sh -c "$K dump -q --format $f $o $S >&-"
    done
done
lost "dump --verify-index >/dev/full" "$FULL" sh -c "$K dump -q --verify-index $S/orders-0 >/dev/full"
lost "dump of an index >/dev/full" "$FULL" sh -c "$K dump -q $S/orders-0/00000000000000000000.index >/dev/full"
lost "dump of a checkpoint >/dev/full" "$FULL" sh -c "$K dump -q $S/recovery-point-offset-checkpoint >/dev/full"

# Help and version, of kaudit and of each command.
for args in --help -h help --version version "audit --help" "audit -h" "dump --help" "dump -h" "compare --help" \
    "compare -h"; do
    fine "kaudit $args" $K $args
    lost "kaudit $args >/dev/full" "$FULL" sh -c "$K $args >/dev/full"
    lost "kaudit $args, stdout closed" "$CLOSED" sh -c "$K $args >&-"
done

echo "kt: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
