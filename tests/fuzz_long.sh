#!/bin/sh
# Long fuzzing: every build/fuzz/fuzz_* for $1 seconds, two at a time (the
# machines have 2 cores). Logs and crashes in tests/artifacts/fuzz-long/.
cd "$(dirname "$0")/.." || exit 2
secs=${1:-1800}
out=tests/artifacts/fuzz-long
mkdir -p "$out"
: >"$out/summary.txt"
run_one() {
    name=$(basename "$1")
    mkdir -p "$out/$name"
    seeds=
    case $name in fuzz_batch|fuzz_segment|fuzz_codec|fuzz_audit) seeds=../../../../fixtures ;; esac
    (cd "$out/$name" && ../../../../"$1" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        . $seeds >log.txt 2>&1; echo "exit $?" >>log.txt)
    { echo "== $name ($secs s)"; grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|Done|exit)|cov:" "$out/$name/log.txt" | tail -n 6; ls "$out/$name" | grep -E "^(crash|timeout|leak|oom)-" ; } >>"$out/summary.txt"
}
set -- build/fuzz/fuzz_*
while [ $# -gt 0 ]; do
    run_one "$1" &
    [ $# -gt 1 ] && run_one "$2" &
    wait
    shift; [ $# -gt 0 ] && shift
done
cat "$out/summary.txt"
