#!/bin/sh
# bench/run.sh - kaudit's benchmark (make bench). Writes realistic partitions
# (bench/gen.c) for every codec into $BENCH_DIR (default /tmp/kaudit-bench,
# outside the repository), then measures on the same files, side by side:
#   floor     walk the batches and decompress each (bench/floor.c): what any
#             reader must do
#   audit -j1 kaudit audit --jobs 1 (every check on)
#   audit -jN kaudit audit with one job per CPU (all codecs together)
#   dump      kaudit dump --format jsonl --records > /dev/null, and its time
#             over audit -j1's (xaudit; the target is at most 1.5x)
#   peer      kafka-python decoding every record and finding repeats
#             (bench/peer.py), on one partition per codec
# as seconds, GB/s of segment bytes, ratio to the floor, and peak memory.
# Per core: those figures beside issue 17's targets, with the duplicate
# index's peak bytes per distinct record (KAUDIT_INDEX_STATS=1).
# Then: one large partition on 1..N threads (engine/pipeline.h), the spill (the
# uncompressed partitions with a 16 MiB --max-memory,
# against the same audit in memory: time, peak, same report), linearity (one
# zstd partition of 250, 500 and 1000 MB audited alone), digests (their
# size per GB of segments; kaudit compare on the generated digests of a
# cluster: BENCH_BROKERS, default 100, holding BENCH_DIGEST_PARTITIONS,
# default 100000, partitions of BENCH_DIGEST_BATCHES, default 20, batches,
# replication factor 3; bench/gen_digests.py) and start-up.
# Then duplicates by identity (identity below): a JSON partition audited with
# and without --identity for its order id, against the target of 1.5x;
# `sh bench/run.sh identity` runs only that part.
# Sizes: BENCH_MB of uncompressed data per partition (default 400),
# BENCH_PARTITIONS partitions per codec (default 2). BENCH_BIG_MB=20000 also
# writes one partition of that size (1 GiB segments, uncompressed; kept in
# $BENCH_BIG_DIR-MB, default /tmp/kaudit-big-MB) and audits
# it with the default --max-memory (1 GiB): time and peak memory.
set -e
cd "$(dirname "$0")/.."

