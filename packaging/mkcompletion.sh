#!/bin/sh
# mkcompletion.sh - bash completion for kaudit, from what the built binary
# prints for --help and each command's --help (the usage strings in cli/*.c,
# the source of kaudit.1 too: packaging/mkman.sh), so that completion offers
# what --help documents and nothing else.
#
#   sh packaging/mkcompletion.sh ./kaudit > build/kaudit.bash-completion
#
# Completes the commands; each command's options (its option lines, the
# options in its "Usage:" line, and those of the command its help says it
# shares them with, "Options: those of kaudit audit (...)"); an option's
# argument: the words of "a|b|c", of "text: ...; json: ...", of "...: a, b
# or c"; files for FILE, F, *.json and file lists, folders for DIR, nothing
# for other placeholders (REGEX, N, TIME); files for PATH, and for TYPE the
# types the command lists when run alone (kaudit explain). --opt=value works
# too. Needs a POSIX sh, awk and sed; fails when a --help fails.
set -e
K=${1:?usage: mkcompletion.sh KAUDIT_BINARY}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$K" --help >"$tmp/main"
commands=$(awk '/^Commands:$/ { on = 1; next } on && /^$/ { exit } on && /^  [a-z]/ { print $1 }' "$tmp/main")
[ -n "$commands" ] || { echo "mkcompletion.sh: no command listed in '$K --help'" >&2; exit 1; }

