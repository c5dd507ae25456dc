#!/usr/bin/env bash
# test_serve.sh - `borderflow serve` end to end: starts the server on a
# free loopback port (--listen 127.0.0.1:0; the port is read from its
# "listening on" line), exercises every endpoint of docs/api.md with curl
# and checks status codes and JSON (python3): scenarios and their tunable
# keys, a run with overrides and a demand multiplier (progress, results
# with CIs, stored in the SQLite store like `borderflow run`), charts
# (SVG, through the same module as `borderflow plot`), cancel, the
# baseline-vs-what-if compare chart, the page; and the error paths: bad
# JSON and bad overrides (400), unknown scenario / run / chart (404),
# path escapes (../, %2e%2e), too much work (413), too many runs (503),
# an over-large body, a non-loopback --listen without --allow-remote;
# then SIGTERM stops it cleanly (exit 0, runs canceled in the store).
#
# Usage: bash test_serve.sh PATH_TO_BORDERFLOW SOURCE_DIR
set -u

if [ $# -ne 2 ]; then
    echo "usage: bash $0 PATH_TO_BORDERFLOW SOURCE_DIR" >&2
    exit 2
fi
BF="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
SRC="$(cd "$2" && pwd)"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
export BORDERFLOW_GNUPLOT_DIR="$SRC/tools/gnuplot"

for tool in curl python3 sqlite3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        fail "$tool is installed (tools/install-deps.sh installs it)"
        finish
    fi
done
HAVE_GNUPLOT=1
command -v gnuplot >/dev/null 2>&1 || HAVE_GNUPLOT=0

SMALL='"set":["simulation.horizon=3d","simulation.warmup=1d"]'

# start_server LOG ARGS...: starts borderflow serve in the background on a
# free port; sets BG_PID and URL (empty if it did not come up in 20 s).
start_server() {
    local log="$1"
    shift
    "$BF" serve --listen 127.0.0.1:0 --scenarios "$SRC/scenarios" "$@" >"$log" 2>"$log.err" </dev/null &
    BG_PID=$!
    URL=
    for _ in $(seq 1 200); do
        URL="$(sed -n 's/^listening on \(http:.*\/\)$/\1/p' "$log")"
        [ -n "$URL" ] && break
        kill -0 "$BG_PID" 2>/dev/null || break
        sleep 0.1
    done
}

# stop_server: SIGTERM, wait (at most 20 s); sets STOP_RC.
stop_server() {
    kill -TERM "$BG_PID" 2>/dev/null
    STOP_RC=124
    for _ in $(seq 1 200); do
        if ! kill -0 "$BG_PID" 2>/dev/null; then
            wait "$BG_PID"
            STOP_RC=$?
            break
        fi
        sleep 0.1
    done
    [ "$STOP_RC" -eq 124 ] && kill -KILL "$BG_PID" 2>/dev/null
    BG_PID=
}

# req METHOD PATH [BODY]: the status in CODE, the body in $T/body.
req() {
    local args=(-s --max-time 30 --path-as-is -o "$T/body" -w '%{http_code}' -X "$1")
    [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
    CODE="$(curl "${args[@]}" "${URL%/}$2")"
}

# jq_py EXPR: evaluates a python expression on j = the JSON in $T/body.
jq_py() {
    python3 -c "import json,sys; j=json.load(open('$T/body')); print($1)" 2>&1
}

# is_json_error: the body is {"error": "...", "status": CODE}.
check_error() {
    local what="$1" want="$2"
    check_eq "$what: status" "$want" "$CODE"
    check_eq "$what: JSON error with a message" "True" \
        "$(jq_py "isinstance(j.get('error'), str) and len(j['error']) > 5 and j['status'] == $want")"
}

# wait_run ID STATE: polls until the run is no longer queued/running.
wait_run() {
    local st=
    for _ in $(seq 1 300); do
        req GET "/api/runs/$1"
        st="$(jq_py "j['state']")"
        case "$st" in queued | running) sleep 0.1 ;; *) break ;; esac
    done
    echo "$st"
}

