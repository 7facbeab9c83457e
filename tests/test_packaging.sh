#!/bin/sh
# test_packaging.sh - what a user installs: make install (binary, man page,
# bash completion, documents, header and library), the man page against
# --help (rendered, every command's section word for word, every option),
# the bash completion (commands, each command's options, --format values,
# files), make deb (control fields, dependencies, contents), and the
# README's set-up script. What needs a fresh Debian (the README's commands
# there, apt install of the .deb) is tests/chroot_check.sh's, run by hand.
# Ends with "kt: N passed, M failed".
cd "$(dirname "$0")/.." || exit 2
K=${KAUDIT:-./kaudit}
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# make check's make: its jobserver is not ours
unset MAKEFLAGS MFLAGS MAKELEVEL

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "  FAIL $*"; }
# check NAME COMMAND...: exits 0 (its output in $tmp/out, $tmp/err).
check() {
    name=$1
    shift
    if "$@" >"$tmp/out" 2>"$tmp/err"; then ok; else bad "$name: exit $?"; tail -n 5 "$tmp/err" | sed 's/^/    /'; fi
}
# expect NAME FILE PATTERN: the file matches the extended regex.
expect() {
    if grep -Eq -- "$3" "$2"; then ok; else bad "$1: no /$3/ in $2"; head -n 5 "$2" | sed 's/^/    /'; fi
}
# same NAME A B: the two word lists (one per line or space separated) hold the same words.
same() {
    tr ' ' '\n' <"$2" | sed '/^$/d' | sort -u >"$tmp/same.a"
    tr ' ' '\n' <"$3" | sed '/^$/d' | sort -u >"$tmp/same.b"
    if cmp -s "$tmp/same.a" "$tmp/same.b"; then ok; else
        bad "$1: differ (< $2, > $3)"
        diff "$tmp/same.a" "$tmp/same.b" | grep '^[<>]' | head -n 10 | sed 's/^/    /'
    fi
}
# norm: whitespace runs as one space, no space at the ends.
norm() { tr -s ' \n' '  ' | sed 's/^ //; s/ $//'; }

