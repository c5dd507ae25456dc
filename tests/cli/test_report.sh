#!/usr/bin/env bash
# test_report.sh - `borderflow report` end to end: a briefing folder from
# a small store of the shipped baseline has index.html (self-contained,
# images by relative path) and summary.md with the key tables and their
# confidence intervals (numbers as in the store), every chart as PNG and
# PDF (magic bytes), the script and data behind each, and the commands
# that reproduce it; Chinese labels with --lang zh; and the failures
# (gnuplot missing, an empty store, an unknown run).
#
# Usage: bash test_report.sh PATH_TO_BORDERFLOW SOURCE_DIR
set -u

if [ $# -ne 2 ]; then
    echo "usage: bash $0 PATH_TO_BORDERFLOW SOURCE_DIR" >&2
    exit 2
fi
BF="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
SRC="$(cd "$2" && pwd)"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

SCN="$SRC/scenarios/hetao-baseline.ini"
export BORDERFLOW_GNUPLOT_DIR="$SRC/tools/gnuplot"

for tool in sqlite3 python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        fail "$tool is installed"
        finish
    fi
done

bfrun "$T/out" "$T/err" run "$SCN" -r 3 --set simulation.horizon=3d --set simulation.warmup=1d -q --db "$T/x.db"
check_eq "a run into the test store" 0 "$RC"
if [ "$RC" -ne 0 ]; then
    fail "the test store could not be made: nothing else is meaningful" "$(head -c 600 "$T/err")"
    finish
fi

# ---- failures first: nothing is written ------------------------------------------

BORDERFLOW_GNUPLOT=/nonexistent/gnuplot bfrun "$T/out" "$T/err" report "$T/x.db" --out "$T/nognu"
check_eq "gnuplot missing: exit 1" 1 "$RC"
check_contains "gnuplot missing: names the Debian package" "$T/err" "gnuplot-nox"
[ ! -e "$T/nognu" ] && pass "gnuplot missing: no folder written" || fail "gnuplot missing: no folder written"
: > "$T/empty.db"
bfrun "$T/out" "$T/err" report "$T/empty.db" --out "$T/e"
check_eq "empty store: exit 1" 1 "$RC"
check_contains "empty store: says it has no runs" "$T/err" "no runs"
bfrun "$T/out" "$T/err" report "$T/x.db" --run 5 --out "$T/e"
check_eq "unknown run: exit 2" 2 "$RC"
bfrun "$T/out" "$T/err" report "$T/x.db"
check_eq "no --out: exit 2" 2 "$RC"
bfrun "$T/out" "$T/err" report "$T/x.db" --out "$T/e" --lang de
check_eq "unknown language: exit 2" 2 "$RC"
bfrun "$T/out" "$T/err" report --help
check_eq "report --help exits 0" 0 "$RC"

if ! command -v gnuplot >/dev/null 2>&1; then
    echo "skip  gnuplot is not installed: briefing not tested"
    finish
fi

# ---- the briefing -----------------------------------------------------------------

bfrun "$T/out" "$T/err" report "$T/x.db" --out "$T/brief"
check_eq "report exits 0" 0 "$RC"
for f in index.html summary.md data/summary.tsv; do
    [ -s "$T/brief/$f" ] && pass "briefing has $f" || fail "briefing has $f"
done
n_png=0
for png in "$T"/brief/charts/*.png; do
    [ -e "$png" ] || continue
    base="${png%.png}"
    name="$(basename "$base")"
    n_png=$((n_png + 1))
    [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] \
        && pass "$name.png is a PNG" || fail "$name.png is a PNG"
    [ "$(head -c 4 "$base.pdf")" = "%PDF" ] && pass "$name.pdf is a PDF" || fail "$name.pdf is a PDF"
    [ -s "$base.gp" ] && [ -s "$base.tsv" ] && pass "$name has its script and data" \
        || fail "$name has its script and data"
    check_contains "index.html shows $name" "$T/brief/index.html" "<img src=\"charts/$name.png\""
    check_contains "summary.md shows $name" "$T/brief/summary.md" "](charts/$name.png)"
done
# utilization, queues by hour, number present by hour, waits, clearance
check_eq "five charts for a single run" 5 "$n_png"

# Self-contained: no scripts, no links off the page.
if grep -qiE "<script|https?://" "$T/brief/index.html"; then
    fail "index.html is self-contained (no scripts, no network)"
else
    pass "index.html is self-contained (no scripts, no network)"
fi

# Key tables with confidence intervals, numbers as in the store.
check_contains "summary.md has the station table" "$T/brief/summary.md" "| station | line | servers | utilization |"
util="$(sqlite3 -batch -noheader "$T/x.db" "SELECT printf('%.1f%% ± %.1f', 100 * mean, 100 * half_width) FROM v_aggregates WHERE run_id = 1 AND scope_kind = 'station' AND scope = 'fl_vehicle' AND class = '' AND metric = 'utilization'")"
check_contains "fl_vehicle's utilization and its CI as in the store" "$T/brief/summary.md" "| fl_vehicle | first | 2 | $util |"
check_contains "summary.md explains the ± figures" "$T/brief/summary.md" "95% confidence interval"
check_contains "data/summary.tsv is the run's export" "$T/brief/data/summary.tsv" "run_id	scenario	overrides	scope_kind"

# The commands that reproduce it.
cmdline="$(sqlite3 -batch -noheader "$T/x.db" "SELECT command_line FROM runs WHERE id = 1")"
check_contains "reproduce: the run's command line" "$T/brief/summary.md" "$cmdline"
check_contains "reproduce: the report command" "$T/brief/summary.md" "report $T/x.db --out $T/brief"
check_contains "reproduce: a plot command per chart" "$T/brief/summary.md" "plot $T/x.db --run 1 --chart utilization --out $T/brief/charts/utilization.pdf"
# ... and they do: re-drawing one chart from its plot command.
line="$(grep -m1 -- "--chart cdf --out .*wait-cdf.png" "$T/brief/summary.md" | sed "s|$T/brief/charts/wait-cdf.png|$T/redo.png|")"
RC=0
eval "$line" >/dev/null 2>"$T/err" || RC=$?
check_eq "a reproduce command runs" 0 "$RC"
cmp -s <(tail -n +2 "$T/brief/charts/wait-cdf.tsv") <(cd "$T" && "$BF" plot "$T/x.db" --run 1 --chart cdf --script "$T/redo" --out wait-cdf.png 2>/dev/null && tail -n +2 "$T/redo/wait-cdf.tsv") \
    && pass "the chart's data is reproduced exactly" || fail "the chart's data is reproduced exactly"

# ---- Chinese ------------------------------------------------------------------------

bfrun "$T/out" "$T/err" report "$T/x.db" --out "$T/brief-zh" --lang zh
check_eq "report --lang zh exits 0" 0 "$RC"
check_contains "summary.md in Chinese" "$T/brief-zh/summary.md" "关键数字"
check_contains "index.html declares Chinese" "$T/brief-zh/index.html" 'lang="zh-Hans"'
check_contains "charts in Chinese" "$T/brief-zh/charts/utilization.gp" '各站点利用率与人员配置'
check_contains "charts in the CJK font" "$T/brief-zh/charts/utilization.gp" 'font_name = "Noto Sans CJK SC"'

finish