# ---- refused before serving --------------------------------------------------

bfrun "$T/out" "$T/err" serve --listen 0.0.0.0:0 --scenarios "$SRC/scenarios" --db "$T/x.db"
check_eq "a non-loopback --listen without --allow-remote is refused (exit 2)" 2 "$RC"
check_contains "... and the message says why" "$T/err" "--allow-remote"
bfrun "$T/out" "$T/err" serve --listen nonsense --db "$T/x.db"
check_eq "--listen without a port is refused (exit 2)" 2 "$RC"
bfrun "$T/out" "$T/err" serve --scenarios "$T/nowhere" --listen 127.0.0.1:0 --db "$T/x.db"
check_eq "a missing scenarios folder is refused (exit 1)" 1 "$RC"
bfrun "$T/out" "$T/err" serve --help
check_eq "serve --help" 0 "$RC"

# ---- a server ---------------------------------------------------------------------

start_server "$T/log" --db "$T/serve.db" --max-runs 2 --max-work 2e7 --max-replications 100 -j 1
if [ -z "$URL" ]; then
    fail "the server starts and prints its URL" "$(cat "$T/log" "$T/log.err" | head -c 600)"
    finish
fi
pass "the server starts on a free loopback port: $URL"
case "$URL" in http://127.0.0.1:*) pass "it binds to loopback" ;; *) fail "it binds to loopback" "$URL" ;; esac

# The page.
req GET /
check_eq "GET / serves the page" 200 "$CODE"
check_contains "... an HTML page with the run button" "$T/body" 'id="run"'
if grep -qE '(src|href)="?https?://' "$T/body"; then
    fail "the page loads nothing from outside (no CDN)"
else
    pass "the page loads nothing from outside (no CDN)"
fi

# Scenarios.
req GET /api/scenarios
check_eq "GET /api/scenarios" 200 "$CODE"
check_eq "... lists the shipped baseline" "True" \
    "$(jq_py "'hetao-baseline' in [s['name'] for s in j['scenarios']]")"
req GET /api/scenarios/hetao-baseline
check_eq "GET /api/scenarios/hetao-baseline" 200 "$CODE"
check_eq "... has tunable keys with value, min and max" "True" \
    "$(jq_py "all(k['min'] <= k['value'] <= k['max'] for k in j['keys']) and len(j['keys']) > 5")"
check_eq "... servers, white list, inspection and demand are among them" "True" \
    "$(jq_py "all(x in [k['key'] for k in j['keys']] for x in ['demand', 'station.sl_check.servers', 'class.material.whitelisted', 'station.sl_check.inspect'])")"
req GET /api/scenarios/no-such-scenario
check_error "an unknown scenario" 404
for p in /api/scenarios/../../etc/passwd /api/scenarios/%2e%2e%2f%2e%2e%2fetc%2fpasswd \
    /api/scenarios/..%2fhetao-baseline /api/scenarios/%2e%2e /api/scenarios/hetao-baseline.ini; do
    req GET "$p"
    check_error "path escape $p" 404
done

# A run with overrides.
req POST /api/runs "{\"scenario\":\"hetao-baseline\",\"replications\":3,$SMALL}"
check_eq "POST /api/runs (baseline) is accepted" 202 "$CODE"
BASE="$(jq_py "j['id']")"
req POST /api/runs "{\"scenario\":\"hetao-baseline\",\"replications\":3,$SMALL,\"overrides\":{\"station.sl_check.servers\":3,\"class.material.whitelisted\":0.7,\"station.sl_check.inspect\":0.02,\"demand\":1.25}}"
check_eq "POST /api/runs (what-if) is accepted" 202 "$CODE"
POL="$(jq_py "j['id']")"
check_eq "... the overrides reach the loader as --set strings" "True" \
    "$(jq_py "'station.sl_check.servers=3' in j['overrides'] and 'class.material.whitelisted=70%' in j['overrides'] and 'station.sl_check.inspect=2% -> sl_secondary' in j['overrides'] and 'class.researcher.arrivals=poisson(rate=187.5/h)' in j['overrides']")"