# options CMD HELPFILE: one line per option, "CMD OPTION HOW" (HOW: none,
# files, dirs, free, or words:a|b|c), and "CMD inherit OTHER [OPTION...]".
options() {
    awk -v cmd="$1" '
    # how(ph, desc): how the argument named ph, described by desc, completes.
    function how(ph, desc,    n, w, i, r, s, m) {
        if (ph ~ /^\[/) return "none"             # optional: only as --opt=value
        if (ph ~ /\|/) return "words:" ph
        if (ph ~ /^[a-z]+(,[a-z]+)+$/) { n = split(ph, w, ","); r = ""; for (i = 1; i <= n; i++) r = r w[i] "|"; return "words:" r ph }
        if (ph ~ /DIR/) return "dirs"
        if (ph ~ /FILE|^F$|\.json$|^A,B/) return "files"
        # "text: ...; json: ...; html: ...": the words before each colon
        s = "; " desc; r = ""; n = 0
        while (match(s, /; [a-z][a-z0-9_-]*: /)) {
            r = r (n++ ? "|" : "") substr(s, RSTART + 2, RLENGTH - 4)
            s = substr(s, RSTART + RLENGTH)
        }
        if (n >= 2) return "words:" r
        # "...: error, warning (default), info or none"
        s = desc; sub(/.*: /, "", s); gsub(/ \(default\)/, "", s); sub(/\.$/, "", s)
        if (s ~ /^[a-z]+(, [a-z]+)* or [a-z]+$/) { gsub(/,? or |, /, "|", s); return "words:" s }
        # "T1,T2 ... (kaudit explain lists them)": what that command lists
        if (match(desc, /kaudit [a-z]+ lists them/)) return "list:" substr(desc, RSTART + 7, RLENGTH - 18)
        return "free"
    }
    # tag(t, desc): the options of an item tag and their arguments.
    function tag(t, desc,    n, w, i, pend, np, j, o, h) {
        n = split(t, w, " "); np = 0
        for (i = 1; i <= n; i++) {
            o = w[i]; sub(/,$/, "", o)
            if (o ~ /^-/) { pend[++np] = o; continue }
            # a placeholder met before completes as it did there (--types
            # T1,T2 and --exclude-types T1,T2)
            h = how(o, desc)
            if (h == "free" && (o in seen_ph)) h = seen_ph[o]
            seen_ph[o] = h
            for (j = 1; j <= np; j++) print cmd, pend[j], h
            np = 0
        }
        for (j = 1; j <= np; j++) print cmd, pend[j], "none"
    }
    { line[++n] = $0; all = all " " $0 }
    END {
        # The description column: where most continuation lines start (a
        # tag that fills it leaves one space before its description).
        for (i = 1; i <= n; i++) {
            match(line[i], /^ */)
            if (RLENGTH >= 8 && RLENGTH < length(line[i])) seen[RLENGTH]++
        }
        col = 0
        for (c in seen) if (col == 0 || seen[c] > seen[col]) col = c + 0
        for (i = 1; i <= n; i++) {
            l = line[i]
            if (l ~ /^Usage: /) { u = l; sub(/^Usage: kaudit [a-z]+ */, "", u); sub(/ *\[.*/, "", u); if (u ~ /^-/) tag(u, ""); continue }
            match(l, /^ */); indent = RLENGTH; text = substr(l, indent + 1)
            if (!(indent > 0 && indent < 8 && text ~ /^-/)) continue
            t = text; d = ""
            if (match(text, /   */)) { t = substr(text, 1, RSTART - 1); d = substr(text, RSTART + RLENGTH) }
            else if (col > indent && length(l) > col && substr(l, col, 1) == " " && substr(l, col + 1, 1) != " ") {
                t = substr(l, indent + 1, col - indent - 1); d = substr(l, col + 1)
            }
            # the description: this line and the deeper indented ones below
            for (j = i + 1; j <= n && line[j] ~ /^        /; j++) { s = line[j]; sub(/^ */, "", s); d = d (d == "" ? "" : " ") s }
            tag(t, d)
        }
        if (match(all, /Options: those of kaudit [a-z]+/)) {
            other = substr(all, RSTART + 25, RLENGTH - 25)
            rest = substr(all, RSTART + RLENGTH); sub(/\).*/, "", rest); sub(/^[^(]*\(/, "", rest)
            r = ""
            while (match(rest, /(^|[ (,])--?[a-z][a-z0-9-]*/)) {
                o = substr(rest, RSTART, RLENGTH); sub(/^[ (,]/, "", o)
                if (o != "--help") r = r " " o
                rest = substr(rest, RSTART + RLENGTH)
            }
            print cmd, "inherit", other r
        }
    }' "$2"
}

: >"$tmp/opts"
for c in $commands; do
    "$K" "$c" --help >"$tmp/cmd-$c"
    options "$c" "$tmp/cmd-$c" >>"$tmp/opts"
done
# "CMD inherit OTHER [OPTION...]": OTHER's options (those named, else all).
while read -r c kw other list; do
    [ "$kw" = inherit ] || continue
    awk -v c="$c" -v other="$other" -v list=" $list " '
        $1 == other && $2 != "inherit" && (list == "  " || index(list, " " $2 " ")) { print c, $2, $3 }' "$tmp/opts" >>"$tmp/opts.more"
done <"$tmp/opts"
[ -f "$tmp/opts.more" ] && cat "$tmp/opts.more" >>"$tmp/opts"
grep -v ' inherit ' "$tmp/opts" | awk '!seen[$1 " " $2]++' >"$tmp/table"

# A command whose operands are TYPEs ("Usage: kaudit explain [TYPE...]")
# lists them when run without one: the first word of each indented line.
# An option whose argument "kaudit explain lists" offers them, comma separated.
for c in $commands; do
    sed -n 's/^Usage: kaudit [a-z]* //p' "$tmp/cmd-$c" | grep -q 'TYPE' || continue
    "$K" "$c" 2>/dev/null | awk '/^  [a-z][a-z0-9_]*  / { printf "%s%s", n++ ? "|" : "", $1 }' >"$tmp/types-$c"
    [ -s "$tmp/types-$c" ] || continue
    sed "s/ list:$c\$/ cwords:$(cat "$tmp/types-$c")/" "$tmp/table" >"$tmp/table.new" && mv "$tmp/table.new" "$tmp/table"
done
sed 's/ list:[a-z]*$/ free/' "$tmp/table" >"$tmp/table.new" && mv "$tmp/table.new" "$tmp/table"

cat <<'END'
# bash completion for kaudit(1): generated by packaging/mkcompletion.sh from
# kaudit --help and each command's --help; do not edit.
END
printf "_kaudit_commands='%s'\n\n" "$(echo $commands)"
echo '# _kaudit_options CMD: the options of a command.'
echo '_kaudit_options() {'
echo '    case $1 in'
for c in $commands; do
    printf "    %s) echo '%s' ;;\n" "$c" "$(awk -v c="$c" '$1 == c { printf "%s%s", n++ ? " " : "", $2 } END { print "" }' "$tmp/table" |
        awk '{ if (!/(^| )--help( |$)/) $0 = $0 (NF ? " " : "") "--help"; print }')"
done
echo '    esac'
echo '}'
echo
echo '# _kaudit_operands CMD: how its operands complete ("words W..."; else files).'
echo '_kaudit_operands() {'
echo '    case $1 in'
for c in $commands; do
    [ -s "$tmp/types-$c" ] && printf "    %s) echo 'words %s' ;;\n" "$c" "$(tr '|' ' ' <"$tmp/types-$c")"
done
echo '    esac'
echo '}'
echo
echo '# _kaudit_argument CMD OPTION: how its argument completes (files, dirs,'
echo '# free: nothing to offer, "words W...", "cwords W..." for a comma list of'
echo '# them); nothing when it takes none.'
echo '_kaudit_argument() {'
echo '    case "$1 $2" in'
awk '$3 != "none" { h = $3; if (h ~ /^c?words:/) { sub(/:/, " ", h); gsub(/\|/, " ", h) }
                   printf "    '"'"'%s %s'"'"') echo '"'"'%s'"'"' ;;\n", $1, $2, h }' "$tmp/table"
echo '    esac'
echo '}'
cat <<'END'

_kaudit() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev= cmd=${COMP_WORDS[1]} how= prefix=
    [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD-1]}
    COMPREPLY=()
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$_kaudit_commands --help --version" -- "$cur"))
        return 0
    fi
    # --opt=value: one word, or three when '=' breaks words (COMP_WORDBREAKS)
    if [[ $cur == --*=* ]]; then
        prev=${cur%%=*} prefix=${cur%%=*}= cur=${cur#*=}
    elif [ "$cur" = = ]; then
        cur=
    elif [ "$prev" = = ] && [ "$COMP_CWORD" -gt 2 ]; then
        prev=${COMP_WORDS[COMP_CWORD-2]}
    fi
    [[ $prev == -* ]] && how=$(_kaudit_argument "$cmd" "$prev")
    [ -z "$prefix" ] || [ -n "$how" ] || return 0
    case $how in
    files) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    dirs) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
    words\ *) COMPREPLY=($(compgen -W "${how#words }" -- "$cur")) ;;
    cwords\ *) # a comma list: the word after the last comma
        local done_=
        [[ $cur == *,* ]] && done_=${cur%,*},
        COMPREPLY=($(compgen -P "$done_" -W "${how#cwords }" -- "${cur##*,}")) ;;
    free) ;;
    *)
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$(_kaudit_options "$cmd")" -- "$cur"))
        else
            how=$(_kaudit_operands "$cmd")
            if [ -n "$how" ]; then
                COMPREPLY=($(compgen -W "${how#words }" -- "$cur"))
            else
                compopt -o filenames 2>/dev/null
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            fi
        fi
        return 0 ;;
    esac
    [ -z "$prefix" ] || COMPREPLY=("${COMPREPLY[@]/#/$prefix}")
    return 0
}
complete -F _kaudit kaudit
END
