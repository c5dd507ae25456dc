#!/usr/bin/env bash
# test_bad_input.sh - every malformed scenario gets exactly one clear error.
#
# Usage: bash test_bad_input.sh PATH_TO_BORDERFLOW SOURCE_DIR
#
# For each row of tests/data/bad/expected.tsv (see the header of that file)
# runs `borderflow check` and `borderflow run --no-db -q` and asserts:
#   - the exit status is the expected one (and no crash: signals, sanitizer
#     aborts and hangs give >= 124);
#   - stderr is exactly one line, starting 'borderflow: PATH:LINE: ' (or
#     'PATH: ' / '--set: ' where no line applies), holding the expected text;
#   - stdout is empty;
#   - run reports the same error as check.
# It also checks that every tests/data/bad/*.ini has a row, so no file
# sits in the folder untested.
set -u

if [ $# -ne 2 ]; then
    echo "usage: bash $0 PATH_TO_BORDERFLOW SOURCE_DIR" >&2
    exit 2
fi
# Absolute paths: the cases run from a scratch directory.
BF="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
SRC="$(cd "$2" && pwd)"
DATA="$SRC/tests/data/bad"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

if [ ! -x "$BF" ]; then
    echo "not an executable: $BF" >&2
    exit 2
fi

# ---- inputs generated at run time ----------------------------------------

GEN="$T/gen"
mkdir -p "$GEN"

# A small valid scenario for the override rows.
cat >"$GEN/base.ini" <<'EOF'
[simulation]
horizon = 1d
warmup  = 2h

[class visitor]
arrivals = poisson(rate=10/h)
route    = desk, branch(25%: secondary; 75%: -)

[station desk]
servers = 2
service = exp(mean=2min)

[station secondary]
servers = 1
service = exp(mean=10min)
EOF

# Binary garbage with NUL bytes on the first line (not committed: a binary
# file in the tree is awkward to review).
printf 'garbage\000\001\002\377\376[sim\000ulation]\n\211PNG\r\n\032\n\000\000' \
    >"$GEN/binary-garbage.ini"

# A valid-looking file with a NUL inside line 3.
printf '[simulation]\nhorizon = 1d\ntitle = a\000b\n[class visitor]\n' >"$GEN/nul-on-line-3.ini"

# One line of 10 MiB, no newline: far beyond the line limit.
head -c 10485760 /dev/zero | tr '\0' x >"$GEN/long-line-10mb.ini"

# A line just too long (308 characters) on line 3.
{
    printf '[simulation]\nhorizon = 1d\ntitle = '
    head -c 300 /dev/zero | tr '\0' x
    printf '\n'
} >"$GEN/long-line-300.ini"

# Line counting over many lines: 50000 comments, then a bad line.
{
    awk 'BEGIN { for (i = 1; i <= 50000; i++) printf "; comment line %d\n", i }'
    printf 'this is not ini\n'
} >"$GEN/error-on-line-50001.ini"

# ---- the table -----------------------------------------------------------

TSV="$DATA/expected.tsv"
if [ ! -r "$TSV" ]; then
    fail "expected.tsv is readable" "$TSV"
    finish
fi

# The base scenario must itself be valid, or every override row is moot.
bfrun "$T/out" "$T/err" check "$GEN/base.ini"
if [ "$RC" -eq 0 ]; then
    pass "generated base scenario is valid"
else
    fail "generated base scenario is valid" "exit $RC: $(head -c 400 "$T/err")"
fi

declare -A LISTED=()

# check_case LABEL MODE FILE EXIT LINE EXPECT [SET]
# MODE is check or run.  Prints one line per assertion group.
check_case() {
    local label="$1" mode="$2" file="$3" want_rc="$4" line="$5" expect="$6"
    local set="${7-}"
    local -a args=("$mode" "$file")
    [ -n "$set" ] && args+=(--set "$set")
    [ "$mode" = run ] && args+=(--no-db -q)

    # Run from the scratch directory so a run that wrongly gets as far as
    # the store cannot leave a database in the source tree.
    local out="$T/out.$mode" err="$T/err.$mode"
    (cd "$T" && bfrun "$out" "$err" "${args[@]}"; exit "$RC")
    local rc=$?

    local where
    case "$line" in
    -) where="borderflow: $file: " ;;
    set) where="borderflow: --set: " ;;
    *) where="borderflow: $file:$line: " ;;
    esac

    local problems=()
    if is_crash "$rc"; then
        problems+=("CRASH or HANG: exit status $rc")
    elif [ "$rc" -ne "$want_rc" ]; then
        problems+=("exit status $rc, expected $want_rc")
    fi
    local n
    n=$(n_lines "$err")
    [ "$n" -eq 1 ] || problems+=("stderr has $n lines, expected exactly 1")
    local first
    first=$(head -n 1 "$err" | head -c 2000)
    case "$first" in
    "$where"*) ;;
    *) problems+=("stderr does not start with '$where'") ;;
    esac
    # Search the message only: the path may contain the expected words.
    local msg="${first#"$where"}"
    case "$msg" in
    *"$expect"*) ;;
    *) problems+=("message lacks: $expect") ;;
    esac
    if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:|Assertion' "$err"; then
        problems+=("sanitizer or assertion report on stderr")
    fi
    [ -s "$out" ] && problems+=("stdout is not empty")

    if [ "${#problems[@]}" -eq 0 ]; then
        pass "$mode $label"
    else
        fail "$mode $label" "${problems[@]}" "stderr: $(head -c 600 "$err" | tr -d '\000')"
    fi
    # run must say what check said.
    if [ "$mode" = run ] && [ -f "$T/err.check" ]; then
        if cmp -s "$T/err.check" "$T/err.run"; then
            pass "run $label reports the same error as check"
        else
            fail "run $label reports the same error as check" \
                "check: $(head -c 300 "$T/err.check" | tr -d '\000')" \
                "run:   $(head -c 300 "$T/err.run" | tr -d '\000')"
        fi
    fi
}

row=0
while IFS=$'\t' read -r name want_rc line expect set || [ -n "$name" ]; do
    case "$name" in
    '' | '#'*) continue ;;
    esac
    row=$((row + 1))
    if [ -z "${want_rc-}" ] || [ -z "${line-}" ] || [ -z "${expect-}" ]; then
        fail "expected.tsv row $row ($name) has case, exit, line and expect columns"
        continue
    fi
    case "$name" in
    @base) file="$GEN/base.ini" label="--set '$set' (row $row)" ;;
    @*) file="$GEN/${name#@}" label="$name" ;;
    *) file="$DATA/$name" label="$name"; LISTED[$name]=1 ;;
    esac
    if [ ! -f "$file" ]; then
        fail "$label exists" "$file"
        continue
    fi
    rm -f "$T/err.check" "$T/err.run"
    check_case "$label" check "$file" "$want_rc" "$line" "$expect" "${set-}"
    check_case "$label" run "$file" "$want_rc" "$line" "$expect" "${set-}"
done <"$TSV"

# Every committed bad scenario has a row.
n_files=0
for f in "$DATA"/*.ini; do
    [ -e "$f" ] || continue
    n_files=$((n_files + 1))
    b=$(basename "$f")
    if [ -n "${LISTED[$b]-}" ]; then
        :
    else
        fail "$b has a row in expected.tsv"
    fi
done
if [ "$n_files" -ge 30 ]; then
    pass "corpus has $n_files malformed scenarios (at least 30)"
else
    fail "corpus has at least 30 malformed scenarios" "found $n_files"
fi

finish
