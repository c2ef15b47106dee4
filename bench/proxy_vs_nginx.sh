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

duration=10
repeats=3
binary=build/portcullis
warmup=1
pin=1
proxy_cpu=0
load_cpu=1
threads=2
connections=64

usage() {
    sed -n '2,19{s/^# \{0,1\}//;p}' "$0"
}

die() {
    echo "error: $*" >&2
    exit 1
}

while (($#)); do
    case $1 in
        --duration) duration=${2:?--duration needs a value}; shift 2 ;;
        --duration=*) duration=${1#*=}; shift ;;
        --repeats) repeats=${2:?--repeats needs a value}; shift 2 ;;
        --repeats=*) repeats=${1#*=}; shift ;;
        --binary) binary=${2:?--binary needs a value}; shift 2 ;;
        --binary=*) binary=${1#*=}; shift ;;
        --warmup) warmup=${2:?--warmup needs a value}; shift 2 ;;
        --warmup=*) warmup=${1#*=}; shift ;;
        --proxy-cpu) proxy_cpu=${2:?--proxy-cpu needs a value}; shift 2 ;;
        --proxy-cpu=*) proxy_cpu=${1#*=}; shift ;;
        --load-cpu) load_cpu=${2:?--load-cpu needs a value}; shift 2 ;;
        --load-cpu=*) load_cpu=${1#*=}; shift ;;
        --no-pin) pin=0; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done

[[ $duration =~ ^[1-9][0-9]*$ ]] || die "--duration must be a positive integer (seconds)"
[[ $repeats =~ ^[1-9][0-9]*$ ]] || die "--repeats must be a positive integer"
[[ $warmup =~ ^[0-9]+$ ]] || die "--warmup must be a non-negative integer (seconds)"
[[ $proxy_cpu =~ ^[0-9]+$ && $load_cpu =~ ^[0-9]+$ ]] || die "--proxy-cpu/--load-cpu take one CPU number"

# ---------------------------------------------------------------------------------------------
# Prerequisites
# ---------------------------------------------------------------------------------------------
nginx_bin=${NGINX:-$(PATH="$PATH:/usr/sbin:/usr/local/sbin" command -v nginx || true)}
[[ -n $nginx_bin && -x $nginx_bin ]] || die "nginx not found (Debian: apt-get install nginx-light)"
command -v wrk >/dev/null || die "wrk not found (Debian: apt-get install wrk)"
command -v curl >/dev/null || die "curl not found"
[[ -f $binary && -x $binary ]] || die "portcullis binary not found or not executable: $binary (build it first, or pass --binary)"

nginx_v=$("$nginx_bin" -V 2>&1)
nginx_version=$(sed -n 's|^nginx version: nginx/||p' <<<"$nginx_v")
modules_path=$(grep -o -- '--modules-path=[^ ]*' <<<"$nginx_v" | cut -d= -f2 || true)
echo_module=${modules_path:+$modules_path/ngx_http_echo_module.so}
[[ -n $echo_module && -f $echo_module ]] ||
    die "nginx echo module not found (Debian: apt-get install libnginx-mod-http-echo)"

ncpu=$(nproc)
if ((pin)); then
    if ((ncpu < 2)); then
        echo "note: only $ncpu CPU available, running without CPU pinning" >&2
        pin=0
    elif ((proxy_cpu == load_cpu)); then
        die "--proxy-cpu and --load-cpu must differ"
    else
        command -v taskset >/dev/null || die "taskset not found (util-linux); use --no-pin"
        taskset -c "$proxy_cpu" true 2>/dev/null || die "cannot pin to CPU $proxy_cpu; use --no-pin or --proxy-cpu"
        taskset -c "$load_cpu" true 2>/dev/null || die "cannot pin to CPU $load_cpu; use --no-pin or --load-cpu"
    fi
fi
if ((pin)); then
    on_proxy_cpu=(taskset -c "$proxy_cpu")
    on_load_cpu=(taskset -c "$load_cpu")
else
    on_proxy_cpu=()
    on_load_cpu=()
fi
clk_tck=$(getconf CLK_TCK)

# ---------------------------------------------------------------------------------------------
# Temporary directory and process bookkeeping
# ---------------------------------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-bench.XXXXXX")
pids=()

