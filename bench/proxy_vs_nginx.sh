#!/usr/bin/env bash
# Load benchmark: Portcullis vs nginx, both as HTTP/1.1 reverse proxies in front of the same
# nginx upstream, driven by wrk. Run from the repository root:
#
#   bench/proxy_vs_nginx.sh [--duration 10] [--repeats 3] [--binary build/portcullis]
#                           [--warmup 1] [--no-pin] [--proxy-cpu 0] [--load-cpu 1]
#
# Everything listens on 127.0.0.1 on free ports picked at start; every process started here is
# stopped by PID on exit and the temporary directory is removed.
#
# Topology (per workload, for each proxy in turn):
#   wrk --> proxy (portcullis | nginx) --> upstream nginx
# With pinning (the default, needs 2+ CPUs) both proxies run on --proxy-cpu, while wrk and the
# upstream share --load-cpu, so the two proxies get exactly the same CPU budget.
#
# Workloads: GET / (keep-alive, small 200) and POST /post with a 1024-byte JSON body.
# Reported per proxy: median req/s, p50, p99 over the repeats; peak RSS (VmHWM, reset per
# workload through /proc/PID/clear_refs where permitted); median proxy CPU use during the runs.
# Exit status: 0 on success, 2 if any run had non-2xx/3xx responses or socket errors.
set -euo pipefail

threads=2
connections=64

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

