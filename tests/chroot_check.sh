#!/bin/sh
# chroot_check.sh - kaudit as a new user meets it on a fresh Debian: a
# bookworm `debootstrap --variant=minbase` chroot (like Debian's container
# image: no make, no compiler, empty apt lists). By hand, as root; it takes
# minutes (make check in the chroot: many), so make check does not run it.
#
#   sh tests/chroot_check.sh [readme|deb|all]     (default all)
#
# readme  HEAD (git archive) copied into a fresh chroot, with ../shared beside
#         it ($KAUDIT_SHARED: the corpus the tests read, ../shared/corpus);
#         the README's set-up commands (its first ```sh block, after "On a
#         fresh Debian machine") run there as written, one after the other,
#         timed: the sample's audit must show its three duplicates, make
#         check must end "N passed, 0 failed".
# deb     the package built from HEAD (make deb in a scratch copy here),
#         installed in a fresh chroot with `apt install ./kaudit_*.deb`;
#         then kaudit --version, man -w kaudit and man kaudit (man-db
#         installed for it), the bash completion answering, and kaudit
#         audit and dump of the bundled sample copied in.
#
# The chroot is $KAUDIT_CHROOT (default /var/tmp/kaudit-chroot), made afresh
# for each check from $KAUDIT_CHROOT.base.tar, itself debootstrapped once
# (delete it to debootstrap again) from the Debian mirror apt uses here
# ($KAUDIT_MIRROR to choose). /proc, /sys (read-only), /dev/pts and a
# /dev/shm tmpfs are mounted while a check runs, as in a container, and
# unmounted whatever happens. Logs and times: tests/artifacts/chroot/.
# Ends with "kt: N passed, M failed".
cd "$(dirname "$0")/.." || exit 2
what=${1:-all}
ROOT=${KAUDIT_CHROOT:-/var/tmp/kaudit-chroot}
BASE=$ROOT.base.tar
SUITE=${KAUDIT_SUITE:-bookworm}
SHARED=${KAUDIT_SHARED:-$(cd .. && pwd)/shared}
LOG=$PWD/tests/artifacts/chroot
pass=0
fail=0
mkdir -p "$LOG"

[ "$(id -u)" = 0 ] || { echo "chroot_check.sh: run as root (debootstrap, chroot, mount)"; exit 2; }
case $ROOT in /|/usr|/var|/var/tmp|/tmp|"") echo "chroot_check.sh: KAUDIT_CHROOT=$ROOT is not a scratch path"; exit 2 ;; esac

ok() { pass=$((pass + 1)); echo "  ok   $*"; }
bad() { fail=$((fail + 1)); echo "  FAIL $*"; }
now() { date +%s; }

# The mirror apt uses here for Debian itself (not security, not others).
mirror() {
    [ -n "$KAUDIT_MIRROR" ] && { echo "$KAUDIT_MIRROR"; return; }
    m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
        grep -E '^(deb |URIs:)' | grep -oE 'https?://[^ ]*/debian/?( |$)' | grep -v security | head -n 1 | tr -d ' ')
    echo "${m:-http://deb.debian.org/debian}"
}

mounted() { awk -v r="$ROOT" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/mounts; }

# umount_all: every mount under the chroot, deepest first; fails when one stays.
umount_all() {
    for m in $(mounted | sort -r); do umount "$m" 2>/dev/null || umount -l "$m"; done
    [ -z "$(mounted)" ]
}
trap 'umount_all; exit 2' INT TERM HUP
trap 'umount_all' EXIT

