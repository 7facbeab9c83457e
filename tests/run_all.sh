#!/bin/sh
# Run every test suite and add up their "kt: N passed, M failed" lines.
# Ends with the line "N passed, M failed"; exits 1 when anything failed.
#
#   unit tests (C)            build/tests/test_*
#   the same under ASan+UBSan build/asan/tests/test_*
#   fixtures and corpus       tests/test_*.py against ./kaudit and build/asan/kaudit
#   CLI behaviour             tests/test_cli.sh
#   fuzz regressions          every input in fuzz/regressions/<target>/, replayed
#   fuzz smoke                build/fuzz/fuzz_* for FUZZ_SECONDS each (default 10)
cd "$(dirname "$0")/.." || exit 2
PY=/usr/bin/python3
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
mkdir -p tests/artifacts
passed=0
failed=0

# run NAME COMMAND...: run a suite, show its output, add up its kt line.
run() {
    name=$1
    shift
    out=tests/artifacts/$(echo "$name" | tr ' /' '__').txt
    "$@" >"$out" 2>&1
    rc=$?
    line=$(grep -E '^kt: [0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
    if [ -z "$line" ]; then
        echo "FAIL $name: no result line (exit $rc); see $out"
        tail -n 20 "$out" | sed 's/^/    /'
        failed=$((failed + 1))
        return
    fi
    p=$(echo "$line" | sed -E 's/^kt: ([0-9]+) passed, ([0-9]+) failed.*/\1/')
    f=$(echo "$line" | sed -E 's/^kt: ([0-9]+) passed, ([0-9]+) failed.*/\2/')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p))
    failed=$((failed + f))
    printf '%-44s %5d passed, %d failed\n' "$name" "$p" "$f"
    if [ "$f" -ne 0 ]; then grep -E 'FAIL|ERROR|runtime error|Sanitizer' "$out" | head -n 30 | sed 's/^/    /'; fi
}

for t in build/tests/test_*; do
    [ -x "$t" ] && run "unit $(basename "$t")" "$t"
done
for t in build/asan/tests/test_*; do
    [ -x "$t" ] && run "asan $(basename "$t")" env ASAN_OPTIONS=detect_leaks=1 "$t"
done
for t in tests/test_*.py; do
    [ -f "$t" ] || continue
    run "$(basename "$t")" env KAUDIT=./kaudit $PY "$t"
    run "asan $(basename "$t")" env KAUDIT=build/asan/kaudit ASAN_OPTIONS=detect_leaks=1 $PY "$t"
done
[ -f tests/test_cli.sh ] && run "test_cli.sh" sh tests/test_cli.sh
# Inputs that once crashed a parser: each replayed once by its fuzz target.
for input in fuzz/regressions/*/*; do
    [ -f "$input" ] || continue
    target=build/fuzz/$(basename "$(dirname "$input")")
    run "regression $(basename "$(dirname "$input")")/$(basename "$input")" sh -c "
        $target -runs=1 $input && echo 'kt: 1 passed, 0 failed' || echo 'kt: 0 passed, 1 failed'"
done
for f in build/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f")
    # New inputs go to the artifacts folder; the kafka-python fixtures seed
    # the parsers of segment bytes (libFuzzer reads seed folders recursively
    # and never writes to them).
    seeds=
    case $name in fuzz_batch|fuzz_segment|fuzz_codec|fuzz_audit) seeds=fixtures ;; esac
    mkdir -p "tests/artifacts/$name"
    run "fuzz $name (${FUZZ_SECONDS}s)" sh -c "
        cd tests/artifacts/$name && ../../../$f -max_total_time=$FUZZ_SECONDS -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 . $( [ -n "$seeds" ] && [ -d "$seeds" ] && echo "../../../$seeds" ) >log.txt 2>&1
        rc=\$?; cat log.txt | tail -n 15
        if [ \$rc -eq 0 ]; then echo 'kt: 1 passed, 0 failed'; else echo 'kt: 0 passed, 1 failed'; fi"
done

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
