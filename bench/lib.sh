# shellcheck shell=bash disable=SC2034,SC2154
# Shared helpers of the bench/*.sh load benchmarks (Portcullis vs nginx). Sourced, not run:
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Sets the defaults of the common options (duration, repeats, binary, warmup, pin, proxy_cpu,
# load_cpu) and defines functions. Globals they set or read are named in each function's
# comment; the sourcing script sets its own options' defaults, parses its arguments with
# common_option, and calls check_common_options before setup_pinning.

duration=10
repeats=3
binary=build/portcullis
warmup=1
pin=1
proxy_cpu=0
load_cpu=1

# usage: the script's opening comment (from its second line to the first line that is not a
# comment), which is where every bench script describes itself and its options.
usage() {
    awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"
}

die() {
    echo "error: $*" >&2
    exit 1
}

# common_option ARGS...: parses the option in $1 if it is one every bench script takes
# (--duration, --repeats, --binary, --warmup, --proxy-cpu, --load-cpu, --no-pin, --help), into
# the global of that name; sets shifted to the number of arguments it took. A script parses its
# own options first and hands the rest here; anything else is an error (after `usage`).
common_option() {
    shifted=1
    case $1 in
        --duration) duration=${2:?--duration needs a value}; shifted=2 ;;
        --duration=*) duration=${1#*=} ;;
        --repeats) repeats=${2:?--repeats needs a value}; shifted=2 ;;
        --repeats=*) repeats=${1#*=} ;;
        --binary) binary=${2:?--binary needs a value}; shifted=2 ;;
        --binary=*) binary=${1#*=} ;;
        --warmup) warmup=${2:?--warmup needs a value}; shifted=2 ;;
        --warmup=*) warmup=${1#*=} ;;
        --proxy-cpu) proxy_cpu=${2:?--proxy-cpu needs a value}; shifted=2 ;;
        --proxy-cpu=*) proxy_cpu=${1#*=} ;;
        --load-cpu) load_cpu=${2:?--load-cpu needs a value}; shifted=2 ;;
        --load-cpu=*) load_cpu=${1#*=} ;;
        --no-pin) pin=0 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
}

check_common_options() {
    [[ $duration =~ ^[1-9][0-9]*$ ]] || die "--duration must be a positive integer (seconds)"
    [[ $repeats =~ ^[1-9][0-9]*$ ]] || die "--repeats must be a positive integer"
    [[ $warmup =~ ^[0-9]+$ ]] || die "--warmup must be a non-negative integer (seconds)"
    [[ $proxy_cpu =~ ^[0-9]+$ && $load_cpu =~ ^[0-9]+$ ]] || die "--proxy-cpu/--load-cpu take one CPU number"
    [[ -f $binary && -x $binary ]] || die "portcullis binary not found or not executable: $binary (build it first, or pass --binary)"
}

# For the wrk benchmarks: nginx with its echo module (sets echo_module, and what find_nginx
# sets), wrk and curl.
require_wrk_tools() {
    find_nginx
    command -v wrk >/dev/null || die "wrk not found (Debian: apt-get install wrk)"
    command -v curl >/dev/null || die "curl not found"
    echo_module=${modules_path:+$modules_path/ngx_http_echo_module.so}
    [[ -n $echo_module && -f $echo_module ]] ||
        die "nginx echo module not found (Debian: apt-get install libnginx-mod-http-echo)"
}

# Finds nginx (or $NGINX) and reads `nginx -V`. Sets nginx_bin, nginx_v, nginx_version and
# modules_path.
find_nginx() {
    nginx_bin=${NGINX:-$(PATH="$PATH:/usr/sbin:/usr/local/sbin" command -v nginx || true)}
    [[ -n $nginx_bin && -x $nginx_bin ]] || die "nginx not found (Debian: apt-get install nginx-light)"
    nginx_v=$("$nginx_bin" -V 2>&1)
    nginx_version=$(sed -n 's|^nginx version: nginx/||p' <<<"$nginx_v")
    modules_path=$(grep -o -- '--modules-path=[^ ]*' <<<"$nginx_v" | cut -d= -f2 || true)
}

# Reads pin, proxy_cpu, load_cpu. Sets ncpu, pin (0 when it cannot be done), on_proxy_cpu and
# on_load_cpu (taskset prefixes, empty arrays without pinning) and clk_tck.
setup_pinning() {
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
}