# fresh: the chroot as debootstrap left it, apt's lists emptied as in
# Debian's container image, with resolv.conf and the container mounts.
fresh() {
    umount_all || { echo "chroot_check.sh: cannot unmount under $ROOT"; exit 2; }
    if [ ! -f "$BASE" ]; then
        command -v debootstrap >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq debootstrap; } >/dev/null
        rm -rf "$ROOT"
        t=$(now)
        echo "debootstrap --variant=minbase $SUITE $ROOT $(mirror)"
        if ! debootstrap --variant=minbase "$SUITE" "$ROOT" "$(mirror)" >"$LOG/debootstrap.log" 2>&1; then
            tail -n 20 "$LOG/debootstrap.log"; echo "chroot_check.sh: debootstrap failed"; exit 2
        fi
        echo "debootstrap: $(($(now) - t)) s" | tee "$LOG/debootstrap.time"
        tar -C "$ROOT" --numeric-owner -cpf "$BASE.tmp" . && mv "$BASE.tmp" "$BASE"
    fi
    rm -rf "$ROOT"
    mkdir -p "$ROOT"
    tar -C "$ROOT" --numeric-owner -xpf "$BASE"
    rm -rf "$ROOT"/var/lib/apt/lists/*
    cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
    mount -t proc proc "$ROOT/proc"
    mount -t sysfs -o ro sysfs "$ROOT/sys" 2>/dev/null || true
    mount --bind /dev/pts "$ROOT/dev/pts"
    mount -t tmpfs -o mode=1777 shm "$ROOT/dev/shm"
}

# inside LOGNAME COMMAND: runs the shell command in the chroot as a login
# with a container's bare environment; output to $LOG/LOGNAME.log, the
# seconds it took to $LOG/LOGNAME.time.
inside() {
    t=$(now)
    chroot "$ROOT" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        /bin/sh -c "$2" >"$LOG/$1.log" 2>&1
    rc=$?
    echo $(($(now) - t)) >"$LOG/$1.time"
    return $rc
}

check_readme() {
    echo "readme: the README's commands on a fresh $SUITE"
    fresh
    mkdir -p "$ROOT/root/kaudit"
    git archive HEAD | tar -C "$ROOT/root/kaudit" -xf -
    # the corpus the tests read beside the repository (../shared/corpus)
    if [ -d "$SHARED" ]; then cp -a "$SHARED" "$ROOT/root/shared"; else echo "  (no $SHARED: make check's corpus suites will fail)"; fi
    # the commands: README's first sh block after "On a fresh Debian machine"
    awk '/^On a fresh Debian machine/ { on = 1 } on && /^```/ { if (in_) exit; in_ = 1; next } in_' "$ROOT/root/kaudit/README.md" |
        sed 's/[[:space:]]*#.*//; /^$/d' >"$LOG/readme-commands"
    n=0
    while read -r cmd; do
        n=$((n + 1))
        echo "  \$ $cmd"
        if inside "readme-$n" "cd /root/kaudit && $cmd" </dev/null; then ok "$cmd ($(cat "$LOG/readme-$n.time") s)"
        else bad "$cmd: exit $rc ($(cat "$LOG/readme-$n.time") s), see $LOG/readme-$n.log"; tail -n 15 "$LOG/readme-$n.log" | sed 's/^/    /'; fi
        case $cmd in
        *sample*)
            grep -q '^Found 0 errors and 3 warnings' "$LOG/readme-$n.log" && ok "the sample's three duplicates" ||
                bad "no 'Found 0 errors and 3 warnings' in $LOG/readme-$n.log" ;;
        *check*)
            line=$(tail -n 1 "$LOG/readme-$n.log")
            echo "    $line"
            echo "$line" | grep -Eq '^[0-9]+ passed, 0 failed$' && ok "make check: $line" || bad "make check ends: $line" ;;
        esac
    done <"$LOG/readme-commands"
    [ "$n" -ge 2 ] && ok "$n README commands" || bad "found $n commands in README's first sh block"
    umount_all && ok "unmounted" || bad "mounts left under $ROOT: $(mounted)"
}

