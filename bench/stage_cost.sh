#!/usr/bin/env bash
# Benchmark of one inspection stage, bots or ratelimit: its cost per request (its Google
# Benchmark, bots_bench or ratelimit_bench) and the throughput of the whole proxy over TLS with
# the stage on and off, beside nginx in the same run. Run from the repository root:
#
#   bench/stage_cost.sh [--stage bots|ratelimit] [--duration 10] [--repeats 3]
#                       [--binary build/portcullis] [--warmup 1] [--no-pin] [--proxy-cpu 0]
#                       [--load-cpu 1] [--micro build/STAGE_bench] [--no-waf] [--redis]
#
# Everything listens on 127.0.0.1 on free ports picked at start; every process started here is
# stopped by PID on exit and the temporary directory (with a throwaway certificate) removed.
#
# Topology: client (h2load | wrk) --> proxy --> upstream nginx (GET / -> 200 "hello").
# Proxies, one worker each, all TLS with the same certificate:
#   nginx          the anchor
#   off            portcullis without the stage (bots: --bots off; ratelimit: no --limit)
#   on             portcullis with it (bots: as --tls-cert turns it on, with the CRS user-agent
#                  lists, reputation and five x-portcullis-* headers forwarded; ratelimit: two
#                  limits, per address and per network and route, never reached)
# and, unless --no-waf, the same two with the WAF running CRS at paranoia 1 (Debian's
# modsecurity-crs): waf+off and waf+on, the full stack. With --redis (ratelimit only) a
# redis-server is started on loopback: the micro-benchmark then also measures the global
# (Redis) mode, and the "on" proxies keep both limits global in it.
# Workloads: h2 TLS (h2load -t1 -c16 -m16, a browser-like request) and h1 TLS keep-alive
# (wrk -t2 -c64). Repeats alternate the order of the proxies. Printed: the micro-benchmark
# table, then median req/s per proxy and workload, the on/off ratio (the stage's cost) and the
# ratio to nginx. Exit status 2 when a run saw errors or non-2xx responses.
set -euo pipefail

stage=bots
micro=
waf=1
redis=0

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

while (($#)); do
    case $1 in
        --stage) stage=${2:?--stage needs bots or ratelimit}; shift 2 ;;
        --micro) micro=${2:?--micro needs a value}; shift 2 ;;
        --no-waf) waf=0; shift ;;
        --redis) redis=1; shift ;;
        *) common_option "$@"; shift "$shifted" ;;
    esac
done
check_common_options
case $stage in
    bots)
        on_args=()
        off_args=(--bots off) ;;
    ratelimit)
        on_args=(--limit "100000000/s,burst=1000000,key=ip,name=per-ip"
            --limit "100000000/s,burst=1000000,key=ip/24,key=route,name=per-net")
        off_args=() ;;
    *) die "--stage must be bots or ratelimit" ;;
esac
micro=${micro:-build/${stage}_bench}

find_nginx
command -v h2load >/dev/null || die "h2load not found (Debian: apt-get install nghttp2-client)"
command -v wrk >/dev/null || die "wrk not found (Debian: apt-get install wrk)"
command -v openssl >/dev/null || die "openssl not found"
crs=/usr/share/modsecurity-crs
if ((waf)); then
    [[ -d $crs/rules && -f /etc/modsecurity/crs/crs-setup.conf ]] ||
        die "CRS not found (Debian: apt-get install modsecurity-crs), or pass --no-waf"
fi
setup_pinning
setup_tmp

if ((redis)); then
    [[ $stage == ratelimit ]] || die "--redis is for --stage ratelimit"
    command -v redis-server >/dev/null || die "redis-server not found (Debian: apt-get install redis-server)"
    pick_port; redis_port=$port_out
    spawn load "$tmp/redis.log" redis-server --port "$redis_port" --bind 127.0.0.1 --save "" \
        --appendonly no --dir "$tmp" --daemonize no
    for ((i = 0; i < 100; i++)); do
        (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null && break
        sleep 0.05
    done
    export PORTCULLIS_BENCH_REDIS=127.0.0.1:$redis_port
    on_args=(--redis "127.0.0.1:$redis_port"
        --limit "100000000/s,burst=1000000,key=ip,name=per-ip,global"
        --limit "100000000/s,burst=1000000,key=ip/24,key=route,name=per-net,global")
fi

# ---------------------------------------------------------------------------------------------
# Micro-benchmark
# ---------------------------------------------------------------------------------------------
echo "## $stage stage per request (Google Benchmark)"
echo
if [[ -x $micro ]]; then
    "$micro" --benchmark_format=csv --benchmark_min_time=0.5 2>/dev/null |
        awk -F, 'NR > 1 && $1 != "" { gsub(/"/, "", $1); gsub(/"/, "", $8)
                                      printf "| %s | %.0f ns | %s |\n", $1, $4, $8 }' >"$tmp/micro.md"
    echo "| benchmark | CPU time per request | note |"
    echo "|---|---:|---|"
    cat "$tmp/micro.md"
    echo
    [[ $stage == bots ]] &&
        echo "Stage/* includes building the exchange (EmptyExchange); the stage itself is the difference."
