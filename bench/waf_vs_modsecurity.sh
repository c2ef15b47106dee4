#!/usr/bin/env bash
# Load benchmark, full stack: Portcullis with its WAF vs nginx + ModSecurity v3 vs plain nginx,
# all HTTP/1.1 reverse proxies in front of the same nginx upstream, driven by wrk. Both WAFs
# run the same OWASP CRS v4 rules, paranoia level 1, blocking mode. Run from the repo root:
#
#   bench/waf_vs_modsecurity.sh [--duration 10] [--repeats 3] [--binary build/portcullis]
#                               [--crs ../shared/crs/v4.28.0] [--warmup 1] [--no-pin]
#                               [--proxy-cpu 0] [--load-cpu 1]
#
# --crs is the CRS v4 directory (crs-setup.conf.example and rules/*.conf), relative to the
# current directory; the default is ../shared/crs/v4.28.0 next to the repository root.
# Everything listens on 127.0.0.1 on free ports picked at start; every process started here is
# stopped by PID (at the latest on exit) and the temporary directory is removed.
#
# Topology (per workload, for each proxy in turn):
#   wrk --> proxy (portcullis + WAF | nginx + ModSecurity | nginx) --> upstream nginx
# With pinning (the default, needs 2+ CPUs) the proxies run on --proxy-cpu, while wrk and the
# upstream share --load-cpu. Each proxy has 1 worker. All traffic is benign: before timing,
# one request of each workload must get 200 from every proxy (and the WAFs must not block it
# with logging on), else the script stops and prints the response and the matched rule ids.
#
# Workloads (wrk -t2 -c32, keep-alive, browser-like headers, Host: shop.example.com):
#   GET    GET /catalog/search?q=blue+shirt&page=2&sort=price (User-Agent, Accept,
#          Accept-Language, Accept-Encoding, Cookie)
#   POST   POST /post with a ~1 KB order JSON, Content-Type: application/json
#   mixed  the two requests above, alternating
# Reported per proxy: median req/s, p50, p99 over the repeats; peak RSS (VmHWM, reset per
# workload where permitted); median proxy CPU use; and, idle after loading the rules, the
# start-up time and RSS. Exit status: 0 on success, 1 on a failed check, 2 if the nginx
# ModSecurity module is missing or any run had non-2xx/3xx responses or socket errors.
set -euo pipefail

crs=""
threads=2
connections=32
# ModSecurity answers in hundreds of ms under this load; wrk's default 2 s timeout would drop
# its tail from the latency figures (and count it as socket errors).
timeout=10s
paranoia=1

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

while (($#)); do
    case $1 in
        --crs) crs=${2:?--crs needs a value}; shift 2 ;;
        --crs=*) crs=${1#*=}; shift ;;
        *) common_option "$@"; shift "$shifted" ;;
    esac
done

check_common_options

# ---------------------------------------------------------------------------------------------
# Prerequisites
# ---------------------------------------------------------------------------------------------
require_wrk_tools
portcullis_version=$("$binary" --version 2>&1 | head -n 1)
binary_mtime=$(date -r "$binary" '+%F %T')

modsec_module=${modules_path:+$modules_path/ngx_http_modsecurity_module.so}
if [[ -z $modsec_module || ! -f $modsec_module ]]; then
    echo "error: the nginx ModSecurity module is missing (looked for ${modsec_module:-ngx_http_modsecurity_module.so, nginx has no --modules-path}); Debian: apt-get install libnginx-mod-http-modsecurity libmodsecurity3" >&2
    exit 2
fi
pkg_version() { # DEBIAN_PACKAGE -> version, or "unknown"
    dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown
}
libmodsecurity_version=$(pkg_version libmodsecurity3)
connector_version=$(pkg_version libnginx-mod-http-modsecurity)

if [[ -z $crs ]]; then
    crs="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/../shared/crs/v4.28.0"
