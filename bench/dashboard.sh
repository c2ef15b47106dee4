#!/usr/bin/env bash
# Benchmark of the security dashboard: what recording costs a worker per request and what the
# admin thread spends on /api/summary and /api/report (Google Benchmark, dashboard_bench), and
# how long the page takes to load in headless Chromium (tests/browser/dashboard.mjs: sign in,
# then both APIs rendered) and /api/summary takes to answer, with the proxy idle and with it
# saturated by wrk. Run from the repository root:
#
#   bench/dashboard.sh [--loads 5] [--duration 10] [--binary build/portcullis] [--no-pin]
#                      [--proxy-cpu 0] [--load-cpu 1] [--micro build/dashboard_bench]
#
# Everything listens on 127.0.0.1 on free ports picked at start; every process started here is
# stopped by PID on exit. Topology: wrk --> portcullis (one worker, CRS 3.3.4 at paranoia 1,
# admin token) --> nginx (GET / -> 200). Before measuring, 2,000 requests (a tenth of them SQL
# injections) give the dashboard something to show. Needs tests/browser's node_modules
# (npm ci --prefix tests/browser) and Debian's chromium.
set -euo pipefail

loads=5
micro=build/dashboard_bench

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

while (($#)); do
    case $1 in
        --loads) loads=${2:?--loads needs a value}; shift 2 ;;
        --micro) micro=${2:?--micro needs a value}; shift 2 ;;
        *) common_option "$@"; shift "$shifted" ;;
    esac
done
check_common_options
[[ $loads =~ ^[1-9][0-9]*$ ]] || die "--loads must be a positive integer"
find_nginx
command -v wrk >/dev/null || die "wrk not found (Debian: apt-get install wrk)"
command -v node >/dev/null || die "node not found"
[[ -d tests/browser/node_modules ]] || die "tests/browser/node_modules missing: npm ci --prefix tests/browser"
crs=/usr/share/modsecurity-crs
[[ -d $crs/rules ]] || die "CRS not found (Debian: apt-get install modsecurity-crs)"
setup_pinning
setup_tmp

echo "## Recording and answering (Google Benchmark)"
echo
if [[ -x $micro ]]; then
    echo "| benchmark | CPU time |"
    echo "|---|---:|"
    "$micro" --benchmark_format=csv --benchmark_min_time=0.5 2>/dev/null |
        awk -F, 'NR > 1 && $1 != "" { gsub(/"/, "", $1); gsub(/"/, "", $5)
                                      printf "| %s | %.2f %s |\n", $1, $4, $5 }'
    echo
    echo "RecordPassed/RecordRefused: per request on the worker; Summary: four workers' ten"
    echo "minutes of attacks from 10,000 clients added up and rendered; Report24h: the same as a page."
else
    echo "(no $micro: ninja -C build dashboard_bench)"
fi
echo

pick_port; upstream_port=$port_out
pick_port; proxy_port=$port_out
pick_port; admin_port=$port_out
write_upstream_conf "$tmp/upstream" "$upstream_port"
check_nginx_conf "$tmp/upstream" upstream
start_upstream "$tmp/upstream" "$upstream_port"
token=bench-$RANDOM$RANDOM
cat >"$tmp/portcullis.yaml" <<YAML
listen: [127.0.0.1:$proxy_port]
admin: {address: 127.0.0.1:$admin_port, token: $token}
workers: 1
logging: {events: off}
upstreams: [{name: app, endpoints: [127.0.0.1:$upstream_port]}]
routes: [{upstream: app}]
policies:
  - name: default
    waf: {rules: [/etc/modsecurity/crs/crs-setup.conf, "$crs/rules/*.conf"], paranoia: 1}
YAML
spawn proxy "$tmp/proxy.log" "$binary" -c "$tmp/portcullis.yaml"
proxy_pid=$spawned_pid
wait_http "http://127.0.0.1:$admin_port/healthz" "$proxy_pid" "$tmp/proxy.log"
for ((i = 0; i < 2000; i++)); do
    if ((i % 10 == 0)); then
        echo "url = \"http://127.0.0.1:$proxy_port/item?id=1%27%20or%201%3D1--\""
    else
        echo "url = \"http://127.0.0.1:$proxy_port/item?id=$i\""
    fi
    echo "header = \"Host: shop.example\""
    echo "output = /dev/null"
done >"$tmp/curl.cfg"
curl -s --parallel --parallel-max 8 -K "$tmp/curl.cfg" 2>/dev/null || true

# measure LABEL: page loads and summary answers, one row.
measure() {
    local label=$1 i out load_ms summary_ms
    local -a loads_ms=() summaries_ms=()
    for ((i = 0; i < loads; i++)); do
        out=$(node tests/browser/dashboard.mjs --url "http://127.0.0.1:$admin_port/" \
            --token "$token" --screenshot "$tmp/shot.png" 2>"$tmp/driver.err") ||
            { cat "$tmp/driver.err" >&2; die "the browser driver failed"; }
        load_ms=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["load_ms"])')
        loads_ms+=("$load_ms")
        summary_ms=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $token" \
            "http://127.0.0.1:$admin_port/api/summary" | awk '{ printf "%.1f", $1 * 1000 }')
        summaries_ms+=("$summary_ms")
    done
    printf '| %s | %s | %s | %s | %s |\n' "$label" "$(median "${loads_ms[@]}")" \
        "$(printf '%s\n' "${loads_ms[@]}" | sort -g | tail -1)" "$(median "${summaries_ms[@]}")" \
        "$(printf '%s\n' "${summaries_ms[@]}" | sort -g | tail -1)"
}

echo "## The page in headless Chromium ($loads loads each)"
echo
echo "| proxy | page load ms (median) | (max) | /api/summary ms (median) | (max) |"
echo "|---|---:|---:|---:|---:|"
measure idle
${on_load_cpu[@]+"${on_load_cpu[@]}"} wrk -t1 -c32 -d"$((duration + 30))s" -H "Host: shop.example" \
    "http://127.0.0.1:$proxy_port/" >"$tmp/wrk.log" 2>&1 &
wrk_pid=$!
pids+=("$wrk_pid")
sleep "$warmup"
measure "saturated by wrk"
kill -TERM "$wrk_pid" 2>/dev/null || true
reap "$wrk_pid"
echo
bytes=0
for f in proxy/dashboard_assets/*; do bytes=$((bytes + $(stat -c %s "$f"))); done
echo "Page, script, style and icon: $((bytes / 1024)) KiB, uncompressed, served from the binary."