while (($#)); do
    common_option "$@"
    shift "$shifted"
done

check_common_options

# ---------------------------------------------------------------------------------------------
# Prerequisites
# ---------------------------------------------------------------------------------------------
require_wrk_tools

setup_pinning

# ---------------------------------------------------------------------------------------------
# Temporary directory and process bookkeeping
# ---------------------------------------------------------------------------------------------
setup_tmp

# ---------------------------------------------------------------------------------------------
# Configuration files
# ---------------------------------------------------------------------------------------------
pick_port; upstream_port=$port_out
pick_port; nginx_port=$port_out
pick_port; portcullis_port=$port_out

write_upstream_conf "$tmp/upstream" "$upstream_port"
write_proxy_conf "$tmp/nginx" "$upstream_port" "        listen 127.0.0.1:$nginx_port;"
mkdir -p "$tmp/portcullis"

# 1024-byte JSON body, shared by the wrk script and the curl checks.
envelope='{"data":""}'
pad=$(head -c $((1024 - ${#envelope})) /dev/zero | tr '\0' x)
body='{"data":"'"$pad"'"}'
printf '%s' "$body" >"$tmp/body.json"
[[ $(wc -c <"$tmp/body.json") -eq 1024 ]] || die "request body is not 1024 bytes"
cat >"$tmp/post.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '$body'
EOF

for conf in upstream nginx; do
    check_nginx_conf "$tmp/$conf" "$conf"
done

# ---------------------------------------------------------------------------------------------
# Start the three servers
# ---------------------------------------------------------------------------------------------
start_upstream "$tmp/upstream" "$upstream_port"

start_nginx_proxy "$tmp/nginx" "http://127.0.0.1:$nginx_port/"
nginx_master=$nginx_master_pid
nginx_worker=$nginx_worker_pid

spawn proxy "$tmp/portcullis/stderr.log" "$binary" --listen "127.0.0.1:$portcullis_port" \
    --upstream "http://127.0.0.1:$upstream_port" --workers 1 --admin off
portcullis_pid=$spawned_pid
wait_http "http://127.0.0.1:$portcullis_port/" "$portcullis_pid" "$tmp/portcullis/stderr.log"

declare -A port=([nginx]=$nginx_port [portcullis]=$portcullis_port)
# The process whose CPU time and peak RSS are reported for each proxy.
declare -A measured_pid=([nginx]=$nginx_worker [portcullis]=$portcullis_pid)

# ---------------------------------------------------------------------------------------------
# Functional checks: both proxies (and the upstream directly) answer the benchmark requests.
# ---------------------------------------------------------------------------------------------
check() { # NAME URL EXPECTED_BODY_FILE [curl args...]
    local name=$1 url=$2 want=$3 code
    shift 3
    code=$(curl -sS --max-time 5 -o "$tmp/check.out" -w '%{http_code}' "$@" "$url") ||
        die "$name: request to $url failed"
    [[ $code == 200 ]] || { cat "$tmp/check.out" >&2; die "$name: $url answered $code, expected 200"; }
    cmp -s "$tmp/check.out" "$want" || {
        echo "--- got:" >&2; head -c 300 "$tmp/check.out" >&2
        die "$name: unexpected response body from $url"
    }
}
printf 'hello\n' >"$tmp/hello.txt"
printf 'ok\n' >"$tmp/ok.txt"
post_args=(-H 'Content-Type: application/json' -H 'Expect:' --data-binary "@$tmp/body.json")
for target in upstream nginx portcullis; do
    case $target in
        upstream) p=$upstream_port ;;
        *) p=${port[$target]} ;;
    esac
    check "$target" "http://127.0.0.1:$p/" "$tmp/hello.txt"
    check "$target" "http://127.0.0.1:$p/post" "$tmp/ok.txt" "${post_args[@]}"
    check "$target" "http://127.0.0.1:$p/post-echo" "$tmp/body.json" "${post_args[@]}"
done

# ---------------------------------------------------------------------------------------------
# wrk runs
# ---------------------------------------------------------------------------------------------
problems=()
declare -A rps p50 p99 cpu rss

wrk_args=(-t"$threads" -c"$connections" -d"${duration}s" --latency)
workloads=(get post)
declare -A wl_title=([get]="GET / keep-alive" [post]="POST /post 1 KiB")
declare -A wl_path=([get]="/" [post]="/post")
declare -A wl_script=([get]="" [post]="$tmp/post.lua")

run_wrk() { # WORKLOAD PROXY SECONDS OUTFILE
    local wl=$1 proxy=$2 secs=$3 out=$4 args
    args=(-t"$threads" -c"$connections" -d"${secs}s" --latency)
    [[ -n ${wl_script[$wl]} ]] && args+=(-s "${wl_script[$wl]}")
    ${on_load_cpu[@]+"${on_load_cpu[@]}"} wrk "${args[@]}" \
        "http://127.0.0.1:${port[$proxy]}${wl_path[$wl]}" >"$out" 2>&1 ||
        { cat "$out" >&2; die "wrk failed against $proxy"; }
}

echo "benchmarking: ${#workloads[@]} workloads x 2 proxies x $repeats repeats x ${duration}s" >&2
for wl in "${workloads[@]}"; do
    for proxy in nginx portcullis; do
        reset_hwm "${measured_pid[$proxy]}"
    done
    if ((warmup > 0)); then
        for proxy in nginx portcullis; do
            run_wrk "$wl" "$proxy" "$warmup" "$tmp/warmup.out"
            proxy_alive "$proxy"
        done
    fi
    for ((r = 1; r <= repeats; r++)); do
        if ((r % 2)); then order=(portcullis nginx); else order=(nginx portcullis); fi
        for proxy in "${order[@]}"; do measure_wrk "$wl" "$proxy" "$r"; done
    done
    for proxy in nginx portcullis; do
        rss[$wl,$proxy]=$(status_kib "${measured_pid[$proxy]}" VmHWM)
    done
done
nginx_master_hwm=$(status_kib "$nginx_master" VmHWM)

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
echo
echo "## Portcullis vs nginx $nginx_version (reverse proxy, 1 worker each)"
echo
echo "- nproc: $ncpu"
echo "- wrk: \`wrk ${wrk_args[*]}\`, ${warmup}s warm-up per proxy and workload, $repeats repeats" \
    "(order alternates; medians shown)"
if ((pin)); then
    echo "- CPU pinning (taskset): proxies on CPU $proxy_cpu; wrk and upstream on CPU $load_cpu"
else
    echo "- CPU pinning: none (wrk, upstream and proxy share all CPUs)"
fi
echo "- upstream: nginx, 1 process; \`GET /\` -> 200 \"hello\\n\"; \`POST /post\` reads the 1024-byte" \
    "JSON body -> 200 \"ok\\n\""
echo "- nginx proxy: master + 1 worker, \`keepalive 64\`, \`proxy_http_version 1.1\`; RSS and CPU are" \
    "of the worker (master peak RSS: $(mib "$nginx_master_hwm") MiB, not included)"
echo "- portcullis: \`$binary --workers 1 --admin off\`; RSS and CPU are of the whole process (all threads)"
if ((hwm_reset_ok)); then
    echo "- peak RSS: VmHWM, reset at the start of each workload (so per workload, incl. warm-up)"
else
    echo "- peak RSS: VmHWM over the process lifetime (resetting it via clear_refs was not permitted)"
fi
echo "- ratio rows: portcullis/nginx; req/s above 1 and p99 below 1 favour portcullis"
echo
echo "| workload | proxy | req/s | p50 ms | p99 ms | peak RSS MiB | proxy CPU % |"
echo "|---|---|---:|---:|---:|---:|---:|"
for wl in "${workloads[@]}"; do
    declare -A m_rps=() m_p99=()
    for proxy in nginx portcullis; do
        # shellcheck disable=SC2086
        m_rps[$proxy]=$(median ${rps[$wl,$proxy]})
        # shellcheck disable=SC2086
        m_p99[$proxy]=$(median ${p99[$wl,$proxy]})
        # shellcheck disable=SC2086
        printf '| %s | %s | %.0f | %.2f | %.2f | %s | %.0f |\n' "${wl_title[$wl]}" "$proxy" \
            "${m_rps[$proxy]}" "$(median ${p50[$wl,$proxy]})" "${m_p99[$proxy]}" \
            "$(mib "${rss[$wl,$proxy]}")" "$(median ${cpu[$wl,$proxy]})"
    done
    printf '| %s | portcullis/nginx | %s | | %s | | |\n' "${wl_title[$wl]}" \
        "$(ratio "${m_rps[portcullis]}" "${m_rps[nginx]}")" \
        "$(ratio "${m_p99[portcullis]}" "${m_p99[nginx]}")"
done

if ((${#problems[@]})); then
    echo
    echo "**Errors during the runs (results above are not trustworthy):**"
    echo
    for p in "${problems[@]}"; do
        echo "- $p"
    done
    exit 2
fi