check_eq "baseline run finishes" done "$(wait_run "$BASE")"
check_eq "what-if run finishes" done "$(wait_run "$POL")"
check_eq "... progress is complete" "True" "$(jq_py "j['progress']['done'] == j['progress']['total'] == 3 and j['progress']['fraction'] == 1")"
check_eq "... results carry means and 95% CI half-widths" "True" \
    "$(jq_py "any(r['scope']=='sl_check' and r['metric']=='wait_mean' and r['class']=='' and r['mean'] > 0 and r['half_width'] > 0 and r['n']==3 for r in j['results'])")"
SID="$(jq_py "j['store_run_id']")"
check_eq "... stored in the SQLite store as a done run" "done" \
    "$(sqlite3 "$T/serve.db" "SELECT status FROM runs WHERE id = $SID")"
check_eq "... with the overrides in its provenance" "1" \
    "$(sqlite3 "$T/serve.db" "SELECT count(*) FROM runs WHERE id = $SID AND command_line LIKE '%station.sl_check.servers=3%'")"
check_eq "... and 3 replications" "3" \
    "$(sqlite3 "$T/serve.db" "SELECT count(*) FROM replications WHERE run_id = $SID")"
MEAN_API="$(jq_py "[r['mean'] for r in j['results'] if r['scope']=='sl_check' and r['metric']=='wait_mean' and r['class']==''][0]")"
MEAN_DB="$(sqlite3 "$T/serve.db" "SELECT mean FROM v_aggregates WHERE run_id = $SID AND scope = 'sl_check' AND class = '' AND metric = 'wait_mean'" 2>/dev/null)"
check_eq "... the API's mean is the store's" "True" \
    "$(python3 -c "print(abs($MEAN_API - ${MEAN_DB:-nan}) < 1e-6 * abs($MEAN_API))" 2>&1)"
req GET /api/runs
check_eq "GET /api/runs lists both" "True" "$(jq_py "set([$BASE, $POL]) <= set(r['id'] for r in j['runs'])")"
req GET /api/status
check_eq "GET /api/status" 200 "$CODE"

# Charts.
if [ "$HAVE_GNUPLOT" -eq 1 ]; then
    for k in timeseries cdf utilization; do
        curl -s --max-time 60 -o "$T/$k.svg" -w '%{http_code} %{content_type}' \
            "${URL}api/runs/$POL/charts/$k.svg" >"$T/code"
        check_eq "chart $k: 200 image/svg+xml" "200 image/svg+xml" "$(cat "$T/code")"
        if head -c 2048 "$T/$k.svg" | grep -q "<svg"; then pass "chart $k is an SVG"; else fail "chart $k is an SVG"; fi
    done
    curl -s --max-time 60 -o "$T/cmp.svg" -w '%{http_code}' \
        "${URL}api/runs/$POL/charts/compare.svg?base=$BASE" >"$T/code"
    check_eq "compare chart (baseline vs what-if)" 200 "$(cat "$T/code")"
else
    echo "skip  charts: gnuplot is not installed"
fi
req GET "/api/runs/$POL/charts/pie.svg"
check_error "an unknown chart kind" 404
req GET "/api/runs/$POL/charts/compare.svg"
check_error "a compare chart without ?base=" 404