[ -x "$K" ] || { echo "no $K: build it first (make)"; echo "kt: 0 passed, 1 failed"; exit 1; }
commands=$("$K" --help | sed -n '/^Commands:$/,/^$/p' | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p')
[ -n "$commands" ] && ok || bad "no command under Commands: in --help"
for c in $commands; do "$K" "$c" --help >"$tmp/help-$c" || bad "$c --help: exit $?"; done
"$K" --help >"$tmp/help"

# help_listed CMD: the options a command's --help names, one per line: those
# of its option lines (a short indent, then -x or --name), of its Usage line,
# and those its "Options: those of kaudit audit (--a, --b)" names.
help_listed() {
    f=$tmp/help-$1
    { sed -n 's/^ \{1,7\}\(-.*\)/\1/p' "$f" | sed 's/   .*//' | grep -oE -- '(^|[ ,])--?[a-z][a-z0-9-]*' | tr -d ' ,'
      sed -n 's/^Usage: kaudit [a-z]* \(.*\)/\1/p' "$f" | grep -oE -- '(^| )--?[a-z][a-z0-9-]*' | tr -d ' '
      tr '\n' ' ' <"$f" | grep -oE 'Options: those of kaudit [a-z]+[^.]*' | sed -n 's/^[^(]*(\(.*\))/\1/p' |
          grep -oE -- '--?[a-z][a-z0-9-]*' | grep -vx -- --help; } | sort -u
}
# help_options CMD: the options a command takes by its --help: those it
# names, and all of audit's when it says "Options: those of kaudit audit"
# naming none.
help_options() {
    help_listed "$1"
    tr '\n' ' ' <"$tmp/help-$1" | grep -oE 'Options: those of kaudit [a-z]+[^.]*' | while read -r _ _ _ _ other rest; do
        echo "$rest" | grep -oE -- '--?[a-z][a-z0-9-]*' | grep -qvx -- --help || help_options "$other"
    done
}

# --- make install
dest=$tmp/root
check "make install" make --no-print-directory install DESTDIR="$dest" PREFIX=/usr/local
cp "$tmp/out" "$tmp/install.log"
for f in bin/kaudit share/man/man1/kaudit.1 share/bash-completion/completions/kaudit include/kaudit/kaudit.h \
         include/kaudit/report/model.h lib/libkaudit.a share/doc/kaudit/README.md share/doc/kaudit/docs/report.md; do
    if [ -s "$dest/usr/local/$f" ]; then ok; else bad "make install: no $f"; fi
done
[ -x "$dest/usr/local/bin/kaudit" ] && ok || bad "installed kaudit is not executable"
check "installed kaudit runs" "$dest/usr/local/bin/kaudit" --version
"$K" --version >"$tmp/version"
cmp -s "$tmp/out" "$tmp/version" && ok || bad "installed kaudit --version differs from $K's"
man1=$dest/usr/local/share/man/man1/kaudit.1
comp=$dest/usr/local/share/bash-completion/completions/kaudit

# --- the man page: generated from --help (the same bytes twice), renders
# without a warning, and says what --help says, word for word
sh packaging/mkman.sh "$K" >"$tmp/again.1" 2>"$tmp/err" && cmp -s "$tmp/again.1" "$man1" && ok ||
    bad "packaging/mkman.sh $K does not give the installed page again"
for m in '^\.TH KAUDIT 1 ' '^\.SH NAME' '^kaudit \\- ' '^\.SH SYNOPSIS' '^\.SH DESCRIPTION' '^\.SH COMMANDS'; do
    expect "man page macro $m" "$man1" "$m"
done
if command -v groff >/dev/null 2>&1; then
    groff -man -Tascii -ww -z "$man1" 2>"$tmp/warn"
    if [ -s "$tmp/warn" ]; then bad "groff warns on kaudit.1"; head -n 5 "$tmp/warn" | sed 's/^/    /'; else ok; fi
    # wide lines, no overstriking: the text alone
    groff -man -Tascii -rLL=300n -P-cbou "$man1" 2>/dev/null | sed 's/.\x08//g' >"$tmp/man.txt"
    [ -s "$tmp/man.txt" ] && ok || bad "groff rendered nothing"
    if command -v man >/dev/null 2>&1; then
        check "man -l renders it" env MANPAGER=cat man -l "$man1"
        expect "man -l shows NAME" "$tmp/out" "^NAME"
    fi
    if command -v lexgrog >/dev/null 2>&1; then
        check "lexgrog reads the NAME line (whatis, apropos)" lexgrog "$man1"
        expect "whatis entry" "$tmp/out" "kaudit - offline"
    fi
    # section TITLE: the rendered lines under a section or subsection heading
    section() {
        awk -v h="$1" '$0 == h { on = 1; next } on && (/^   kaudit [a-z]+$/ || /^[A-Z]/) { exit } on' "$tmp/man.txt"
    }
    section DESCRIPTION | norm >"$tmp/a"
    sed 1d "$tmp/help" | norm >"$tmp/b"
    cmp -s "$tmp/a" "$tmp/b" && ok || { bad "man DESCRIPTION is not kaudit --help"; diff "$tmp/a" "$tmp/b" | head -n 4 | cut -c1-200; }
    section SYNOPSIS >"$tmp/synopsis"
    for c in $commands; do
        expect "SYNOPSIS names $c" "$tmp/synopsis" "^ +kaudit $c "
        expect "the man page has a section for $c" "$tmp/man.txt" "^   kaudit $c\$"
        section "   kaudit $c" >"$tmp/sec-$c"
        norm <"$tmp/sec-$c" >"$tmp/a"
        norm <"$tmp/help-$c" >"$tmp/b"
        if cmp -s "$tmp/a" "$tmp/b"; then ok; else
            bad "man section kaudit $c is not kaudit $c --help"
            tr ' ' '\n' <"$tmp/a" >"$tmp/a.w"; tr ' ' '\n' <"$tmp/b" >"$tmp/b.w"
            diff "$tmp/a.w" "$tmp/b.w" | head -n 6 | sed 's/^/    /'
        fi
        # every option --help lists, as a word of its section
        missing=""
        for o in $(help_listed "$c"); do
            grep -qE -- "(^|[^a-z-])$o([^a-z-]|\$)" "$tmp/sec-$c" || missing="$missing $o"
        done
        [ -z "$missing" ] && ok || bad "man section kaudit $c lacks$missing"
    done
    # "compare" says its options are audit's: the page keeps that sentence
    expect "the page sends compare to audit's options" "$tmp/man.txt" "Options: those of kaudit audit"
else
    echo "  (no groff: the page's macros checked only)"
fi

# --- bash completion: generated from --help, offers what it documents
if command -v bash >/dev/null 2>&1; then
    check "completion is bash" bash -n "$comp"
    # complete WORD...: what _kaudit offers for the command line so far (the
    # last word is the one being completed), one per line, run in fixtures/
    complete_() {
        bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
                 cd fixtures && _kaudit && { [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"; }
                 complete -p kaudit >/dev/null' sh "$comp" "$@"
    }
    complete_ kaudit "" >"$tmp/c" && ok || bad "completion of kaudit failed"
    echo "$commands" >"$tmp/want"
    grep -vE '^--' "$tmp/c" >"$tmp/got"
    same "completion offers the commands" "$tmp/got" "$tmp/want"
    expect "completion offers --version" "$tmp/c" "^--version$"
    complete_ kaudit d >"$tmp/c"
    echo "$commands" | grep '^d' >"$tmp/want"
    same "completion of 'd' offers the commands in d" "$tmp/c" "$tmp/want"
    for c in $commands; do
        complete_ kaudit "$c" - >"$tmp/got"
        { help_options "$c"; echo --help; } | sort -u >"$tmp/want"
        same "completion of kaudit $c - offers its --help's options" "$tmp/got" "$tmp/want"
    done
    # --format's values: each one kaudit takes, and the long-standing ones there
    for c in audit dump; do
        complete_ kaudit $c --format "" >"$tmp/fmt-$c"
        for v in $(cat "$tmp/fmt-$c"); do
            "$K" $c --format "$v" --help >/dev/null 2>&1 && ok || bad "completion offers $c --format $v, which kaudit refuses"
        done
        "$K" $c --format no-such-format --help >/dev/null 2>&1 && bad "$c --format takes anything: the check above means nothing" || ok
    done
    for v in text json html markdown; do expect "audit --format offers $v" "$tmp/fmt-audit" "^$v\$"; done
    for v in text jsonl; do expect "dump --format offers $v" "$tmp/fmt-dump" "^$v\$"; done
    complete_ kaudit audit --format m >"$tmp/c"
    expect "audit --format m completes markdown" "$tmp/c" "^markdown$"
    complete_ kaudit audit --format = j >"$tmp/c"     # '=' breaks words (bash's default)
    expect "audit --format=j completes json" "$tmp/c" "^json$"
    complete_ kaudit audit --format=h >"$tmp/c"       # '=' kept in the word
    expect "audit --format=h completes --format=html" "$tmp/c" "^--format=html$"
    complete_ kaudit audit --fail-on "" >"$tmp/c"
    expect "audit --fail-on offers warning" "$tmp/c" "^warning$"
    complete_ kaudit dump --decode "" >"$tmp/c"
    expect "dump --decode offers offsets" "$tmp/c" "^offsets$"
    # finding types where a command takes them (kaudit explain TYPE, audit
    # --types T1,T2): each one kaudit explain knows
    if echo "$commands" | grep -qx explain; then
        complete_ kaudit explain "" >"$tmp/types"
        [ "$(wc -l <"$tmp/types")" -ge 10 ] && ok || bad "kaudit explain <Tab> offers $(wc -l <"$tmp/types") types"
        for t in $(cat "$tmp/types"); do
            "$K" explain "$t" >/dev/null 2>&1 && ok || bad "completion offers kaudit explain $t, which kaudit refuses"
        done
        expect "explain offers duplicate" "$tmp/types" "^duplicate$"
        complete_ kaudit audit --types duplicate,seq >"$tmp/c"
        expect "audit --types duplicate,seq completes the list" "$tmp/c" "^duplicate,sequence_gap$"
    fi
    # files for PATH and FILE, folders for DIR, nothing for a REGEX
    complete_ kaudit audit sam >"$tmp/c"
    expect "PATH completes files" "$tmp/c" "^sample$"
    complete_ kaudit audit sample/logdir/ord >"$tmp/c"
    expect "PATH completes deeper" "$tmp/c" "^sample/logdir/orders-0$"
    complete_ kaudit audit -o sam >"$tmp/c"
    expect "-o FILE completes files" "$tmp/c" "^sample$"
    complete_ kaudit merge --output sam >"$tmp/c"
    expect "merge --output completes files" "$tmp/c" "^sample$"
    complete_ kaudit audit --tmpdir sam >"$tmp/c"
    expect "--tmpdir DIR completes folders" "$tmp/c" "^sample$"
    complete_ kaudit audit --topics "" >"$tmp/c"
    [ -s "$tmp/c" ] && bad "--topics REGEX offers something: $(head -n 3 "$tmp/c" | tr '\n' ' ')" || ok
    sh packaging/mkcompletion.sh "$K" 2>/dev/null | cmp -s - "$comp" && ok ||
        bad "packaging/mkcompletion.sh $K does not give the installed completion again"
else
    echo "  (no bash: completion not checked)"
fi

# --- make deb: the control file declares the libraries' packages, the data holds the files
version=$(cat VERSION)
if command -v dpkg-deb >/dev/null 2>&1; then
    arch=$(dpkg --print-architecture)
    check "make deb" make --no-print-directory deb DEBDIR="$tmp/deb" DEBOUT="$tmp/out.d"
    deb=$tmp/out.d/kaudit_${version}_$arch.deb
    if [ -f "$deb" ]; then ok; else bad "make deb wrote no $deb"; ls "$tmp/out.d" 2>&1 | sed 's/^/    /'; fi
fi
if [ -f "${deb:-/nonexistent}" ]; then
    check "dpkg-deb -I" dpkg-deb -I "$deb"
    [ "$(dpkg-deb -f "$deb" Package)" = kaudit ] && ok || bad "Package is not kaudit"
    [ "$(dpkg-deb -f "$deb" Version)" = "$version" ] && ok || bad "Version is not $version"
    [ "$(dpkg-deb -f "$deb" Architecture)" = "$arch" ] && ok || bad "Architecture is not $arch"
    dpkg-deb -f "$deb" Description | grep -q 'Kafka' && ok || bad "no Description"
    depends=$(dpkg-deb -f "$deb" Depends)
    # the six libraries, and the package of each library the binary names
    # (ldd and dpkg -S here, independently of packaging/mkdeb.sh)
    for p in libzstd1 liblz4-1 libsnappy1v5 zlib1g libcjson1 libxxhash0 libc6; do
        echo ", $depends," | grep -qE "[ ,]$p( \(>= [^)]+\))?," && ok || bad "Depends lacks $p: $depends"
    done
    ldd "$K" | awk '$2 == "=>" { print $1, $3 }' >"$tmp/ldd"
    dpkg -S $(awk '{ print $2; print "/usr" $2 }' "$tmp/ldd") 2>/dev/null >"$tmp/owners"
    for lib in $(objdump -p "$K" 2>/dev/null | awk '$1 == "NEEDED" { print $2 }'); do
        path=$(awk -v l="$lib" '$1 == l { print $2 }' "$tmp/ldd")
        pkg=$(grep -E ": (/usr)?$path\$" "$tmp/owners" | sed -n '1s/:.*//p')
        [ -n "$pkg" ] && echo ", $depends," | grep -qE "[ ,]$pkg( \(>= [^)]+\))?," && ok ||
            bad "$lib ($path, package '$pkg') is not in Depends: $depends"
    done
    dpkg-deb -c "$deb" | awk '{ print $6 }' >"$tmp/contents"
    for f in ./usr/bin/kaudit ./usr/share/man/man1/kaudit.1.gz ./usr/share/bash-completion/completions/kaudit \
             ./usr/share/doc/kaudit/README.md ./usr/share/doc/kaudit/docs/report.md; do
        grep -qxF "$f" "$tmp/contents" && ok || bad "the package lacks $f"
    done
    grep -q '^\./usr/local' "$tmp/contents" && bad "the package installs under /usr/local" || ok
    dpkg-deb -c "$deb" | awk '$2 != "root/root" { print; exit 1 }' >/dev/null && ok || bad "the package holds files not owned by root"
    mkdir -p "$tmp/x"
    dpkg-deb -x "$deb" "$tmp/x" && dpkg-deb -e "$deb" "$tmp/x/DEBIAN" && ok || bad "dpkg-deb -x/-e failed"
    check "md5sums hold" sh -c "cd '$tmp/x' && md5sum --quiet -c DEBIAN/md5sums"
    check "packaged kaudit runs" "$tmp/x/usr/bin/kaudit" --version
    cmp -s "$tmp/out" "$tmp/version" && ok || bad "packaged kaudit --version differs"
    gzip -dc "$tmp/x/usr/share/man/man1/kaudit.1.gz" | cmp -s - "$man1" && ok || bad "packaged man page differs from the installed one"
    cmp -s "$tmp/x/usr/share/bash-completion/completions/kaudit" "$comp" && ok || bad "packaged completion differs"
elif ! command -v dpkg-deb >/dev/null 2>&1; then
    echo "  (no dpkg-deb: make deb not checked)"
fi

# --- the README's set-up: ./make.sh installs make and the build's packages
# when missing (tests/deps.sh build), then is make; the README shows it
[ -x make.sh ] && ok || bad "make.sh is not executable"
check "make.sh is make" sh make.sh --no-print-directory -n sample
expect "make.sh -n sample audits the sample" "$tmp/out" "kaudit audit .*fixtures/sample/logdir"
sed -n '/^On a fresh Debian machine/,/^```$/p' README.md | sed -n '/^```sh$/,/^```$/p' >"$tmp/readme"
expect "README: ./make.sh sample first" "$tmp/readme" '^\./make\.sh sample '
expect "README: then ./make.sh check" "$tmp/readme" '^\./make\.sh check '
# with no make on PATH, make.sh turns to tests/deps.sh build (here a stub)
mkdir -p "$tmp/nomake/tests" "$tmp/bin"
cp make.sh "$tmp/nomake/"
cat >"$tmp/nomake/tests/deps.sh" <<END
echo "deps \$*" >>"$tmp/calls"
printf '#!/bin/sh\\necho "make \$*" >>"$tmp/calls"\\n' >"$tmp/bin/make"
chmod +x "$tmp/bin/make"
END
for t in sh dirname chmod; do ln -s "$(command -v $t)" "$tmp/bin/$t"; done
check "make.sh without make" env PATH="$tmp/bin" sh "$tmp/nomake/make.sh" sample
printf 'deps build\nmake sample\n' >"$tmp/want"
cmp -s "$tmp/calls" "$tmp/want" && ok || { bad "make.sh without make: $(tr '\n' ';' <"$tmp/calls")"; }

echo "kt: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