fi
[[ -d $crs ]] || die "CRS directory not found: $crs (pass --crs DIR)"
crs=$(cd "$crs" && pwd)
[[ -f $crs/crs-setup.conf.example ]] || die "$crs/crs-setup.conf.example not found (pass --crs DIR)"
compgen -G "$crs/rules/*.conf" >/dev/null || die "no $crs/rules/*.conf (pass --crs DIR)"
crs_version=$(grep -o "ver:'OWASP_CRS/[^']*'" "$crs/crs-setup.conf.example" | head -n 1 |
    sed "s|ver:'OWASP_CRS/||; s|'||" || true)
[[ ${crs_version:-} == 4.* ]] || die "$crs is not CRS v4 (setup version: ${crs_version:-unknown})"

setup_pinning
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------------------------
# Temporary directory and process bookkeeping
# ---------------------------------------------------------------------------------------------
setup_tmp

# ---------------------------------------------------------------------------------------------
# The requests: one definition for wrk (Lua) and for the curl checks
# ---------------------------------------------------------------------------------------------
host=shop.example.com
get_path=/catalog/search
get_target="$get_path?q=blue+shirt&page=2&sort=price"
post_target=/post
browser_headers=(
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    "Accept-Language: en-US,en;q=0.9"
    "Accept-Encoding: gzip, deflate, br"
    "Cookie: session=3f8a9c1e7b2d4a6f; theme=dark; consent=yes"
)
get_headers=("Host: $host" "${browser_headers[@]}")
post_headers=("Host: $host" "${browser_headers[@]}" "Content-Type: application/json")

# A shop order as a single-page app would post it (~1 KB).
items=""
for i in 1 2 3 4 5 6 7 8; do
    items+="${items:+,}{\"sku\":\"SKU-$((1000 + i))\",\"name\":\"Blue cotton shirt size M\",\"qty\":$i,\"price\":19.99}"
done
body='{"order":{"id":184467,"created":"2026-11-28T21:14:05Z","customer":{"name":"Jane Doe",'
body+='"email":"jane@example.com","phone":"+1 555 0100","address":{"street":"12 Market Street",'
body+='"city":"Springfield","zip":"12345","country":"US"}},"items":['"$items"'],'
body+='"shipping":{"method":"standard","price":4.95},"payment":{"method":"card","last4":"4242"},'
body+='"note":"Please leave the parcel at the door, thanks!","gift":false}}'
printf '%s' "$body" >"$tmp/body.json"
body_bytes=$(wc -c <"$tmp/body.json")
((body_bytes >= 900 && body_bytes <= 1200)) || die "request body is $body_bytes bytes, expected ~1 KB"

lua_table() { # "Name: value"... -> a Lua table constructor
    local h out="{"
    for h in "$@"; do
        out+=$'\n'"    [\"${h%%:*}\"] = [==[${h#*: }]==],"
    done
    printf '%s\n}' "$out"
}
cat >"$tmp/get.lua" <<EOF
wrk.method = "GET"
wrk.path = [==[$get_target]==]
wrk.headers = $(lua_table "${get_headers[@]}")
EOF
cat >"$tmp/post.lua" <<EOF
wrk.method = "POST"
wrk.path = [==[$post_target]==]
wrk.headers = $(lua_table "${post_headers[@]}")
wrk.body = [==[$body]==]
EOF
cat >"$tmp/mixed.lua" <<EOF
-- Alternates the GET and POST requests (per wrk thread; both threads start with the GET).
local get_headers = $(lua_table "${get_headers[@]}")
local post_headers = $(lua_table "${post_headers[@]}")
local body = [==[$body]==]
local requests = {}
local n = 0
init = function(args)
    requests[1] = wrk.format("GET", [==[$get_target]==], get_headers)
    requests[2] = wrk.format("POST", [==[$post_target]==], post_headers, body)
end
request = function()
    n = n + 1
    return requests[2 - n % 2]
end
EOF