# Errors.
req POST /api/runs '{"scenario": "hetao-baseline", '
check_error "bad JSON" 400
req POST /api/runs '[1, 2]'
check_error "JSON that is not an object" 400
req POST /api/runs '{"replications": 3}'
check_error "no scenario named" 400
req POST /api/runs '{"scenario": "../../etc/passwd"}'
check_error "a scenario name with a path" 404
req POST /api/runs '{"scenario": "no-such-scenario"}'
check_error "an unknown scenario" 404
req POST /api/runs '{"scenario": "hetao-baseline", "overrides": {"station.fl_check.servers": 0}}'
check_error "servers = 0 (the loader's message)" 400
check_contains "... names the key and what was expected" "$T/body" "expected a whole number"
req POST /api/runs '{"scenario": "hetao-baseline", "overrides": {"station.no_such.servers": 3}}'
check_error "an unknown station" 400
req POST /api/runs '{"scenario": "hetao-baseline", "overrides": {"class.material.whitelisted": 1.5}}'
check_error "a share above 1" 400
req POST /api/runs '{"scenario": "hetao-baseline", "replications": 0}'
check_error "0 replications" 400
req POST /api/runs '{"scenario": "hetao-baseline", "replications": 101}'
check_error "more replications than --max-replications" 413
req POST /api/runs '{"scenario": "hetao-baseline", "replications": 50, "overrides": {"demand": 10}}'
check_error "more work than --max-work" 413
check_contains "... says horizon x arrival rate x replications" "$T/body" "horizon x arrival rate x replications"
python3 -c "print('{\"scenario\": \"' + 'x' * 70000 + '\"}')" >"$T/big.json"
CODE="$(curl -s --max-time 30 -o "$T/body" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "@$T/big.json" "${URL}api/runs")"
check_eq "a body over the limit is refused (413)" 413 "$CODE"
CODE="$(curl -s --max-time 30 -o /dev/null -w '%{http_code}' \
    -H "X-Big: $(python3 -c "print('x' * 20000)")" "${URL}api/scenarios")"
check_eq "headers over the limit are refused (400)" 400 "$CODE"
req GET /api/runs/999999
check_error "an unknown run" 404
req GET /api/runs/abc
check_error "a run id that is not a number" 404
req PUT /api/runs
check_error "PUT on /api/runs" 405
req POST /api/scenarios '{}'
check_error "POST on /api/scenarios" 405
req DELETE "/api/runs/$BASE"
check_error "cancelling a finished run" 409

# A bounded load test: 2,000 GET /api/scenarios from 32 concurrent
# keep-alive connections; none may fail, and the server's memory must not
# grow with the requests (RSS after a second batch within 2 MB of after
# the first: the first batch warms allocator arenas up).
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$BG_PID/status" 2>/dev/null || echo 0; }
cat >"$T/load.py" <<'PY'
import http.client, sys, threading, time
host, port, n_conn, n_req = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ok, bad, lock = [0], [0], threading.Lock()
def worker(k):
    c = http.client.HTTPConnection(host, port, timeout=30)
    for _ in range(k):
        try:
            c.request("GET", "/api/scenarios")
            r = c.getresponse()
            body = r.read()
            good = r.status == 200 and body.startswith(b'{"scenarios":')
        except Exception:
            good = False
            c.close()
            c = http.client.HTTPConnection(host, port, timeout=30)
        with lock:
            if good: ok[0] += 1
            else: bad[0] += 1
    c.close()