else
    echo "(no $micro: ninja -C build bots_bench)"
fi
echo

# ---------------------------------------------------------------------------------------------
# Full proxy
# ---------------------------------------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >"$tmp/openssl.log" 2>&1 ||
    { cat "$tmp/openssl.log" >&2; die "openssl could not make the certificate"; }

proxies=(nginx off on)
((waf)) && proxies+=(waf+off waf+on)
declare -A port measured_pid
pick_port; upstream_port=$port_out
for proxy in "${proxies[@]}"; do pick_port; port[$proxy]=$port_out; done

write_upstream_conf "$tmp/upstream" "$upstream_port"
write_proxy_conf "$tmp/nginx" "$upstream_port" "\
        listen 127.0.0.1:${port[nginx]} ssl http2;
        ssl_certificate $tmp/cert.pem;
        ssl_certificate_key $tmp/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;"
check_nginx_conf "$tmp/upstream" upstream
check_nginx_conf "$tmp/nginx" nginx
start_upstream "$tmp/upstream" "$upstream_port"
start_nginx_proxy "$tmp/nginx" "https://127.0.0.1:${port[nginx]}/" -k
measured_pid[nginx]=$nginx_worker_pid

for proxy in "${proxies[@]}"; do
    [[ $proxy == nginx ]] && continue
    args=(--listen "127.0.0.1:${port[$proxy]}" --upstream "http://127.0.0.1:$upstream_port"
        --workers 1 --admin off --events off --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem")
    if [[ $proxy == *off ]]; then
        args+=(${off_args[@]+"${off_args[@]}"})
    else
        args+=(${on_args[@]+"${on_args[@]}"})
    fi
    [[ $proxy == waf+* ]] && args+=(--rules /etc/modsecurity/crs/crs-setup.conf --rules "$crs/rules/*.conf")
    spawn proxy "$tmp/$proxy.log" "$binary" "${args[@]}"
    measured_pid[$proxy]=$spawned_pid
    wait_http "https://127.0.0.1:${port[$proxy]}/" "$spawned_pid" "$tmp/$proxy.log" -k
done

# The stage is on where it should be: bots refuses a scanner's User-Agent where it runs; the
# limits are never reached, so with ratelimit every request passes.
for proxy in "${proxies[@]}"; do
    [[ $proxy == nginx ]] && continue
    if [[ $stage == bots ]]; then
        want=200
        [[ $proxy == *on ]] && want=403
        code=$(curl -sk -o /dev/null -w '%{http_code}' -A 'sqlmap/1.7' \
            -H 'Accept: application/json' "https://127.0.0.1:${port[$proxy]}/")
    else
        want=200
        code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:${port[$proxy]}/")
    fi
    [[ $code == "$want" ]] || die "$proxy answered with $code, expected $want"
done

chrome_ua='Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'
workloads=(h2 h1)
declare -A rps cpu_us
problems=()

run_client() { # WORKLOAD PROXY SECONDS OUTFILE
    local wl=$1 proxy=$2 secs=$3 out=$4 url="https://127.0.0.1:${port[$2]}/"
    local headers=(-H "user-agent: $chrome_ua" -H 'accept: text/html,*/*;q=0.8'
        -H 'accept-language: en-US,en;q=0.9' -H 'accept-encoding: gzip, deflate, br')
    if [[ $wl == h2 ]]; then
        ${on_load_cpu[@]+"${on_load_cpu[@]}"} h2load -t1 -c16 -m16 -D "$secs" "${headers[@]}" \
            "$url" >"$out" 2>&1 || { cat "$out" >&2; die "h2load failed against $proxy"; }
    else
        ${on_load_cpu[@]+"${on_load_cpu[@]}"} wrk -t2 -c64 -d "${secs}s" "${headers[@]}" \
            "$url" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed against $proxy"; }
    fi
}

measure() { # WORKLOAD PROXY RUN
    local wl=$1 proxy=$2 r=$3 out="$tmp/$1-$2-$3.out" req bad t0 t1 total
    t0=$(cpu_ticks "${measured_pid[$proxy]}")
    run_client "$wl" "$proxy" "$duration" "$out"
    t1=$(cpu_ticks "${measured_pid[$proxy]}")
    kill -0 "${measured_pid[$proxy]}" 2>/dev/null || die "$proxy is no longer running"
    if [[ $wl == h2 ]]; then
        total=$(awk '/^requests:/ { print $8 }' "$out")
        req=$(awk '/^finished in/ { print $4 }' "$out")
        # "requests: N total, N started, N done, N succeeded, N failed, N errored, N timeout"
        # "status codes: N 2xx, N 3xx, N 4xx, N 5xx"
        bad=$(awk '/^requests:/ { n += $10 + $12 + $14 } /^status codes:/ { n += $7 + $9 }
            END { print n + 0 }' "$out")
    else
        total=$(awk '/requests in/ { print $1 }' "$out")
        req=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
        bad=$(awk '/Non-2xx or 3xx/ { n += $NF } /Socket errors:/ { for (i = 4; i <= NF; i += 2) n += $i + 0 } END { print n + 0 }' "$out" | tr -d ',')
    fi
    [[ -n $req ]] || { cat "$out" >&2; die "could not parse the $wl client's output"; }
    ((bad == 0)) || problems+=("$wl/$proxy run $r: $bad failed or non-2xx")
    rps[$wl,$proxy]+=" $req"
    # The proxy's own CPU time per request (user + system), in microseconds.
    cpu_us[$wl,$proxy]+=" $(awk -v d=$((t1 - t0)) -v hz="$clk_tck" -v n="${total:-0}" \
        'BEGIN { printf "%.2f", (n > 0 ? d / hz * 1e6 / n : 0) }')"
    printf '  %-3s %-13s run %d/%d: %9.0f req/s\n' "$wl" "$proxy" "$r" "$repeats" "$req" >&2
}

echo "benchmarking: ${#workloads[@]} workloads x ${#proxies[@]} proxies x $repeats repeats x ${duration}s" >&2
for wl in "${workloads[@]}"; do
    if ((warmup > 0)); then
        for proxy in "${proxies[@]}"; do run_client "$wl" "$proxy" "$warmup" "$tmp/warmup.out"; done
    fi
    for ((r = 1; r <= repeats; r++)); do
        order=("${proxies[@]}")
        if ((r % 2 == 0)); then
            order=()
            for ((i = ${#proxies[@]} - 1; i >= 0; i--)); do order+=("${proxies[i]}"); done
        fi
        for proxy in "${order[@]}"; do measure "$wl" "$proxy" "$r"; done
    done
done

echo "## throughput over TLS, one worker each (median of $repeats x ${duration}s)"
echo
echo "| workload | proxy | req/s | vs nginx | req/s on / off | proxy CPU µs/request | stage's CPU µs/request | capacity on / off |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for wl in "${workloads[@]}"; do
    # shellcheck disable=SC2086
    nginx_med=$(median ${rps[$wl,nginx]})
    declare -A med=() cpu_med=()
    for proxy in "${proxies[@]}"; do
        # shellcheck disable=SC2086
        med[$proxy]=$(median ${rps[$wl,$proxy]})
        # shellcheck disable=SC2086
        cpu_med[$proxy]=$(median ${cpu_us[$wl,$proxy]})
    done
    for proxy in "${proxies[@]}"; do
        onoff="" extra="" capacity=""
        if [[ $proxy == *on ]]; then
            off=${proxy%on}off
            onoff=$(ratio "${med[$proxy]}" "${med[$off]}")
            extra=$(awk -v a="${cpu_med[$proxy]}" -v b="${cpu_med[$off]}" 'BEGIN { printf "%+.2f", a - b }')
            capacity=$(ratio "${cpu_med[$off]}" "${cpu_med[$proxy]}")
        fi
        printf '| %s | %s | %.0f | %s | %s | %.2f | %s | %s |\n' "$wl" "$proxy" "${med[$proxy]}" \
            "$(ratio "${med[$proxy]}" "$nginx_med")" "$onoff" "${cpu_med[$proxy]}" "$extra" "$capacity"
    done
done
echo
echo "h2: h2load -c16 -m16 over TLS 1.3; h1: wrk -c64 keep-alive over TLS; both send a Chrome-like"
echo "request (User-Agent, Accept, Accept-Language, Accept-Encoding) to GET /. proxy CPU: the"
echo "proxy process's user+system time over the requests it answered (median); the stage's cost is"
echo "the on - off difference, and capacity on / off (off's CPU per request over on's) is the ratio of"
echo "the throughputs of a proxy that is the bottleneck. The client and the upstream share one CPU: when"
echo "they, not the proxy, are the bottleneck, req/s also moves with the work the forwarded headers"
echo "(bots) give the upstream."
if ((${#problems[@]})); then
    printf 'problem: %s\n' "${problems[@]}" >&2
    exit 2
fi