curl_headers() { # "Name: value"... -> curl -H arguments in the array curl_h
    local h
    curl_h=()
    for h in "$@"; do
        curl_h+=(-H "$h")
    done
}
curl_headers "${get_headers[@]}"
get_args=("${curl_h[@]}")
curl_headers "${post_headers[@]}"
post_args=("${curl_h[@]}" -H 'Expect:' --data-binary "@$tmp/body.json")

# ---------------------------------------------------------------------------------------------
# Configuration files
# ---------------------------------------------------------------------------------------------
pick_port; upstream_port=$port_out
pick_port; nginx_port=$port_out
pick_port; modsec_port=$port_out
pick_port; portcullis_port=$port_out
pick_port; probe_modsec_port=$port_out
pick_port; probe_portcullis_port=$port_out

# The upstream of proxy_vs_nginx.sh (GET / -> "hello\n", POST /post -> "ok\n", /post-echo),
# plus the GET workload's path answered like GET /.
write_upstream_conf "$tmp/upstream" "$upstream_port"
awk -v loc="$get_path" '
    !done && $1 == "location" && $2 == "=" && $3 == "/" {
        print "        location = " loc " {"
        print "            return 200 \"hello\\n\";"
        print "        }"
        print ""
        done = 1
    }
    { print }
    END { exit !done }' "$tmp/upstream/nginx.conf" >"$tmp/upstream/nginx.conf.new" ||
    die "could not add $get_path to the upstream configuration"
mv "$tmp/upstream/nginx.conf.new" "$tmp/upstream/nginx.conf"