per = [n_req // n_conn + (1 if i < n_req % n_conn else 0) for i in range(n_conn)]
t0 = time.monotonic()
ts = [threading.Thread(target=worker, args=(k,)) for k in per]
for t in ts: t.start()
for t in ts: t.join()
dt = time.monotonic() - t0
print(ok[0], bad[0], "%.0f" % (ok[0] / dt))
PY
HOSTPORT="${URL#http://}"
HOSTPORT="${HOSTPORT%/}"
read -r OK1 BAD1 RPS1 < <(python3 "$T/load.py" "${HOSTPORT%:*}" "${HOSTPORT##*:}" 32 2000)
RSS1="$(rss_kb)"
read -r OK2 BAD2 RPS2 < <(python3 "$T/load.py" "${HOSTPORT%:*}" "${HOSTPORT##*:}" 32 2000)
RSS2="$(rss_kb)"
check_eq "load: 2000 requests / 32 connections, all answered 200" "2000 0" "${OK1:-0} ${BAD1:-?}"
check_eq "load: a second batch too" "2000 0" "${OK2:-0} ${BAD2:-?}"
if ldd "$BF" 2>/dev/null | grep -q libasan; then
    # ASan's quarantine keeps freed memory for a while: RSS says nothing.
    echo "skip  load: memory steadiness (sanitizer build; ${RPS1}, ${RPS2} requests/s)"
elif [ "$((RSS2 - RSS1))" -le 2048 ]; then
    pass "load: memory steady (RSS ${RSS1} kB -> ${RSS2} kB; ${RPS1}, ${RPS2} requests/s)"
else
    fail "load: memory steady" "RSS ${RSS1} kB after the first batch, ${RSS2} kB after the second"
fi

# The page in a browser: headless Chromium loads it, runs the baseline and
# a what-if (the page's ?autorun=1), and the results table and the charts
# appear.  Skipped when Chromium is not installed (Debian package chromium).
CHROMIUM="$(command -v chromium || command -v chromium-browser || true)"
if [ -n "$CHROMIUM" ]; then
    timeout -k 5 300 "$CHROMIUM" --headless --no-sandbox --disable-gpu --window-size=1400,2000 \
        --virtual-time-budget=900000 --dump-dom \
        "${URL}?autorun=1&reps=3&station.sl_check.servers=3&demand=1.2" >"$T/dom.html" 2>"$T/chromium.err"
    check_eq "chromium ran the page" 0 "$?"
    # (The page's own script also contains these strings: count the
    # rendered elements, which the script never spells this way.)
    if grep -q '<tr><td class="l">station sl_check</td>' "$T/dom.html"; then
        pass "the results table appears, with a row for sl_check"
    else
        fail "the results table appears, with a row for sl_check" \
            "page message: $(grep -o 'id="msg">[^<]*' "$T/dom.html")" \
            "$(grep -o 'id="rnote">[^<]*' "$T/dom.html")"
    fi
    N_LOADED="$(grep -o '<figure[^>]*data-loaded="1"' "$T/dom.html" | wc -l)"
    if [ "$HAVE_GNUPLOT" -eq 1 ]; then
        check_eq "the 7 charts (compare + 3 kinds x baseline, what-if) are loaded" 7 "$N_LOADED"
    fi
    if [ -n "${BF_SERVE_SCREENSHOT:-}" ]; then
        timeout -k 5 300 "$CHROMIUM" --headless --no-sandbox --disable-gpu --window-size=1400,2000 \
            --virtual-time-budget=900000 --screenshot="$BF_SERVE_SCREENSHOT" \
            "${URL}?autorun=1&reps=3&station.sl_check.servers=3&demand=1.2" >/dev/null 2>&1
    fi
else
    echo "skip  browser test: chromium is not installed (apt-get install chromium)"
fi

# Cancel, and the cap on concurrent runs (--max-runs 2): first wait until
# no run of the page is still going.
for _ in $(seq 1 600); do
    req GET /api/status
    [ "$(jq_py "j['active_runs']")" = 0 ] && break
    sleep 0.2
done

LONG='{"scenario":"hetao-baseline","replications":100}'
req POST /api/runs "$LONG"
check_eq "long run 1 accepted" 202 "$CODE"
L1="$(jq_py "j['id']")"
req POST /api/runs "$LONG"
check_eq "long run 2 accepted" 202 "$CODE"
L2="$(jq_py "j['id']")"
req POST /api/runs "$LONG"
check_error "a third run over --max-runs 2" 503
req GET /api/scenarios
check_eq "the API still answers while two runs go" 200 "$CODE"
req DELETE "/api/runs/$L1"
check_eq "DELETE cancels a running run" 202 "$CODE"
check_eq "... which ends canceled" canceled "$(wait_run "$L1")"
check_eq "... with a message" "True" "$(jq_py "'DELETE' in j['message']")"

# SIGTERM with a run going: a clean stop.
stop_server
check_eq "SIGTERM stops the server with status 0" 0 "$STOP_RC"
check_eq "... and the run it interrupted is canceled in the store" "0" \
    "$(sqlite3 "$T/serve.db" "SELECT count(*) FROM runs WHERE status = 'running'")"
if grep -qiE "AddressSanitizer|runtime error|LeakSanitizer" "$T/log.err"; then
    fail "no sanitizer report" "$(head -c 1200 "$T/log.err")"
else
    pass "no sanitizer report"
fi
: "$L2"
finish