# ---- scaling: many partitions, the default --max-memory (issue 17) ----------
# BENCH_SCALE_PARTITIONS partitions (default BENCH_PARTITIONS when set, else
# 8) of BENCH_SCALE_MB MB of records (default BENCH_MB when set, else 100), BENCH_SCALE_CODEC (default lz4), written by
# bench/gen.c into $BENCH_DIR/scale-CODEC-MB-N, audited with the DEFAULT
# --max-memory at each --jobs of BENCH_JOBS (default 1 2 4 ... and nproc):
# time (best of 3), speed-up over --jobs 1 and peak memory, each beside its
# target (no --jobs slower than a smaller one); then one of them spilled
# (--max-memory BENCH_SCALE_SPILL_CAP, default 4M) against the same audit
# in memory, beside the target of 1.5x. Run alone: sh bench/run.sh scaling. Reports are compared (the same
# for every --jobs and the spill).
scaling() {
    sdir=${BENCH_DIR:-/tmp/kaudit-bench}
    sparts=${BENCH_SCALE_PARTITIONS:-${BENCH_PARTITIONS:-8}}
    smb=${BENCH_SCALE_MB:-${BENCH_MB:-100}}
    scodec=${BENCH_SCALE_CODEC:-lz4}
    ncpu=$(nproc)
    sjobs=${BENCH_JOBS:-$(j=1; l=""; while [ $j -lt "$ncpu" ]; do l="$l $j"; j=$((j * 2)); done; echo "$l $ncpu")}
    mkdir -p build/bench "$sdir"
    ${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -I. -o build/bench/gen bench/gen.c reader/crc.c -lzstd -llz4 -lsnappy -lz -pthread
    sd="$sdir/scale-$scodec-$smb-$sparts"
    if [ ! -f "$sd/.done" ]; then
        rm -rf "$sd"
        echo "writing $sparts x $smb MB ($scodec) into $sd ..."
        build/bench/gen "$sd" "$scodec" "$smb" "$sparts" >/dev/null
        touch "$sd/.done"
    fi
    cat "$sd"/*/*.log >/dev/null
    sbytes=$(cat "$sd"/*/*.log | wc -c)
    norm() { sed -e 's/"generated_at":"[^"]*"//' -e 's/"duration_ms":[0-9]*//'; }
    best() { for i in 1 2 3; do /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -n 1; done | sort -n | head -n 1; }
    echo
    echo "scaling: $sparts x $smb MB $scodec ($((sbytes / 1000000)) MB on disk), $ncpu cores, default --max-memory:" \
        "$(./kaudit audit --help | tr -s ' \n' '  ' | sed -n 's/.*here \([0-9.]* [MG]iB\).*/\1/p')"
    ./kaudit audit -q --jobs 1 --format json --fail-on none "$sd" | norm >"$sd/.j1.json"
    t1=""; bestt=""; slower=0
    for j in $sjobs; do
        set -- $(best ./kaudit audit -q --jobs "$j" --format json --fail-on none "$sd")
        [ -z "$t1" ] && t1=$1
        target=$( [ -z "$bestt" ] && echo "-" || echo "<= $bestt s (fewer jobs)")
        ok=$(awk -v t="$1" -v b="${bestt:-0}" 'BEGIN { print (b == 0 || t <= b * 1.1) ? "ok" : "SLOWER" }')
        [ "$ok" = ok ] || slower=1
        ./kaudit audit -q --jobs "$j" --format json --fail-on none "$sd" | norm >"$sd/.jn.json"
        same=$(cmp -s "$sd/.j1.json" "$sd/.jn.json" && echo "same report" || echo "A DIFFERENT REPORT")
        printf '  --jobs %-3s %7s s  speed-up %5sx (target: up to %sx)  peak %5d MB  time %s: %s  %s\n' "$j" "$1" \
            "$(awk -v a="$t1" -v b="$1" 'BEGIN { printf "%.2f", a / b }')" "$( [ "$j" -lt "$ncpu" ] && echo "$j" || echo "$ncpu")" \
            $(($2 / 1024)) "$target" "$ok" "$same"
        bestt=$(awk -v t="$1" -v b="${bestt:-0}" 'BEGIN { print (b == 0 || t < b) ? t : b }')
    done
    [ "$slower" = 0 ] && echo "  no --jobs slower than fewer (10% noise allowed): ok" || echo "  SOME --jobs SLOWER THAN FEWER"
    one="$sd/bench-$scodec-0"
    set -- $(best ./kaudit audit -q --jobs 1 --format json --fail-on none "$one")
    m=$1; mm=$2
    cap=${BENCH_SCALE_SPILL_CAP:-4M}
    set -- $(best ./kaudit audit -q --jobs 1 --format json --fail-on none --max-memory "$cap" "$one")
    ./kaudit audit -q --jobs 1 --format json --fail-on none "$one" | norm >"$sd/.mem.json"
    ./kaudit audit --jobs 1 --format json --fail-on none --max-memory "$cap" "$one" 2>"$sd/.spill.err" | norm >"$sd/.spill.json"
    same=$(cmp -s "$sd/.mem.json" "$sd/.spill.json" && echo "same report" || echo "A DIFFERENT REPORT")
    grep -q "two passes" "$sd/.spill.err" && spilled=spilled || spilled="NOT SPILLED (lower BENCH_SCALE_SPILL_CAP)"
    echo "  spill (one partition, --jobs 1): in memory $m s, peak $((mm / 1024)) MB; --max-memory $cap $1 s, peak $(($2 / 1024)) MB:" \
        "$(awk -v a="$1" -v b="$m" 'BEGIN { printf "%.2f", a / b }')x (target: at most 1.50x), $spilled, $same"
}
if [ "${1:-}" = scaling ]; then
    scaling
    exit 0
fi
DIR=${BENCH_DIR:-/tmp/kaudit-bench}
MB=${BENCH_MB:-400}
PARTS=${BENCH_PARTITIONS:-2}
CC=${CC:-cc}
mkdir -p build/bench
$CC -O2 -std=c11 -D_GNU_SOURCE -I. -o build/bench/gen bench/gen.c reader/crc.c -lzstd -llz4 -lsnappy -lz -pthread
$CC -O2 -std=c11 -D_GNU_SOURCE -o build/bench/floor bench/floor.c -lzstd -llz4 -lsnappy -lz

