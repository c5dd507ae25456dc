# shellcheck shell=bash
# lib.sh - shared helpers for the shell-driven CLI tests (tests/cli/test_*.sh).
#
# Sourced, not run.  The caller has already checked its arguments and set
# BF (the borderflow binary) and SRC (the source tree).  Provides:
#
#   T            a scratch directory, removed on exit
#   pass MSG / fail MSG [DETAIL...]   count and print one check
#   check_eq WHAT EXPECTED ACTUAL     pass if equal, else fail showing both
#   finish       print 'N passed, M failed' and exit 1 on any failure
#   bfrun OUT ERR ARGS...   run the binary with a timeout; sets RC
#   is_crash RC  true for signals, sanitizer aborts and timeouts
#
# Sanitizers: a sanitizer report must fail the test even where the run
# would otherwise look fine, so reports are made to abort (exit >= 128)
# unless the caller has chosen other options.

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:abort_on_error=1}"
export LC_ALL=C

N_PASS=0
N_FAIL=0
# Seconds one invocation may take before it counts as a hang.
BF_TIMEOUT="${BF_TIMEOUT:-60}"

T="$(mktemp -d "${TMPDIR:-/tmp}/bf-cli.XXXXXX")" || exit 1
# BG_PID: a background borderflow a test started; killed if we exit early.
BG_PID=
cleanup() {
    if [ -n "$BG_PID" ]; then
        kill -KILL "$BG_PID" 2>/dev/null
    fi
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() {
    N_PASS=$((N_PASS + 1))
    printf 'ok    %s\n' "$1"
}

fail() {
    N_FAIL=$((N_FAIL + 1))
    printf 'FAIL  %s\n' "$1"
    shift
    local d
    for d in "$@"; do
        printf '      %s\n' "$d"
    done
}

check_eq() {
    if [ "$2" = "$3" ]; then
        pass "$1"
    else
        fail "$1" "expected: $2" "got:      $3"
    fi
}

# check_contains WHAT FILE SUBSTRING: fixed-string search.
check_contains() {
    if grep -qF -- "$3" "$2"; then
        pass "$1"
    else
        fail "$1" "expected to contain: $3" "got: $(head -c 600 "$2")"
    fi
}

finish() {
    printf '%d passed, %d failed\n' "$N_PASS" "$N_FAIL"
    [ "$N_FAIL" -eq 0 ]
    exit $?
}

# bfrun OUT ERR ARGS...: runs "$BF" ARGS with stdin closed, stdout to OUT,
# stderr to ERR; the exit status goes to RC (124 = timed out).
bfrun() {
    local out="$1" err="$2"
    shift 2
    RC=0
    # The group's stderr is /dev/null only to silence bash's own
    # "Aborted"/"Segmentation fault" notice: the status tells the caller.
    # shellcheck disable=SC2034  # RC is read by the caller
    { timeout -k 5 "$BF_TIMEOUT" "$BF" "$@" </dev/null >"$out" 2>"$err" || RC=$?; } 2>/dev/null
}

is_crash() {
    [ "$1" -ge 124 ]
}

# The lines of a file, counting a last line without a newline.
n_lines() {
    awk 'END { print NR }' "$1"
}
