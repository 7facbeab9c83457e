#!/bin/sh
# mkdeb.sh - a Debian binary package of what `make install-bin PREFIX=/usr`
# put under ROOT, with dpkg-deb alone (no debhelper, no debian/ folder).
#
#   sh packaging/mkdeb.sh ROOT VERSION OUTDIR    (make deb runs it)
#
# Writes OUTDIR/kaudit_VERSION_ARCH.deb. Depends: the package of each shared
# library the binary names (its ELF NEEDED entries), with the minimum
# version that package's shlibs file asks for (/var/lib/dpkg/info/*.shlibs,
# what dpkg-shlibdeps falls back to; libzstd1 (>= 1.5.2), ...), so that
# `apt install ./kaudit_*.deb` brings them on a fresh machine. The binary is
# stripped, the man page compressed, as Debian's policy has them.
set -e
root=${1:?usage: mkdeb.sh ROOT VERSION OUTDIR}
version=${2:?usage: mkdeb.sh ROOT VERSION OUTDIR}
outdir=${3:?usage: mkdeb.sh ROOT VERSION OUTDIR}
bin=$root/usr/bin/kaudit
[ -x "$bin" ] || { echo "mkdeb.sh: no $bin (make install-bin DESTDIR=$root PREFIX=/usr first)" >&2; exit 1; }
arch=$(dpkg --print-architecture)

strip --strip-unneeded --remove-section=.comment --remove-section=.note "$bin"
gzip -9nf "$root/usr/share/man/man1/kaudit.1"

# NEEDED libraries, their paths (ldd's, and the other path of each on a
# merged /usr, where the package may name it), and the packages shipping
# them: dpkg -S once for all (it reads every package's file list).
needed=$(objdump -p "$bin" | awk '$1 == "NEEDED" { print $2 }')
ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' >"$root.ldd"
paths=$(awk '{ p = $2; print p; if (p ~ /^\/usr\//) print substr(p, 5); else print "/usr" p }' "$root.ldd")
dpkg -S $paths 2>/dev/null | sed -n 's/^\([^ ,]*\): \(.*\)$/\2 \1/p' >"$root.owners" || true

# depends: "pkg (>= v)" per NEEDED library, in the binary's order, once each.
deps=""
for lib in $needed; do
    path=$(awk -v l="$lib" '$1 == l { print $2 }' "$root.ldd")
    pkg=$(awk -v p="$path" -v q="/usr$path" -v r="${path#/usr}" '$1 == p || $1 == q || $1 == r { print $2; exit }' "$root.owners")
    [ -n "$pkg" ] || { echo "mkdeb.sh: no Debian package holds $lib ($path)" >&2; exit 1; }
    # its shlibs line for libzstd.so.1, "libzstd 1 libzstd1 (>= 1.5.2)", names
    # the dependency; without one, the package itself
    shlibs=/var/lib/dpkg/info/$pkg.shlibs
    [ -f "$shlibs" ] || shlibs=/var/lib/dpkg/info/${pkg%%:*}.shlibs
    dep=$(awk -v n="${lib%%.so.*}" -v v="${lib#*.so.}" '
        $1 == n && $2 == v { $1 = ""; $2 = ""; sub(/^  */, ""); print; exit }' "$shlibs" 2>/dev/null || true)
    [ -n "$dep" ] || dep=${pkg%%:*}
    case ", $deps, " in *", $dep, "*) continue ;; esac
    deps=${deps:+$deps, }$dep
done

mkdir -p "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
summary=$("$bin" --help | sed -n '1s/^kaudit [^ ]* - //p')
cat >"$root/DEBIAN/control" <<END
Package: kaudit
Version: $version
Architecture: $arch
Maintainer: ${DEB_MAINTAINER:-kaudit maintainers <kaudit@localhost>}
Installed-Size: $size
Depends: $deps
Section: utils
Priority: optional
Description: $summary
 kaudit reads a Kafka broker's log directories as they lie on disk (no
 broker, no network), replays every partition the way a broker replica
 would, and reports where a delivery guarantee did not hold: duplicates and
 why each got through, sequence gaps, producer and leader epoch anomalies,
 hanging transactions, index and snapshot disagreements, corruption. It also
 dumps every batch and record of every message format and codec (kaudit
 dump, and kafka-dump-log.sh's own lines with --compat), compares the copies
 of partitions that several brokers hold, and never writes to what it reads.
END
rm -f "$root.ldd" "$root.owners"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | sort | xargs md5sum) >"$root/DEBIAN/md5sums"
mkdir -p "$outdir"
out=$outdir/kaudit_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "$out: Depends: $deps"