# ---------------------------------------------------------------------------------------------
# Temporary directory and process bookkeeping
# ---------------------------------------------------------------------------------------------

# Creates the temporary directory (sets tmp) and installs the exit trap that stops every PID
# in pids and removes the directory.
setup_tmp() {
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-bench.XXXXXX")
    pids=()
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# reap PID: waits up to 5 s for a process told to stop to exit, then KILLs it; collects it.
reap() {
    local i
    for ((i = 0; i < 50; i++)); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    for pid in ${pids[@]+"${pids[@]}"}; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in ${pids[@]+"${pids[@]}"}; do reap "$pid"; done
    rm -rf "$tmp"
    exit "$rc"
}

# spawn proxy|load LOGFILE COMMAND...: starts COMMAND in the background, pinned to the proxy or
# the load CPU when pinning, with stdout and stderr to LOGFILE; records its PID for cleanup
# and stores it in spawned_pid.
spawn() {
    local where=$1 log=$2
    shift 2
    if [[ $where == proxy ]]; then
        ${on_proxy_cpu[@]+"${on_proxy_cpu[@]}"} "$@" >"$log" 2>&1 &
    else
        ${on_load_cpu[@]+"${on_load_cpu[@]}"} "$@" >"$log" 2>&1 &
    fi
    spawned_pid=$!
    pids+=("$spawned_pid")
}

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

# wait_http URL PID LOG [CURL ARGS...]: poll with curl until the URL answers, or fail if PID
# exits.
wait_http() {
    local url=$1 pid=$2 log=$3 i
    shift 3
    for ((i = 0; i < 100; i++)); do
        if curl -s -o /dev/null --max-time 1 "$@" "$url"; then
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
# nginx configurations (upstream and the anchor proxy)
# ---------------------------------------------------------------------------------------------

# nginx drops worker privileges to "nobody" when started as root; keep the worker as the
# current user instead so it can use the private temp dir and /proc/PID/clear_refs.
nginx_user_line() {
    if ((EUID == 0)); then
        echo "user root;"
    fi
}

temp_paths() { # DIR
    local d=$1 m
    printf '    client_body_temp_path %s/temp/body;\n' "$d"
    printf '    proxy_temp_path %s/temp/proxy;\n' "$d"
    for m in fastcgi uwsgi scgi; do
        grep -q -- "--without-http_${m}_module" <<<"$nginx_v" ||
            printf '    %s_temp_path %s/temp/%s;\n' "$m" "$d" "$m"
    done
}

# write_upstream_conf DIR PORT [status]: the upstream nginx, one process. GET / -> 200
# "hello\n". With $echo_module set (path of ngx_http_echo_module.so) also POST /post and
# /post-echo; with "status", GET /nginx-status (stub_status, to count accepted connections).
write_upstream_conf() {
    local d=$1 port=$2 status=${3:-} load="" post=""
    if [[ -n ${echo_module:-} ]]; then
        load="load_module $echo_module;"$'\n'
        post='
        # Reads the whole request body into memory, then answers a small 200.
        location = /post {
            echo_read_request_body;
            echo "ok";
        }
        # Same body handling, but echoes the body back: used once to verify the above.
        location = /post-echo {
            echo_read_request_body;
            echo_request_body;
        }'
    fi
    if [[ $status == status ]]; then
        post+='
        location = /nginx-status {
            stub_status;
        }'
    fi
    mkdir -p "$d/temp"
    cat >"$d/nginx.conf" <<EOF
${load}daemon off;
master_process off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;

events {
    worker_connections 4096;
}

http {
    access_log off;
$(temp_paths "$d")
    keepalive_requests 1000000;
    keepalive_timeout 75s;
    default_type text/plain;

    server {
        listen 127.0.0.1:$port;
        client_body_buffer_size 16k;
        client_max_body_size 1m;

        location = / {
            return 200 "hello\n";
        }$post
    }
}
EOF
}

# write_proxy_conf DIR UPSTREAM_PORT SERVER_LINES: the nginx anchor proxy, master + 1 worker,
# upstream keep-alive pool of 64. SERVER_LINES (listen etc., indented by 8) open the server
# block.
write_proxy_conf() {
    local d=$1 upstream_port=$2 server_lines=$3
    mkdir -p "$d/temp"
    cat >"$d/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
$(nginx_user_line)
pid $d/nginx.pid;
error_log $d/error.log warn;

events {
    worker_connections 4096;
}

http {
    access_log off;
$(temp_paths "$d")
    # No periodic connection recycling on either side (nginx defaults to 1000 requests).
    keepalive_requests 1000000;
    keepalive_timeout 75s;

    upstream backend {
        server 127.0.0.1:$upstream_port;
        keepalive 64;
        keepalive_requests 1000000;
    }

    server {
$server_lines

        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
}

check_nginx_conf() { # DIR NAME
    "$nginx_bin" -t -q -p "$1" -c "$1/nginx.conf" -e "$1/error.log" ||
        { cat "$1/error.log" >&2; die "nginx rejected the $2 configuration"; }
}

# start_upstream DIR PORT: starts the upstream nginx on the load CPU. Sets upstream_pid.
start_upstream() {
    local d=$1 port=$2
    spawn load "$d/stdout.log" "$nginx_bin" -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
    upstream_pid=$spawned_pid
    wait_http "http://127.0.0.1:$port/" "$upstream_pid" "$d/error.log"
}

# start_nginx_proxy DIR URL [CURL ARGS...]: starts the anchor nginx on the proxy CPU, waits
# until URL answers. Sets nginx_master_pid and nginx_worker_pid (both stopped on exit).
start_nginx_proxy() {
    local d=$1 url=$2
    shift 2
    spawn proxy "$d/stdout.log" "$nginx_bin" -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
    nginx_master_pid=$spawned_pid
    wait_http "$url" "$nginx_master_pid" "$d/error.log" "$@"
    nginx_worker_pid=$(children_of "$nginx_master_pid")
    [[ $nginx_worker_pid =~ ^[0-9]+$ ]] ||
        die "expected exactly one nginx worker under $nginx_master_pid, found: ${nginx_worker_pid:-none}"
    pids+=("$nginx_worker_pid")
}

# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------
to_ms() { # wrk or h2load time ("812.00us", "1.23ms", "2.00s", "1.00m") -> milliseconds
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

mib() { awk -v k="${1:-0}" 'BEGIN { printf "%.1f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else print "n/a" }'; }

# stop_spawned PID [MORE_PIDS...]: stops processes started here before the run ends. Sends
# TERM to the first PID only (for nginx: the master, which stops its workers; signalling a
# worker too could make the master respawn it), waits up to 5 s for all of them to exit,
# then KILLs what is left, and drops them all from pids so that cleanup leaves them alone.
stop_spawned() {
    local pid keep=() p
    kill -TERM "$1" 2>/dev/null || true
    for pid in "$@"; do reap "$pid"; done
    for p in ${pids[@]+"${pids[@]}"}; do
        [[ " $* " == *" $p "* ]] || keep+=("$p")
    done
    pids=(${keep[@]+"${keep[@]}"})
}

# proxy_alive PROXY: stops the run when the proxy's measured process (measured_pid[PROXY]) died.
proxy_alive() {
    kill -0 "${measured_pid[$1]}" 2>/dev/null ||
        die "$1 (pid ${measured_pid[$1]}) is no longer running"
}

# measure_wrk WORKLOAD PROXY RUN: one timed run of the script's run_wrk against PROXY, whose
# measured process is measured_pid[PROXY] (checked alive afterwards). Appends
# its req/s, p50 and p99 (ms) and the proxy's CPU use (%) to rps, p50, p99 and cpu
# [WORKLOAD,PROXY], and to problems what went wrong (non-2xx/3xx, socket errors, no request).
# Reads duration, repeats, tmp, clk_tck.
# shellcheck disable=SC2004  # rps, p50, p99, cpu: the script's associative arrays
measure_wrk() {
    local wl=$1 proxy=$2 r=$3 out pid t0 t1 w0 w1 req l50 l99 non2xx sockerr total
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
    printf '  %-5s %-10s run %d/%d: %10.0f req/s  p50 %s  p99 %s\n' \
        "$wl" "$proxy" "$r" "$repeats" "$req" "$l50" "$l99" >&2
}

pss_kib() { # PID -> proportional set size in KiB (shared pages split between their users)
    awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null || true
}