check_deb() {
    echo "deb: apt install ./kaudit_*.deb on a fresh $SUITE"
    scratch=$(mktemp -d)
    git archive HEAD | tar -C "$scratch" -xf -
    t=$(now)
    if (cd "$scratch" && make deb) >"$LOG/deb-build.log" 2>&1; then ok "make deb from HEAD ($(($(now) - t)) s)"
    else bad "make deb from HEAD failed: see $LOG/deb-build.log"; tail -n 15 "$LOG/deb-build.log"; rm -rf "$scratch"; return; fi
    deb=$(ls "$scratch"/build/kaudit_*.deb)
    fresh
    cp "$deb" "$ROOT/root/"
    cp -r fixtures/sample "$ROOT/root/sample"
    rm -rf "$scratch"
    name=$(basename "$deb")
    if inside deb-install "apt-get update && DEBIAN_FRONTEND=noninteractive apt install -y ./root/$name" </dev/null
    then ok "apt install ./$name ($(cat "$LOG/deb-install.time") s)"
    else bad "apt install ./$name: see $LOG/deb-install.log"; tail -n 15 "$LOG/deb-install.log" | sed 's/^/    /'; fi
    grep -E '^(Setting up|Unpacking) ' "$LOG/deb-install.log" | sed 's/^/    /'
    inside deb-version "kaudit --version" && grep -qx "kaudit $(cat VERSION)" "$LOG/deb-version.log" &&
        ok "kaudit --version: $(cat "$LOG/deb-version.log")" || bad "kaudit --version: $(cat "$LOG/deb-version.log")"
    inside deb-ldd "ldd /usr/bin/kaudit" && ! grep -q 'not found' "$LOG/deb-ldd.log" && ok "every library found" ||
        bad "ldd: $(grep 'not found' "$LOG/deb-ldd.log")"
    inside deb-files "ls /usr/share/man/man1/kaudit.1.gz /usr/share/bash-completion/completions/kaudit /usr/share/doc/kaudit/README.md" &&
        ok "man page, completion and README installed" || bad "files missing: $(cat "$LOG/deb-files.log")"
    inside deb-audit "kaudit audit --fail-on none /root/sample/logdir" && grep -q '^Found 0 errors and 3 warnings' "$LOG/deb-audit.log" &&
        ok "kaudit audit of the sample: $(head -n 1 "$LOG/deb-audit.log")" || bad "kaudit audit of the sample: see $LOG/deb-audit.log"
    inside deb-audit-rc "kaudit audit -q /root/sample/logdir >/dev/null; echo \$?" && grep -qx 1 "$LOG/deb-audit-rc.log" &&
        ok "kaudit audit exits 1 on the sample's warnings" || bad "kaudit audit exit: $(cat "$LOG/deb-audit-rc.log")"
    inside deb-html "kaudit audit --fail-on none --format html -o /tmp/r.html /root/sample/logdir && grep -c 'id=\"F' /tmp/r.html" &&
        ok "an HTML report written" || bad "HTML report: see $LOG/deb-html.log"
    inside deb-dump "kaudit dump --verify-index --records /root/sample/logdir/orders-1" && grep -q baseOffset "$LOG/deb-dump.log" &&
        ok "kaudit dump of the sample" || bad "kaudit dump: see $LOG/deb-dump.log"
    inside deb-completion "bash -c '. /usr/share/bash-completion/completions/kaudit; COMP_WORDS=(kaudit audit --format \"\"); COMP_CWORD=3; _kaudit; echo \"\${COMPREPLY[*]}\"'" &&
        grep -q html "$LOG/deb-completion.log" && ok "completion: kaudit audit --format <Tab>: $(cat "$LOG/deb-completion.log")" ||
        bad "completion: $(cat "$LOG/deb-completion.log")"
    if inside deb-man "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq man-db >/dev/null 2>&1 && man -w kaudit && MANPAGER=cat MANWIDTH=80 man kaudit | head -n 8"
    then ok "man -w kaudit: $(sed -n 1p "$LOG/deb-man.log")"; sed -n '2,$p' "$LOG/deb-man.log" | sed 's/^/    /'
    else bad "man kaudit: see $LOG/deb-man.log"; tail -n 5 "$LOG/deb-man.log"; fi
    inside deb-remove "DEBIAN_FRONTEND=noninteractive apt-get remove -y kaudit && ! test -e /usr/bin/kaudit" &&
        ok "apt-get remove kaudit" || bad "apt-get remove: see $LOG/deb-remove.log"
    umount_all && ok "unmounted" || bad "mounts left under $ROOT: $(mounted)"
}

t0=$(now)
case $what in
readme) check_readme ;;
deb) check_deb ;;
all) check_deb; check_readme ;;
*) echo "usage: chroot_check.sh [readme|deb|all]"; exit 2 ;;
esac
echo "(chroot checks took $(($(now) - t0)) s; logs in $LOG)"
echo "kt: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