# secs_mem CMD...: run three times, print the best "seconds peak_kb" (this
# workplace's machines are shared: the minimum is the least disturbed run).
secs_mem() {
    for i in 1 2 3; do /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -n 1; done | sort -n | head -n 1
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# ---- identity: duplicates by identity (docs/report.md, "Duplicates by identity") ----
# bench/gen.c writes orders as JSON values {"order_id":N,"customer":...,
# "status":...,"amount":...,"items":[...],"shipping":{...},"note":...}, one
# order id per record: the business identity. One uncompressed partition of
# BENCH_IDENTITY_MB (default BENCH_MB) is audited with --jobs 1, without and
# with --identity '^bench-none$=json:$.order_id', best of 3 each; the
# issue's target is at most 1.5x. Also the peak memory of each.
identity() {
    idmb=${BENCH_IDENTITY_MB:-$MB}
    idd="$DIR/identity-$idmb"
    if [ "$(cat "$idd/.stamp" 2>/dev/null)" != "$(md5sum bench/gen.c | cut -c1-8)" ]; then
        rm -rf "$idd"
        mkdir -p "$DIR"
        build/bench/gen "$idd" none "$idmb" 1
        md5sum bench/gen.c | cut -c1-8 >"$idd/.stamp"
    fi
    cat "$idd"/bench-none-0/*.log >/dev/null
    set -- $(secs_mem ./kaudit audit -q --jobs 1 --fail-on none --format json -o /dev/null "$idd/bench-none-0")
    plain=$1 plainm=$2
    set -- $(secs_mem ./kaudit audit -q --jobs 1 --fail-on none --format json -o /dev/null \
        --identity '^bench-none$=json:$.order_id' "$idd/bench-none-0")
    echo "identity (none, $idmb MB, one partition, --jobs 1): byte audit ${plain} s, peak $((plainm / 1024)) MB;" \
        "--identity json:\$.order_id ${1} s, peak $(($2 / 1024)) MB: $(ratio "$1" "$plain")x (target at most 1.50x)"
}
if [ "${1:-}" = identity ]; then
    identity
    exit 0
fi
# ---- end of identity ----
stamp="$MB-$PARTS-$(md5sum bench/gen.c | cut -c1-8)"
if [ "$(cat "$DIR/.stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$DIR"
    mkdir -p "$DIR"
    echo "writing $PARTS x $MB MB (uncompressed) per codec into $DIR ..."
    for c in none gzip snappy lz4 zstd; do build/bench/gen "$DIR" $c "$MB" "$PARTS"; done
    for s in 250 500 1000; do build/bench/gen "$DIR/linear-$s" zstd $s 1; done
    echo "$stamp" >"$DIR/.stamp"
fi
# Warm the page cache so every contender reads from memory.
cat "$DIR"/*/*.log >/dev/null

best_floor() { for i in 1 2 3; do build/bench/floor "$@"; done | sort -k3 -n | head -n 1; }
bytes_of() { cat "$@" | wc -c; }
gbs() { awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.2f", b / s / 1e9; else print "-" }'; }

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GB"
printf '%-8s %10s | %8s %6s | %8s %6s %6s %8s | %8s %6s %6s %6s | %8s %6s %6s\n' codec "MB on disk" floor "GB/s" audit-j1 "GB/s" "xfloor" "peak MB" dump "GB/s" xfloor xaudit peer "GB/s" xfloor
worst_dump=0
for c in none gzip snappy lz4 zstd; do
    files=$(ls "$DIR"/bench-$c-*/*.log)
    b=$(bytes_of $files)
    f=$(best_floor $files | awk '{print $3}')
    set -- $(secs_mem ./kaudit audit --jobs 1 --format json --fail-on none "$DIR"/bench-$c-*)
    a=$1; am=$2
    set -- $(secs_mem sh -c "./kaudit dump --format jsonl --records $DIR/bench-$c-0 $DIR/bench-$c-1 2>/dev/null || true")
    d=$1
    one=$(ls "$DIR"/bench-$c-0/*.log)
    b1=$(bytes_of $one)
    f1=$(best_floor $one | awk '{print $3}')
    p=$(/usr/bin/python3 bench/peer.py $one | awk '{print $4}')
    xa=$(ratio $d $a)
    worst_dump=$(awk -v w="$worst_dump" -v x="$xa" 'BEGIN { print (x > w ? x : w) }')
    printf '%-8s %10d | %8s %6s | %8s %6s %6s %8d | %8s %6s %6s %6s | %8s %6s %6s\n' $c $((b / 1000000)) $f $(gbs $b $f) \
        $a $(gbs $b $a) $(ratio $a $f) $((am / 1024)) $d $(gbs $b $d) $(ratio $d $f) $xa $p $(gbs $b1 $p) $(ratio $p $f1)
    eval "pc_b_$c=$b pc_f_$c=$f pc_a_$c=$a"
done
# --- dump against the audit (issue 17): JSONL of every record at most 1.5x
# the audit's time on the same partitions, for every codec.
echo "dump --format jsonl --records / audit --jobs 1: at most ${worst_dump}x over the codecs (target 1.5x):" \
    "$(awk -v w="$worst_dump" 'BEGIN { print (w <= 1.5 ? "met" : "missed") }')"
# --- end of dump against the audit

# ---- per core (issue 17): the audit's own work on one core, beside its targets ----
# From the table above: audit -j1 / floor per codec, and GB/s of segment
# bytes uncompressed. Bytes per distinct record of the duplicate index: each
# partition's audit with KAUDIT_INDEX_STATS=1 prints its distinct records and
# the most bytes its index held at once (both tables while it grows counted:
# the peak, not the final table), summed over the codec's partitions.
echo
echo "per core (audit --jobs 1, issue 17 targets):"
printf '  %-8s %8s %8s %7s %8s  %-13s %10s %7s\n' codec floor audit xfloor target "GB/s" "B/distinct" target
for c in none gzip snappy lz4 zstd; do
    eval "b=\$pc_b_$c f=\$pc_f_$c a=\$pc_a_$c"
    case $c in none) t=;; gzip) t=1.10;; snappy) t=1.50;; lz4) t=2.00;; zstd) t=1.30;; esac
    set -- $(KAUDIT_INDEX_STATS=1 ./kaudit audit -q --jobs 1 --format json --fail-on none "$DIR"/bench-$c-* 2>&1 >/dev/null |
        awk '/^kaudit: index / { n += $(NF-5); bytes += $(NF-1) } END { print n + 0, bytes + 0 }')
    bpr=$(awk -v n="$1" -v b="$2" 'BEGIN { if (n > 0) printf "%.1f", b / n; else print "-" }')
    printf '  %-8s %8s %8s %7s %8s  %-13s %10s %7s\n' $c $f $a $(ratio $a $f) "${t:+<= $t}" \
        "$(gbs $b $a)$([ $c = none ] && echo ' (>= 2)')" "$bpr" "<= 24"
done
# ---- end of per core ----
all=$(bytes_of "$DIR"/*/*.log)
set -- $(secs_mem ./kaudit audit --jobs 1 --format json --fail-on none "$DIR")
j1=$1
set -- $(secs_mem ./kaudit audit --format json --fail-on none "$DIR")
jn=$1; jm=$2
echo
echo "all codecs, $((all / 1000000)) MB: audit --jobs 1 ${j1} s ($(gbs $all $j1) GB/s), --jobs $(nproc) ${jn} s ($(gbs $all $jn) GB/s), speed-up $(ratio $j1 $jn)x, peak $((jm / 1024)) MB"

# ---- one large partition ----------------------------------------------------
# One partition alone: threads beyond the jobs read, check, decompress,
# decode and fingerprint its segments in parts while the job's own thread
# audits them in order (engine/pipeline.h). Its time at --jobs 1..N (N, the
# CPUs), and the speed-up of --jobs 2 beside the target of 1.7x. The
# in-order stage bounds it: its share of the --jobs 1 time is printed too
# (the job's own thread's CPU time at --jobs 2, from /proc, over --jobs 1's).
one_large_partition() {
    n=$(nproc)
    for c in none lz4 zstd; do
        p="$DIR/bench-$c-0"
        line="one large partition ($c, $(($(bytes_of "$p"/*.log) / 1000000)) MB):"
        t1=
        j=1
        while [ "$j" -le "$n" ]; do
            set -- $(secs_mem ./kaudit audit --jobs $j --format json --fail-on none "$p")
            [ -z "$t1" ] && t1=$1
            [ "$j" -eq 2 ] && t2=$1
            line="$line --jobs $j ${1} s ($(ratio $t1 $1)x)"
            j=$((j * 2))
            [ "$j" -gt "$n" ] && [ "$((j / 2))" -lt "$n" ] && j=$n
        done
        echo "$line"
        [ -n "$t2" ] && echo "  --jobs 2: $(ratio $t1 $t2)x (target 1.7x); in-order stage: $(inorder_share "$p")"
    done
}

# inorder_share PARTITION: the CPU seconds of the auditing thread at
# --jobs 2 over the whole process's at --jobs 1: what the pipeline cannot
# spread over more cores.
inorder_share() {
    all=$(/usr/bin/time -f "%U %S" ./kaudit audit --jobs 1 --format json --fail-on none "$1" 2>&1 >/dev/null | tail -n 1 |
        awk '{ print $1 + $2 }')
    ./kaudit audit --jobs 2 --format json --fail-on none "$1" >/dev/null &
    pid=$!
    own=0
    while kill -0 $pid 2>/dev/null; do
        t=$(awk '{ print ($14 + $15) / 100 }' /proc/$pid/task/$pid/stat 2>/dev/null) && [ -n "$t" ] && own=$t
        sleep 0.05
    done
    wait $pid
    awk -v o="$own" -v a="$all" 'BEGIN { if (a > 0) printf "%.2f of %.2f CPU s (%d%%), so at most %.1fx on any number of cores", o, a, 100 * o / a, a / o; else print "-" }'
}
one_large_partition

# The spill: the same audit with the index capped far below its size.
set -- $(secs_mem ./kaudit audit --jobs 1 --format json --fail-on none "$DIR"/bench-none-*)
m=$1; mm=$2
set -- $(secs_mem ./kaudit audit --jobs 1 --format json --fail-on none --max-memory 16M "$DIR"/bench-none-*)
sp=$1; spm=$2
./kaudit audit --jobs 1 --format json --fail-on none "$DIR"/bench-none-* | sed 's/"generated_at":"[^"]*"//' >"$DIR/.mem.json"
./kaudit audit -q --jobs 1 --format json --fail-on none --max-memory 16M "$DIR"/bench-none-* |
    sed 's/"generated_at":"[^"]*"//' >"$DIR/.spill.json"
same=$(cmp -s "$DIR/.mem.json" "$DIR/.spill.json" && echo "the same report" || echo "A DIFFERENT REPORT")
echo "spill (none, --jobs 1): in memory ${m} s, peak $((mm / 1024)) MB; --max-memory 16M ${sp} s ($(ratio $sp $m)x, target at most 1.5x), peak $((spm / 1024)) MB: $same"

# Linearity: one partition of three sizes, alone.
echo "linearity (zstd, one partition, --jobs 1):"
for s in 250 500 1000; do
    lb=$(bytes_of "$DIR"/linear-$s/*/*.log)
    set -- $(secs_mem ./kaudit audit --jobs 1 --format json --fail-on none "$DIR"/linear-$s)
    echo "  $s MB uncompressed, $((lb / 1000000)) MB on disk: ${1} s, $(awk -v s="$1" -v b="$lb" 'BEGIN { printf "%.2f", s / b * 1e9 }') s per GB on disk, peak $(($2 / 1024)) MB"
done

if [ "${BENCH_BIG_MB:-0}" -gt 0 ]; then
    big="${BENCH_BIG_DIR:-/tmp/kaudit-big}-$BENCH_BIG_MB"
    [ -d "$big" ] || build/bench/gen "$big" none "$BENCH_BIG_MB" 1
    bb=$(bytes_of "$big"/*/*.log)
    set -- $(/usr/bin/time -f "%e %M" ./kaudit audit -q --jobs 1 --format json --fail-on none "$big" 2>&1 >/dev/null | tail -n 1)
    echo "big partition: $((bb / 1000000)) MB in $(ls "$big"/*/*.log | wc -l) segments, default --max-memory: ${1} s ($(gbs $bb $1) GB/s), peak $(($2 / 1024)) MB"
fi

# A cluster without its data (docs/cluster.md): digests, and compare on
# generated digests of BENCH_BROKERS brokers holding BENCH_DIGEST_PARTITIONS
# partitions (replication factor 3) of BENCH_DIGEST_BATCHES batches each.
echo "digests (docs/cluster.md):"
for c in none lz4; do
    d="$DIR/bench-$c-0"
    db=$(bytes_of "$d"/*.log)
    set -- $(secs_mem ./kaudit digest -q -o "$DIR/.digest-$c.kdg" "$d")
    ds=$(wc -c <"$DIR/.digest-$c.kdg")
    echo "  $c: $((db / 1000000)) MB of segments -> $ds bytes of digest ($(awk -v d="$ds" -v b="$db" 'BEGIN { printf "%.2f", d / b * 1000 }') MB per GB), ${1} s, peak $(($2 / 1024)) MB"
done
BROKERS=${BENCH_BROKERS:-100}
DPARTS=${BENCH_DIGEST_PARTITIONS:-100000}
DBATCHES=${BENCH_DIGEST_BATCHES:-20}
gd="$DIR/digests-$BROKERS-$DPARTS-$DBATCHES"
if [ ! -f "$gd/.done" ]; then
    rm -rf "$gd"
    /usr/bin/python3 bench/gen_digests.py "$gd" "$BROKERS" "$DPARTS" "$DBATCHES" >/dev/null
    touch "$gd/.done"
fi
gb=$(cat "$gd"/*.kdg | wc -c)
set -- $(secs_mem sh -c "./kaudit compare --format text -o /dev/null $gd/*.kdg || true")
echo "  compare: $BROKERS brokers, $DPARTS partitions x 3 copies x $DBATCHES batches ($((gb / 1000000)) MB of digests): ${1} s, peak $(($2 / 1024)) MB"

identity

set -- $(secs_mem ./kaudit --version)
echo "start-up (kaudit --version): ${1} s"

scaling