# The engine settings both WAFs get (ModSecurity's recommended ones), loaded before the CRS.
mkdir -p "$tmp/waf"
setup_conf=$tmp/waf/setup.conf
cat >"$setup_conf" <<'EOF'
SecRuleEngine On
SecRequestBodyAccess On
SecRequestBodyLimit 13107200
SecRequestBodyNoFilesLimit 131072
SecRule REQUEST_HEADERS:Content-Type "@rx (?i)^application/json" "id:200001,phase:1,pass,nolog,ctl:requestBodyProcessor=JSON"
EOF
# ModSecurity's main rules file: the same settings, no audit or debug log, the paranoia level
# (portcullis: --paranoia), then the same files in the same order as portcullis's --rules.
modsec_rules=$tmp/waf/modsecurity.conf
cat >"$modsec_rules" <<EOF
SecRuleEngine On
SecRequestBodyAccess On
SecRequestBodyLimit 13107200
SecRequestBodyNoFilesLimit 131072
SecAuditEngine Off
SecAction "id:900000,phase:1,pass,nolog,setvar:tx.blocking_paranoia_level=$paranoia,setvar:tx.detection_paranoia_level=$paranoia"
Include $setup_conf
Include $crs/crs-setup.conf.example
Include $crs/rules/*.conf
EOF
portcullis_waf_args=(--rules "$setup_conf" --rules "$crs/crs-setup.conf.example"
    --rules "$crs/rules/*.conf" --paranoia "$paranoia" --mode block)

add_load_module() { # DIR MODULE: load MODULE at the top of DIR/nginx.conf
    { echo "load_module $2;"; cat "$1/nginx.conf"; } >"$1/nginx.conf.new"
    mv "$1/nginx.conf.new" "$1/nginx.conf"
}

# Per-request logging (ModSecurity reports matches there: at info level, blocks at error)
# goes to a file at level crit in the timed proxies, i.e. is never written, as portcullis runs
# with --events off. The probe instance (before timing only) logs at info to see every match.
write_proxy_conf "$tmp/nginx" "$upstream_port" "        listen 127.0.0.1:$nginx_port;
        error_log $tmp/nginx/requests.log crit;"
write_proxy_conf "$tmp/modsec" "$upstream_port" "        listen 127.0.0.1:$modsec_port;
        error_log $tmp/modsec/requests.log crit;
        modsecurity on;
        modsecurity_rules_file $modsec_rules;"
add_load_module "$tmp/modsec" "$modsec_module"
write_proxy_conf "$tmp/probe-modsec" "$upstream_port" "        listen 127.0.0.1:$probe_modsec_port;
        error_log $tmp/probe-modsec/requests.log info;
        modsecurity on;
        modsecurity_rules_file $modsec_rules;"
add_load_module "$tmp/probe-modsec" "$modsec_module"
mkdir -p "$tmp/portcullis" "$tmp/probe-portcullis"

for conf in upstream nginx modsec probe-modsec; do
    check_nginx_conf "$tmp/$conf" "$conf"
done

# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------
send() { # URL OUTFILE [curl args...]: one request; prints the status code (000 on failure)
    local url=$1 out=$2
    shift 2
    curl -sS --max-time 5 -D "$out.head" -o "$out" -w '%{http_code}' "$@" "$url" 2>"$out.err" || true
}

show_response() { # OUTFILE
    echo "--- response headers:" >&2
    cat "$1.head" >&2 || true
    echo "--- response body (first 500 bytes):" >&2
    head -c 500 "$1" >&2 || true
    echo >&2
    [[ -s $1.err ]] && { echo "--- curl:" >&2; cat "$1.err" >&2; }
    return 0
}

start_portcullis() { # PORT LOG EVENTS: starts portcullis + WAF, sets portcullis_pid
    spawn proxy "$2" "$binary" --listen "127.0.0.1:$1" --workers 1 --admin off --events "$3" \
        --upstream "http://127.0.0.1:$upstream_port" "${portcullis_waf_args[@]}"
    portcullis_pid=$spawned_pid
    wait_http "http://127.0.0.1:$1/" "$portcullis_pid" "$2" -H "Host: $host"
}

start_upstream "$tmp/upstream" "$upstream_port"

# Probe: both WAFs with logging on, one request of each kind, to see which rules match the
# benchmark's (benign) requests. Nothing may be blocked.
echo "probing the WAFs with logging on (rule matches on the benchmark requests)" >&2
start_nginx_proxy "$tmp/probe-modsec" "http://127.0.0.1:$probe_modsec_port/" -H "Host: $host"
probe_modsec_pids=("$nginx_master_pid" "$nginx_worker_pid")
start_portcullis "$probe_portcullis_port" "$tmp/probe-portcullis/stderr.log" \
    "$tmp/probe-portcullis/events.log"
probe_portcullis_pid=$portcullis_pid
touch "$tmp/probe-portcullis/events.log"

declare -A matched
probe_failed=0
for req in get post; do
    if [[ $req == get ]]; then args=("${get_args[@]}"); target=$get_target
    else args=("${post_args[@]}"); target=$post_target; fi
    for waf in modsec portcullis; do
        if [[ $waf == modsec ]]; then
            log=$tmp/probe-modsec/requests.log; p=$probe_modsec_port
        else
            log=$tmp/probe-portcullis/events.log; p=$probe_portcullis_port
        fi
        touch "$log"
        before=$(wc -l <"$log")
        code=$(send "http://127.0.0.1:$p$target" "$tmp/probe.out" "${args[@]}")
        sleep 0.3 # portcullis writes events from a writer thread, every 20 ms at most
        tail -n +$((before + 1)) "$log" >"$tmp/probe-$waf-$req.log"
        if [[ $waf == modsec ]]; then
            ids=$(grep -o '\[id "[0-9]*"\]' "$tmp/probe-$waf-$req.log" | tr -dc '0-9\n' | sort -u | paste -sd, - || true)
        else
            ids=$(grep -o '"id":"[^"]*"' "$tmp/probe-$waf-$req.log" | cut -d'"' -f4 | sort -u | paste -sd, - || true)
        fi
        matched[$waf,$req]=${ids:-none}
        echo "  $req via $waf: $code, rules matched: ${ids:-none}" >&2
        if [[ $code != 200 ]]; then
            probe_failed=1
            echo "--- $waf answered $code to the $req request ($target)" >&2
            show_response "$tmp/probe.out"
            echo "--- $waf log lines for this request:" >&2
            cat "$tmp/probe-$waf-$req.log" >&2
        fi
    done
done
stop_spawned "${probe_modsec_pids[@]}"
stop_spawned "$probe_portcullis_pid"
((probe_failed == 0)) || die "a WAF refused a benchmark request (see above); the requests must be benign"

# Start the three timed proxies, one at a time, and take each one's idle memory after it has
# loaded its rules (and answered the GET / of the start-up check).
declare -A port=([portcullis]=$portcullis_port [modsec]=$modsec_port [nginx]=$nginx_port)
declare -A measured_pid master_pid startup idle_rss idle_master_rss idle_pss
declare -A title=([portcullis]="portcullis + WAF" [modsec]="nginx + ModSecurity" [nginx]="nginx (no WAF)")
proxies=(portcullis modsec nginx)

for proxy in "${proxies[@]}"; do
    t0=$(date +%s%N)
    if [[ $proxy == portcullis ]]; then
        start_portcullis "$portcullis_port" "$tmp/portcullis/stderr.log" off
        measured_pid[$proxy]=$portcullis_pid
        master_pid[$proxy]=""
    else
        start_nginx_proxy "$tmp/$proxy" "http://127.0.0.1:${port[$proxy]}/" -H "Host: $host"
        measured_pid[$proxy]=$nginx_worker_pid
        master_pid[$proxy]=$nginx_master_pid
    fi
    t1=$(date +%s%N)
    startup[$proxy]=$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f", ns / 1e9 }')
    sleep 1
    idle_rss[$proxy]=$(status_kib "${measured_pid[$proxy]}" VmRSS)
    pss=$(pss_kib "${measured_pid[$proxy]}")
    if [[ -n ${master_pid[$proxy]} ]]; then
        idle_master_rss[$proxy]=$(status_kib "${master_pid[$proxy]}" VmRSS)
        pss=$((${pss:-0} + $(pss_kib "${master_pid[$proxy]}")))
    fi
    idle_pss[$proxy]=$pss
done
# Rules portcullis loaded with a warning (unsupported features), from its start-up output.
load_warnings=$(grep -c '^portcullis: waf: ' "$tmp/portcullis/stderr.log" || true)
never_match=$(grep -o 'rule [0-9]* never matches' "$tmp/portcullis/stderr.log" | cut -d' ' -f2 | paste -sd, - || true)

# Every timed proxy answers each workload's requests (and the upstream directly).
check() { # NAME URL EXPECTED_BODY_FILE [curl args...]
    local name=$1 url=$2 want=$3 code
    shift 3
    code=$(send "$url" "$tmp/check.out" "$@")
    if [[ $code != 200 ]]; then
        show_response "$tmp/check.out"
        die "$name: $url answered $code, expected 200"
    fi
    cmp -s "$tmp/check.out" "$want" || {
        echo "--- got:" >&2; head -c 300 "$tmp/check.out" >&2
        die "$name: unexpected response body from $url"
    }
}
printf 'hello\n' >"$tmp/hello.txt"
printf 'ok\n' >"$tmp/ok.txt"
for target in upstream "${proxies[@]}"; do
    case $target in
        upstream) p=$upstream_port ;;
        *) p=${port[$target]} ;;
    esac
    check "$target" "http://127.0.0.1:$p$get_target" "$tmp/hello.txt" "${get_args[@]}"
    check "$target" "http://127.0.0.1:$p$post_target" "$tmp/ok.txt" "${post_args[@]}"
    check "$target" "http://127.0.0.1:$p/post-echo" "$tmp/body.json" "${post_args[@]}"
done

# ---------------------------------------------------------------------------------------------
# wrk runs
# ---------------------------------------------------------------------------------------------
problems=()
declare -A rps p50 p99 cpu rss

wrk_args=(-t"$threads" -c"$connections" -d"${duration}s" --timeout "$timeout" --latency)
workloads=(get post mixed)
declare -A wl_title=([get]="GET query + browser headers" [post]="POST JSON $body_bytes B"
    [mixed]="mixed GET/POST 1:1")
declare -A wl_path=([get]="$get_target" [post]="$post_target" [mixed]="/")

run_wrk() { # WORKLOAD PROXY SECONDS OUTFILE
    local wl=$1 proxy=$2 secs=$3 out=$4
    ${on_load_cpu[@]+"${on_load_cpu[@]}"} wrk -t"$threads" -c"$connections" -d"${secs}s" \
        --timeout "$timeout" --latency -s "$tmp/$wl.lua" "http://127.0.0.1:${port[$proxy]}${wl_path[$wl]}" >"$out" 2>&1 ||
        { cat "$out" >&2; die "wrk failed against $proxy"; }
}

echo "benchmarking: ${#workloads[@]} workloads x ${#proxies[@]} proxies x $repeats repeats x ${duration}s" >&2
for wl in "${workloads[@]}"; do
    for proxy in "${proxies[@]}"; do
        reset_hwm "${measured_pid[$proxy]}"
    done
    if ((warmup > 0)); then
        for proxy in "${proxies[@]}"; do
            run_wrk "$wl" "$proxy" "$warmup" "$tmp/warmup.out"
            proxy_alive "$proxy"
        done
    fi
    for ((r = 1; r <= repeats; r++)); do
        # Rotate the order so that no proxy always runs first or last.
        order=()
        for ((i = 0; i < ${#proxies[@]}; i++)); do
            order+=("${proxies[$(((i + r - 1) % ${#proxies[@]}))]}")
        done
        for proxy in "${order[@]}"; do measure_wrk "$wl" "$proxy" "$r"; done
    done
    for proxy in "${proxies[@]}"; do
        rss[$wl,$proxy]=$(status_kib "${measured_pid[$proxy]}" VmHWM)
    done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A after_rss
for proxy in "${proxies[@]}"; do
    after_rss[$proxy]=$(status_kib "${measured_pid[$proxy]}" VmRSS)
done

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
echo
echo "## WAF at full stack: portcullis vs nginx + ModSecurity v3 vs nginx (1 worker each)"
echo
echo "- portcullis: $portcullis_version (\`$binary\`, modified $binary_mtime)"
echo "- nginx: $nginx_version; ModSecurity: libmodsecurity3 $libmodsecurity_version," \
    "nginx connector libnginx-mod-http-modsecurity $connector_version"
echo "- rules: OWASP CRS $crs_version (\`$crs\`): crs-setup.conf.example + rules/*.conf," \
    "paranoia level $paranoia, blocking mode (anomaly threshold as CRS sets it: 5)"
echo "- engine settings for both, loaded first: \`SecRuleEngine On\`, \`SecRequestBodyAccess On\`," \
    "\`SecRequestBodyLimit 13107200\`, \`SecRequestBodyNoFilesLimit 131072\`, JSON body processor for" \
    "\`application/json\` (rule 200001); ModSecurity also \`SecAuditEngine Off\`, no debug log"
echo "- portcullis: \`--workers 1 --admin off --events off --rules … --paranoia $paranoia --mode block\`;" \
    "$load_warnings load warnings; rules that never match in portcullis (unsupported" \
    "operators, e.g. libinjection's @detectSQLi/@detectXSS, which ModSecurity does run):" \
    "${never_match:-none}"
echo "- nginx proxies: master + 1 worker, \`keepalive 64\` to the upstream, \`access_log off\`;" \
    "per-request \`error_log\` at level \`crit\` (ModSecurity's match and block lines, info and" \
    "error, are not written), as portcullis runs with \`--events off\`; RSS and CPU are of the worker"
echo "- rules matched by the benchmark requests, probed once with logging on (ModSecurity" \
    "error_log at info, portcullis \`--events\`), none blocked: ModSecurity GET ${matched[modsec,get]}," \
    "POST ${matched[modsec,post]}; portcullis GET ${matched[portcullis,get]}, POST ${matched[portcullis,post]}"
echo "- nproc: $ncpu; load average before: $load_before, after: $load_after"
echo "- wrk: \`wrk ${wrk_args[*]}\` with a Lua script per workload, ${warmup}s warm-up per proxy and" \
    "workload, $repeats repeats (order rotates; medians shown)"
if ((pin)); then
    echo "- CPU pinning (taskset): proxies on CPU $proxy_cpu; wrk and upstream on CPU $load_cpu"
else
    echo "- CPU pinning: none (wrk, upstream and proxy share all CPUs)"
fi
echo "- upstream: nginx, 1 process; \`GET $get_path\` -> 200 \"hello\\n\"; \`POST /post\` reads the body" \
    "-> 200 \"ok\\n\""
echo "- requests: Host: $host, User-Agent, Accept, Accept-Language, Accept-Encoding, Cookie;" \
    "\`GET $get_target\`; \`POST $post_target\` with a $body_bytes-byte order JSON" \
    "(Content-Type: application/json)"
if ((hwm_reset_ok)); then
    echo "- peak RSS: VmHWM, reset at the start of each workload (so per workload, incl. warm-up)"
else
    echo "- peak RSS: VmHWM over the process lifetime (resetting it via clear_refs was not permitted)"
fi
echo "- ratio rows: portcullis + WAF / the other; req/s above 1 and latency below 1 favour portcullis"
echo "- proxy CPU % well below 100: that proxy was not the bottleneck (wrk and the upstream on the" \
    "load CPU were), so its req/s is a lower bound"
echo
echo "| workload | proxy | req/s | p50 ms | p99 ms | peak RSS MiB | proxy CPU % |"
echo "|---|---|---:|---:|---:|---:|---:|"
for wl in "${workloads[@]}"; do
    declare -A m_rps=() m_p50=() m_p99=()
    for proxy in "${proxies[@]}"; do
        # shellcheck disable=SC2086
        m_rps[$proxy]=$(median ${rps[$wl,$proxy]})
        # shellcheck disable=SC2086
        m_p50[$proxy]=$(median ${p50[$wl,$proxy]})
        # shellcheck disable=SC2086
        m_p99[$proxy]=$(median ${p99[$wl,$proxy]})
        # shellcheck disable=SC2086
        printf '| %s | %s | %.0f | %.2f | %.2f | %s | %.0f |\n' "${wl_title[$wl]}" "${title[$proxy]}" \
            "${m_rps[$proxy]}" "${m_p50[$proxy]}" "${m_p99[$proxy]}" \
            "$(mib "${rss[$wl,$proxy]}")" "$(median ${cpu[$wl,$proxy]})"
    done
    for other in modsec nginx; do
        printf '| %s | portcullis / %s | %s | %s | %s | | |\n' "${wl_title[$wl]}" "${title[$other]}" \
            "$(ratio "${m_rps[portcullis]}" "${m_rps[$other]}")" \
            "$(ratio "${m_p50[portcullis]}" "${m_p50[$other]}")" \
            "$(ratio "${m_p99[portcullis]}" "${m_p99[$other]}")"
    done
done

echo
echo "Idle, after loading the rules (start-up: from spawning the process until it answered; RSS" \
    "of the worker, or of the portcullis process; the last column: RSS again after all the runs):"
echo
echo "| proxy | start-up s | RSS MiB | nginx master RSS MiB | PSS MiB (master + worker) | RSS after the runs MiB |"
echo "|---|---:|---:|---:|---:|---:|"
for proxy in "${proxies[@]}"; do
    if [[ -n ${master_pid[$proxy]} ]]; then
        master="$(mib "${idle_master_rss[$proxy]}")"
    else
        master="–"
    fi
    printf '| %s | %s | %s | %s | %s | %s |\n' "${title[$proxy]}" "${startup[$proxy]}" \
        "$(mib "${idle_rss[$proxy]}")" "$master" "$(mib "${idle_pss[$proxy]}")" \
        "$(mib "${after_rss[$proxy]}")"
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
