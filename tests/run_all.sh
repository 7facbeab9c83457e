#!/bin/bash
# Run every test suite and add up their "kt: N passed, M failed" lines.
# Ends with the line "N passed, M failed"; exits 1 when anything failed.
#
#   fixtures made at test time   build/workloads/ (tests/test_workloads.py --generate), once, as a job
#                                beside the first suites; the suites that read them wait for it
#   fixtures and corpus          tests/test_*.py against ./kaudit and build/asan/kaudit
#   unit tests (C)               build/tests/test_*
#   the same under ASan+UBSan    build/asan/tests/test_*
#   CLI behaviour                tests/test_*.sh (test_cli.sh, test_writes.sh)
#   fuzz regressions             every input in fuzz/regressions/<target>/, replayed
#   fuzz smoke                   build/fuzz/fuzz_* for FUZZ_SECONDS each (default 3)
#
# Suites run KT_JOBS at a time (default: one per CPU), the longest first;
# each writes tests/artifacts/<suite>.txt, and the results are printed in
# the order below once all have finished, so logs compare run to run.
cd "$(dirname "$0")/.." || exit 2
PY=/usr/bin/python3
FUZZ_SECONDS=${FUZZ_SECONDS:-3}
KT_JOBS=${KT_JOBS:-$(nproc 2>/dev/null || echo 2)}
mkdir -p tests/artifacts
passed=0
failed=0
names=()
running=0

# out NAME: the suite's output file.
out() { echo "tests/artifacts/$(echo "$1" | tr ' /()' '____').txt"; }

# submit NAME COMMAND...: start a suite in the background, at most KT_JOBS
# at once; its output and exit status go to its file.
submit() {
    local name=$1 file
    shift
    file=$(out "$name")
    names+=("$name")
    (start=$(date +%s%N); "$@" >"$file" 2>&1; echo $? >"$file.rc"
     echo $((($(date +%s%N) - start) / 1000000)) >"$file.ms") &
    running=$((running + 1))
    if [ "$running" -ge "$KT_JOBS" ]; then
        wait -n
        running=$((running - 1))
    fi
}

# report NAME: show a finished suite's result, add up its kt line.
report() {
    local name=$1 file line p f rc
    file=$(out "$name")
    rc=$(cat "$file.rc" 2>/dev/null || echo 1)
    line=$(grep -E '^kt: [0-9]+ passed, [0-9]+ failed' "$file" | tail -n 1)
    if [ -z "$line" ]; then
        echo "FAIL $name: no result line (exit $rc); see $file"
        tail -n 20 "$file" | sed 's/^/    /'
        failed=$((failed + 1))
        return
    fi
    p=$(echo "$line" | sed -E 's/^kt: ([0-9]+) passed, ([0-9]+) failed.*/\1/')
    f=$(echo "$line" | sed -E 's/^kt: ([0-9]+) passed, ([0-9]+) failed.*/\2/')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p))
    failed=$((failed + f))
    printf '%-44s %5d passed, %d failed %7.1f s\n' "$name" "$p" "$f" "$(awk '{ print $1 / 1000 }' "$file.ms" 2>/dev/null || echo 0)"
    if [ "$f" -ne 0 ]; then grep -E 'FAIL|ERROR|runtime error|Sanitizer' "$file" | head -n 30 | sed 's/^/    /'; fi
}

# The leak check costs 60 ms at the exit of every ASan process. The suites
# that start kaudit a hundred times over the audit fixtures and workloads run
# without it: build/asan/tests/test_engine audits every audit fixture (in
# memory and spilled, every renderer) in one process with it.
leaks() {
    case $(basename "$1") in test_audit.py|test_workloads.py) echo detect_leaks=0 ;; *) echo detect_leaks=1 ;; esac
}

t0=$(date +%s)
# The workloads are generated once, by a job of its own beside the first
# suites; the two suites that read them wait for it.
generated="$(out "generate workloads").rc"
rm -f "$generated"
[ -f tests/test_workloads.py ] && submit "generate workloads" sh -c \
    "$PY tests/test_workloads.py --generate && echo 'kt: 1 passed, 0 failed' || echo 'kt: 0 passed, 1 failed'"

# The longest first: the Python suites under ASan, then the plain ones.
for kind in asan plain; do
    for t in tests/test_*.py; do
        [ -f "$t" ] || continue
        # The workloads' suites start once they are generated (long done by
        # the time their turn comes; a failure to generate is theirs too).
        wait_for=
        [ "$t" = tests/test_workloads.py ] && wait_for="while [ ! -f '$generated' ]; do sleep 0.2; done;"
        if [ "$kind" = asan ]; then
            submit "asan $(basename "$t")" sh -c "$wait_for exec env KAUDIT=build/asan/kaudit KT_TAG=asan- \
                ASAN_OPTIONS=$(leaks "$t") $PY $t"
        else
            submit "$(basename "$t")" sh -c "$wait_for exec env KAUDIT=./kaudit $PY $t"
        fi
    done
done
for f in build/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f")
    # New inputs go to the artifacts folder; the kafka-python fixtures'
    # segments seed the parsers of segment bytes (libFuzzer reads seed
    # folders recursively and never writes to them).
    seeds=
    case $name in
    fuzz_batch|fuzz_segment|fuzz_codec|fuzz_audit|fuzz_dump)
        for d in segments corrupt audit sample; do [ -d "fixtures/$d" ] && seeds="$seeds ../../../fixtures/$d"; done ;;
    fuzz_digest)
        seeds=../../../fuzz/seeds/fuzz_digest ;; # digests of fixtures/replicas (kaudit digest)
    fuzz_jsonpath)
        seeds=../../../fuzz/seeds/fuzz_jsonpath ;; # a path line, then a JSON value
    esac
    mkdir -p "tests/artifacts/$name"
    submit "fuzz $name (${FUZZ_SECONDS}s)" sh -c "
        cd tests/artifacts/$name && ../../../$f -max_total_time=$FUZZ_SECONDS -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 . $seeds >log.txt 2>&1
        rc=\$?; cat log.txt | tail -n 15
        if [ \$rc -eq 0 ]; then echo 'kt: 1 passed, 0 failed'; else echo 'kt: 0 passed, 1 failed'; fi"
done
# The shell suites (test_cli.sh, test_writes.sh, ...): each tests/test_*.sh.
for t in tests/test_*.sh; do
    [ -f "$t" ] && submit "$(basename "$t")" sh "$t"
done
for t in build/tests/test_*; do
    [ -x "$t" ] && submit "unit $(basename "$t")" "$t"
done
for t in build/asan/tests/test_*; do
    [ -x "$t" ] && submit "asan $(basename "$t")" env ASAN_OPTIONS=detect_leaks=1 "$t"
done
# Inputs that once crashed a parser: each replayed once by its fuzz target.
for input in fuzz/regressions/*/*; do
    [ -f "$input" ] || continue
    target=build/fuzz/$(basename "$(dirname "$input")")
    submit "regression $(basename "$(dirname "$input")")/$(basename "$input")" sh -c "
        $target -runs=1 $input && echo 'kt: 1 passed, 0 failed' || echo 'kt: 0 passed, 1 failed'"
done
wait

for name in "${names[@]}"; do report "$name"; done
echo
echo "(the suites took $(($(date +%s) - t0)) s, $KT_JOBS at a time)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