cleanup() {
    local rc=$? pid i
    trap - EXIT INT TERM
    for pid in ${pids[@]+"${pids[@]}"}; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in ${pids[@]+"${pids[@]}"}; do
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free loopback port below the default ephemeral range (32768+, so outgoing connections
# cannot take it between picking and binding), not picked before in this run. Sets $port_out.
picked_ports=" "
pick_port() {
    local p tries
    for ((tries = 0; tries < 500; tries++)); do
        p=$((20000 + RANDOM % 12000))
        [[ $picked_ports == *" $p "* ]] && continue
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            picked_ports+="$p "
            port_out=$p
            return 0
        fi
    done
    die "no free port found"
}

children_of() {
    local parent=$1 stat rest f
    for stat in /proc/[0-9]*/stat; do
        rest=$(cat "$stat" 2>/dev/null) || continue
        rest=${rest##*) }
        read -ra f <<<"$rest"
        [[ ${f[1]} == "$parent" ]] && basename "$(dirname "$stat")"
    done
    return 0
}

# utime+stime of a process (all threads), in clock ticks.
cpu_ticks() {
    local rest f
    rest=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
    rest=${rest##*) }
    read -ra f <<<"$rest"
    echo $((f[11] + f[12]))
}

status_kib() { # PID FIELD -> value in KiB
    awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || true
}

hwm_reset_ok=1
reset_hwm() {
    { echo 5 >"/proc/$1/clear_refs"; } 2>/dev/null || hwm_reset_ok=0
}

# wait_http URL PID LOG: poll with curl until the URL answers, or fail if PID exits.
wait_http() {
    local url=$1 pid=$2 log=$3 i
    for ((i = 0; i < 100; i++)); do
        if curl -s -o /dev/null --max-time 1 "$url"; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "--- $log" >&2
            cat "$log" >&2 || true
            die "process $pid exited before $url answered"
        fi
        sleep 0.1
    done
    echo "--- $log" >&2
    cat "$log" >&2 || true
    die "$url did not answer within 10 s"
}

# ---------------------------------------------------------------------------------------------
# Configuration files
# ---------------------------------------------------------------------------------------------
pick_port; upstream_port=$port_out
pick_port; nginx_port=$port_out
pick_port; portcullis_port=$port_out

# nginx drops worker privileges to "nobody" when started as root; keep the worker as the
# current user instead so it can use the private temp dir and /proc/PID/clear_refs.
user_line=""
if ((EUID == 0)); then
    user_line="user root;"
fi

temp_paths() { # DIR
    local d=$1 m
    printf '    client_body_temp_path %s/temp/body;\n' "$d"
    printf '    proxy_temp_path %s/temp/proxy;\n' "$d"
    for m in fastcgi uwsgi scgi; do
        grep -q -- "--without-http_${m}_module" <<<"$nginx_v" ||
            printf '    %s_temp_path %s/temp/%s;\n' "$m" "$d" "$m"
    done
}

mkdir -p "$tmp/upstream/temp" "$tmp/nginx/temp" "$tmp/portcullis"

cat >"$tmp/upstream/nginx.conf" <<EOF
load_module $echo_module;
daemon off;
master_process off;
worker_processes 1;
pid $tmp/upstream/nginx.pid;
error_log $tmp/upstream/error.log warn;

events {
    worker_connections 4096;
}

http {
    access_log off;
$(temp_paths "$tmp/upstream")
    keepalive_requests 1000000;
    keepalive_timeout 75s;
    default_type text/plain;

    server {
        listen 127.0.0.1:$upstream_port;
        client_body_buffer_size 16k;
        client_max_body_size 1m;

        location = / {
            return 200 "hello\n";
        }
        # Reads the whole request body into memory, then answers a small 200.
        location = /post {
            echo_read_request_body;
            echo "ok";
        }
        # Same body handling, but echoes the body back: used once to verify the above.
        location = /post-echo {
            echo_read_request_body;
            echo_request_body;
        }
    }
}
EOF

cat >"$tmp/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
$user_line
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;

events {
    worker_connections 4096;
}

http {
    access_log off;
$(temp_paths "$tmp/nginx")
    # No periodic connection recycling on either side (nginx defaults to 1000 requests).
    keepalive_requests 1000000;
    keepalive_timeout 75s;

    upstream backend {
        server 127.0.0.1:$upstream_port;
        keepalive 64;
        keepalive_requests 1000000;
    }

    server {
        listen 127.0.0.1:$nginx_port;

        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF

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
    "$nginx_bin" -t -q -p "$tmp/$conf" -c "$tmp/$conf/nginx.conf" -e "$tmp/$conf/error.log" ||
        { cat "$tmp/$conf/error.log" >&2; die "nginx rejected the $conf configuration"; }
done

# ---------------------------------------------------------------------------------------------
# Start the three servers
# ---------------------------------------------------------------------------------------------
${on_load_cpu[@]+"${on_load_cpu[@]}"} "$nginx_bin" -p "$tmp/upstream" -c "$tmp/upstream/nginx.conf" \
    -e "$tmp/upstream/error.log" >"$tmp/upstream/stdout.log" 2>&1 &
upstream_pid=$!
pids+=("$upstream_pid")
wait_http "http://127.0.0.1:$upstream_port/" "$upstream_pid" "$tmp/upstream/error.log"

${on_proxy_cpu[@]+"${on_proxy_cpu[@]}"} "$nginx_bin" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" \
    -e "$tmp/nginx/error.log" >"$tmp/nginx/stdout.log" 2>&1 &
nginx_master=$!
pids+=("$nginx_master")
wait_http "http://127.0.0.1:$nginx_port/" "$nginx_master" "$tmp/nginx/error.log"
nginx_worker=$(children_of "$nginx_master")
[[ $nginx_worker =~ ^[0-9]+$ ]] || die "expected exactly one nginx worker under $nginx_master, found: ${nginx_worker:-none}"
pids+=("$nginx_worker")

${on_proxy_cpu[@]+"${on_proxy_cpu[@]}"} "$binary" --listen "127.0.0.1:$portcullis_port" \
    --upstream "http://127.0.0.1:$upstream_port" --workers 1 >"$tmp/portcullis/stderr.log" 2>&1 &
portcullis_pid=$!
pids+=("$portcullis_pid")
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
to_ms() { # wrk time ("812.00us", "1.23ms", "2.00s", "1.00m") -> milliseconds
    awk -v t="$1" 'BEGIN {
        n = t + 0; u = t; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000
        else if (u == "m") n *= 60000; else if (u == "h") n *= 3600000
        else if (u != "ms") { print "nan"; exit }
        printf "%.3f\n", n }'
}

median() {
    printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 }
        END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

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

proxy_alive() {
    kill -0 "${measured_pid[$1]}" 2>/dev/null ||
        die "$1 (pid ${measured_pid[$1]}) is no longer running"
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
        for proxy in "${order[@]}"; do
            out="$tmp/wrk-$wl-$proxy-$r.out"
            pid=${measured_pid[$proxy]}
            t0=$(cpu_ticks "$pid")
            w0=$(date +%s%N)
            run_wrk "$wl" "$proxy" "$duration" "$out"
            w1=$(date +%s%N)
            t1=$(cpu_ticks "$pid")
            proxy_alive "$proxy"

            req=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
            l50=$(awk '$1 == "50%" { print $2 }' "$out")
            l99=$(awk '$1 == "99%" { print $2 }' "$out")
            non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
            sockerr=$(awk '/Socket errors:/ { s = 0; for (i = 3; i <= NF; i += 2) s += $(i + 1) + 0; print s }' "$out")
            total=$(awk '/requests in/ { print $1 }' "$out")
            [[ -n $req && -n $l50 && -n $l99 ]] || { cat "$out" >&2; die "could not parse wrk output"; }
            if [[ ${non2xx:-0} != 0 || ${sockerr:-0} != 0 || ${total:-0} == 0 ]]; then
                problems+=("$wl/$proxy run $r: requests=${total:-0} non-2xx/3xx=${non2xx:-0} $(grep 'Socket errors' "$out" || echo 'socket errors: 0')")
            fi
            rps[$wl,$proxy]+=" $req"
            p50[$wl,$proxy]+=" $(to_ms "$l50")"
            p99[$wl,$proxy]+=" $(to_ms "$l99")"
            cpu[$wl,$proxy]+=" $(awk -v d=$((t1 - t0)) -v hz="$clk_tck" -v ns=$((w1 - w0)) \
                'BEGIN { printf "%.1f", 100 * d / hz / (ns / 1e9) }')"
            printf '  %-4s %-10s run %d/%d: %10.0f req/s  p50 %s  p99 %s\n' \
                "$wl" "$proxy" "$r" "$repeats" "$req" "$l50" "$l99" >&2
        done
    done
    for proxy in nginx portcullis; do
        rss[$wl,$proxy]=$(status_kib "${measured_pid[$proxy]}" VmHWM)
    done
done
nginx_master_hwm=$(status_kib "$nginx_master" VmHWM)

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
mib() { awk -v k="${1:-0}" 'BEGIN { printf "%.1f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else print "n/a" }'; }

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
echo "- portcullis: \`$binary --workers 1\`; RSS and CPU are of the whole process (all threads)"
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
