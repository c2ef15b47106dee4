#!/usr/bin/env bash
# Load benchmark: Portcullis vs nginx as HTTP/2 and TLS reverse proxies in front of the same
# nginx upstream, driven by h2load and wrk. Run from the repository root:
#
#   bench/h2_tls_vs_nginx.sh [--duration 10] [--repeats 3] [--binary build/portcullis]
#                            [--warmup 1] [--no-pin] [--proxy-cpu 0] [--load-cpu 1]
#
# Everything listens on 127.0.0.1 on free ports picked at start; every process started here is
# stopped by PID on exit and the temporary directory (which holds a throwaway self-signed
# EC P-256 certificate made with the openssl CLI) is removed.
#
# Topology: client (h2load | wrk) --> proxy (portcullis | nginx) --> upstream nginx, HTTP/1.1.
# Each proxy runs as two instances with 1 worker each: TLS (ALPN h2 and http/1.1) and
# cleartext h2c. With pinning (the default, needs 2+ CPUs) all proxies run on --proxy-cpu,
# while the client and the upstream share --load-cpu.
#
# Workloads, all GET / answered by the upstream with a small 200:
#   h2 TLS     h2load -t1 -c16 -m16 -D DURATION https://...  (HTTP/2 over TLS 1.3)
#   h2c        h2load -t1 -c16 -m16 -D DURATION http://...   (HTTP/2 prior knowledge)
#   TLS close  wrk -t2 -c16 -d DURATION -H 'Connection: close' https://...
#              (HTTP/1.1, a new TCP and TLS connection for every request)
# Reported per proxy: median req/s, request time mean and max, error counts, peak RSS (VmHWM),
# CPU use of proxy, client and upstream, busy time of the CPUs, new TCP connections per request.
# Exit status: 0 on success, 2 if any run had errors (non-2xx responses, failed requests, an
# unexpected protocol, or connections reused in the TLS close workload).
set -euo pipefail

# The load, fixed so that runs stay comparable.
h2_clients=16
h2_streams=16
close_threads=2
close_connections=16
# TLS 1.3 cipher suites offered by h2load: OpenSSL's default order, as wrk and curl offer them.
# Portcullis picks by server preference and nginx by client preference, so this makes both
# settle on the same suite.
tls13_ciphers=TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256

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
find_nginx
for m in http_ssl_module http_v2_module http_stub_status_module; do
    grep -q -- "--with-$m" <<<"$nginx_v" || die "nginx lacks the $m (nginx -V); Debian: apt-get install nginx-light"
done
command -v h2load >/dev/null || die "h2load not found (Debian: apt-get install nghttp2-client)"
command -v wrk >/dev/null || die "wrk not found (Debian: apt-get install wrk)"
command -v openssl >/dev/null || die "openssl not found"
command -v curl >/dev/null || die "curl not found"
command -v timeout >/dev/null || die "timeout not found (coreutils)"
curl -V | grep -qw HTTP2 || die "curl lacks HTTP/2 support (needed for the functional checks)"
[[ -r /proc/net/snmp ]] || die "/proc/net/snmp not readable (needed to count TCP connections)"

setup_pinning

# ---------------------------------------------------------------------------------------------
# Temporary directory, certificate, configuration files
# ---------------------------------------------------------------------------------------------
setup_tmp

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >"$tmp/openssl.log" 2>&1 ||
    { cat "$tmp/openssl.log" >&2; die "openssl could not make the certificate"; }

kinds=(tls h2c)
proxies=(nginx portcullis)
declare -A port measured_pid
pick_port; upstream_port=$port_out
for kind in "${kinds[@]}"; do
    for proxy in "${proxies[@]}"; do
        pick_port; port[$kind,$proxy]=$port_out
    done
done

write_upstream_conf "$tmp/upstream" "$upstream_port" status
# nginx 1.22 enables TLSv1 to TLSv1.2 by default (TLSv1.3 only from 1.23.4); portcullis allows
# TLS 1.2 and 1.3, so both sides negotiate TLS 1.3 here.
write_proxy_conf "$tmp/nginx-tls" "$upstream_port" "\
        listen 127.0.0.1:${port[tls,nginx]} ssl http2;
        ssl_certificate $tmp/cert.pem;
        ssl_certificate_key $tmp/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;"
write_proxy_conf "$tmp/nginx-h2c" "$upstream_port" "\
        listen 127.0.0.1:${port[h2c,nginx]} http2;"
for conf in upstream nginx-tls nginx-h2c; do
    check_nginx_conf "$tmp/$conf" "$conf"
done

# ---------------------------------------------------------------------------------------------
# Start the upstream, two nginx and two portcullis instances
# ---------------------------------------------------------------------------------------------
declare -A url_of curl_args_of
for proxy in "${proxies[@]}"; do
    url_of[tls,$proxy]="https://127.0.0.1:${port[tls,$proxy]}/"
    url_of[h2c,$proxy]="http://127.0.0.1:${port[h2c,$proxy]}/"
done
curl_args_of[tls]="-k --http2"
curl_args_of[h2c]="--http2-prior-knowledge"

start_upstream "$tmp/upstream" "$upstream_port"

declare -A nginx_master_of
for kind in "${kinds[@]}"; do
    # shellcheck disable=SC2086
    start_nginx_proxy "$tmp/nginx-$kind" "${url_of[$kind,nginx]}" ${curl_args_of[$kind]}
    nginx_master_of[$kind]=$nginx_master_pid
    measured_pid[$kind,nginx]=$nginx_worker_pid
done

for kind in "${kinds[@]}"; do
    mkdir -p "$tmp/portcullis-$kind"
    log="$tmp/portcullis-$kind/stderr.log"
    args=(--listen "127.0.0.1:${port[$kind,portcullis]}" --upstream "http://127.0.0.1:$upstream_port"
        --workers 1 --admin off)
    [[ $kind == tls ]] && args+=(--tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem")
    spawn proxy "$log" "$binary" "${args[@]}"
    measured_pid[$kind,portcullis]=$spawned_pid
    # shellcheck disable=SC2086
    wait_http "${url_of[$kind,portcullis]}" "$spawned_pid" "$log" ${curl_args_of[$kind]}
    scheme=http
    [[ $kind == tls ]] && scheme=https
    grep -q "listening on $scheme://127.0.0.1:${port[$kind,portcullis]}" "$log" ||
        { cat "$log" >&2; die "portcullis ($kind) did not report listening on $scheme://"; }
done

# ---------------------------------------------------------------------------------------------
# Functional checks
# ---------------------------------------------------------------------------------------------
# check NAME URL WANT_HTTP_VERSION [curl args...]: a 200 with body "hello\n" over that version.
check() {
    local name=$1 url=$2 want=$3 got
    shift 3
    got=$(curl -sS --max-time 5 -o "$tmp/check.out" -w '%{http_code} %{http_version}' "$@" "$url") ||
        die "$name: request to $url failed"
    [[ $got == "200 $want" ]] ||
        { cat "$tmp/check.out" >&2; die "$name: $url answered '$got', expected '200 $want'"; }
    cmp -s "$tmp/check.out" "$tmp/hello.txt" || {
        echo "--- got:" >&2; head -c 300 "$tmp/check.out" >&2
        die "$name: unexpected response body from $url"
    }
}
printf 'hello\n' >"$tmp/hello.txt"
check upstream "http://127.0.0.1:$upstream_port/" 1.1
for proxy in "${proxies[@]}"; do
    check "$proxy" "${url_of[tls,$proxy]}" 2 -k --http2
    check "$proxy" "${url_of[tls,$proxy]}" 1.1 -k --http1.1
    check "$proxy" "${url_of[h2c,$proxy]}" 2 --http2-prior-knowledge
done

# What an OpenSSL client with default settings (as wrk is) negotiates, whether the server
# resumes its session (one connection saves the session after reading the tickets, a second one
# offers it), and whether the server ends a "Connection: close" response with a TLS close_notify
# alert (s_client reports "unexpected eof" and exits 1 when it does not). Sets tls_default,
# tls_resumed and tls_close_notify, indexed by proxy.
declare -A tls_default tls_resumed tls_close_notify
request=$'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
s_client() { # PROXY OUTFILE [s_client args...]
    local proxy=$1 out=$2
    shift 2
    printf '%s' "$request" | timeout 10 openssl s_client -connect "127.0.0.1:${port[tls,$proxy]}" \
        -ign_eof "$@" >"$out" 2>&1 || true
    grep -q '^HTTP/1.1 200' "$out" || { cat "$out" >&2; die "$proxy: no 200 through openssl s_client"; }
}
for proxy in "${proxies[@]}"; do
    rm -f "$tmp/session.pem"
    s_client "$proxy" "$tmp/s_client1.out" -sess_out "$tmp/session.pem"
    s_client "$proxy" "$tmp/s_client2.out" -sess_in "$tmp/session.pem"
    tls_default[$proxy]=$(awk '/^(New|Reused), / { sub(/,$/, "", $2); p = $2; c = $NF }
        /^Server Temp Key:/ { k = $4; sub(/,$/, "", k) }
        END { print p, c, k }' "$tmp/s_client1.out")
    if grep -q '^Reused, ' "$tmp/s_client2.out"; then tls_resumed[$proxy]=yes; else tls_resumed[$proxy]=no; fi
    if grep -q 'unexpected eof while reading' "$tmp/s_client1.out"; then
        tls_close_notify[$proxy]=no
    else
        tls_close_notify[$proxy]=yes
    fi
done

# ---------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------
# Passive TCP opens (accepted connections) of this network namespace.
passive_opens() {
    awk '$1 == "Tcp:" && ++n == 2 { print $7 }' /proc/net/snmp
}

# Connections the upstream has accepted so far (stub_status; counts this request's own).
upstream_accepts() {
    curl -sS --max-time 5 "http://127.0.0.1:$upstream_port/nginx-status" | awk 'NR == 3 { print $1 }'
}

per_req() { # COUNT REQUESTS -> COUNT per request
    awk -v a="$1" -v n="$2" 'BEGIN { printf "%.3f", (n > 0 ? a / n : 0) }'
}

# Busy clock ticks of one CPU from /proc/stat (user nice system irq softirq steal), or of all
# CPUs with an empty argument.
cpu_busy_ticks() {
    awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# children_cpu_ms VAR: CPU time of this shell's waited-for children (the clients), in ms, into
# VAR. `times` must run in this shell, not in a $(...) subshell.
children_cpu_ms() {
    times >"$tmp/times"
    read -r "$1" < <(awk 'NR == 2 {
        t = 0
        for (i = 1; i <= 2; i++) { split($i, a, "m"); t += a[1] * 60000 + (a[2] + 0) * 1000 }
        printf "%.0f\n", t }' "$tmp/times")
}

if ((pin)); then busy_cpus=("$proxy_cpu" "$load_cpu"); else busy_cpus=(""); fi

workloads=(h2tls h2c close)
declare -A wl_title=([h2tls]="h2 TLS" [h2c]="h2c" [close]="TLS close")
declare -A wl_kind=([h2tls]=tls [h2c]=h2c [close]=tls)
declare -A wl_tool=([h2tls]=h2load [h2c]=h2load [close]=wrk)
declare -A wl_alpn=([h2tls]=h2 [h2c]=h2c)

h2load_args=(-t1 -c"$h2_clients" -m"$h2_streams")
wrk_args=(-t"$close_threads" -c"$close_connections" -H "Connection: close")

run_client() { # WORKLOAD PROXY SECONDS OUTFILE
    local wl=$1 proxy=$2 secs=$3 out=$4 url cmd
    url=${url_of[${wl_kind[$wl]},$proxy]}
    case ${wl_tool[$wl]} in
        h2load)
            cmd=(h2load "${h2load_args[@]}" -D "$secs")
            [[ ${wl_kind[$wl]} == tls ]] && cmd+=(--tls13-ciphers="$tls13_ciphers")
            ;;
        wrk) cmd=(wrk "${wrk_args[@]}" -d"${secs}s") ;;
    esac
    ${on_load_cpu[@]+"${on_load_cpu[@]}"} timeout -k 5 $((secs + 30)) "${cmd[@]}" "$url" \
        >"$out" 2>&1 || { cat "$out" >&2; die "${cmd[0]} failed or timed out against $proxy"; }
}

kind_proxy_alive() { # KIND PROXY
    kill -0 "${measured_pid[$1,$2]}" 2>/dev/null ||
        die "$2 ($1, pid ${measured_pid[$1,$2]}) is no longer running"
}

pct() { # TICKS_DELTA WALL_NS -> percent of one CPU
    awk -v d="$1" -v hz="$clk_tck" -v ns="$2" 'BEGIN { printf "%.1f", 100 * d / hz / (ns / 1e9) }'
}

problems=()
c0=0 c1=0
declare -A rps mean_ms max_ms non2xx failed rss cpu per_cpu_s client_cpu upstream_cpu conns
declare -A up_conns_per_req busy
declare -A negotiated

echo "benchmarking: ${#workloads[@]} workloads x 2 proxies x $repeats repeats x ${duration}s" >&2
for wl in "${workloads[@]}"; do
    kind=${wl_kind[$wl]}
    for proxy in "${proxies[@]}"; do
        reset_hwm "${measured_pid[$kind,$proxy]}"
        non2xx[$wl,$proxy]=0
        failed[$wl,$proxy]=0
    done
    if ((warmup > 0)); then
        for proxy in "${proxies[@]}"; do
            run_client "$wl" "$proxy" "$warmup" "$tmp/warmup.out"
            kind_proxy_alive "$kind" "$proxy"
        done
    fi
    for ((r = 1; r <= repeats; r++)); do
        if ((r % 2)); then order=(portcullis nginx); else order=(nginx portcullis); fi
        for proxy in "${order[@]}"; do
            out="$tmp/$wl-$proxy-$r.out"
            pid=${measured_pid[$kind,$proxy]}
            declare -A b0=() b1=()
            s0=$(upstream_accepts)
            for c in "${busy_cpus[@]}"; do b0[x$c]=$(cpu_busy_ticks "$c"); done
            t0=$(cpu_ticks "$pid")
            u0=$(cpu_ticks "$upstream_pid")
            children_cpu_ms c0
            a0=$(passive_opens)
            w0=$(date +%s%N)
            run_client "$wl" "$proxy" "$duration" "$out"
            w1=$(date +%s%N)
            a1=$(passive_opens)
            children_cpu_ms c1
            u1=$(cpu_ticks "$upstream_pid")
            t1=$(cpu_ticks "$pid")
            for c in "${busy_cpus[@]}"; do b1[x$c]=$(cpu_busy_ticks "$c"); done
            s1=$(upstream_accepts)
            kind_proxy_alive "$kind" "$proxy"

            req='' ok='' ndone='' nfail='' nerr='' ntimeout='' n3='' n4='' n5='' lmean='' lmax='' alpn=''
            if [[ ${wl_tool[$wl]} == h2load ]]; then
                req=$(awk '/^finished in/ { print $4 }' "$out")
                read -r ndone ok nfail nerr ntimeout < <(awk '/^requests:/ {
                    print $6, $8, $10, $12, $14 }' "$out") || true
                read -r n3 n4 n5 < <(awk '/^status codes:/ { print $5, $7, $9 }' "$out") || true
                read -r lmax lmean < <(awk '/^time for request:/ { print $5, $6 }' "$out") || true
                alpn=$(awk '/^Application protocol:/ { print $3 }' "$out")
                [[ -n $req && -n $ok && -n $lmean && -n $n5 ]] ||
                    { cat "$out" >&2; die "could not parse h2load output"; }
                bad=$((n3 + n4 + n5))
                fails=$((nfail + nerr + ntimeout))
                completed=$ndone
                if [[ $alpn != "${wl_alpn[$wl]}" ]]; then
                    problems+=("$wl/$proxy run $r: application protocol '$alpn', expected '${wl_alpn[$wl]}'")
                fi
                if [[ $kind == tls ]]; then
                    negotiated[$proxy]=$(awk '/^TLS Protocol:/ { p = $3 } /^Cipher:/ { c = $2 }
                        /^Server Temp Key:/ { k = $4 } END { print p, c, k }' "$out")
                fi
                if ((bad || fails || ok == 0)); then
                    problems+=("$wl/$proxy run $r: $(grep -E '^(requests|status codes):' "$out" | paste -sd ';')")
                fi
            else
                req=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
                read -r lmean lmax < <(awk '$1 == "Latency" { print $2, $4 }' "$out") || true
                bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
                bad=${bad:-0}
                fails=$(awk '/Socket errors:/ { s = 0; for (i = 3; i <= NF; i += 2) s += $(i + 1) + 0; print s }' "$out")
                fails=${fails:-0}
                completed=$(awk '/requests in/ { print $1 }' "$out")
                [[ -n $req && -n $lmean && -n $lmax && -n $completed ]] ||
                    { cat "$out" >&2; die "could not parse wrk output"; }
                if ((bad || fails || completed == 0)); then
                    problems+=("$wl/$proxy run $r: requests=$completed non-2xx/3xx=$bad $(grep 'Socket errors' "$out" || echo 'socket errors: 0')")
                fi
            fi
            ns=$((w1 - w0))
            # Upstream connections opened by the proxy (minus the status request's own), and
            # the rest of the loopback accepts: client connections to the proxy.
            [[ $s0 =~ ^[0-9]+$ && $s1 =~ ^[0-9]+$ ]] || die "could not read the upstream's stub_status"
            up_conns=$((s1 - s0 - 1))
            client_conns=$((a1 - a0 - up_conns))
            client_per_req=$(per_req "$client_conns" "$completed")
            up_per_req=$(per_req "$up_conns" "$completed")
            if [[ $wl == close ]] && awk -v x="$client_per_req" 'BEGIN { exit !(x < 0.9) }'; then
                problems+=("$wl/$proxy run $r: only $client_per_req new client connections per request")
            fi
            proxy_pct=$(pct $((t1 - t0)) "$ns")
            rps[$wl,$proxy]+=" $req"
            mean_ms[$wl,$proxy]+=" $(to_ms "$lmean")"
            max_ms[$wl,$proxy]+=" $(to_ms "$lmax")"
            non2xx[$wl,$proxy]=$((non2xx[$wl,$proxy] + bad))
            failed[$wl,$proxy]=$((failed[$wl,$proxy] + fails))
            cpu[$wl,$proxy]+=" $proxy_pct"
            per_cpu_s[$wl,$proxy]+=" $(awk -v r="$req" -v p="$proxy_pct" 'BEGIN { printf "%.0f", (p > 0 ? r * 100 / p : 0) }')"
            client_cpu[$wl,$proxy]+=" $(awk -v ms=$((c1 - c0)) -v ns="$ns" 'BEGIN { printf "%.1f", 100 * ms / (ns / 1e6) }')"
            upstream_cpu[$wl,$proxy]+=" $(pct $((u1 - u0)) "$ns")"
            conns[$wl,$proxy]+=" $client_per_req"
            up_conns_per_req[$wl,$proxy]+=" $up_per_req"
            for c in "${busy_cpus[@]}"; do
                d=$((${b1[x$c]} - ${b0[x$c]}))
                busy[$wl,$proxy,x$c]+=" $(pct "$d" "$ns")"
            done
            printf '  %-5s %-10s run %d/%d: %9.0f req/s  mean %s  max %s  proxy CPU %s%%\n' \
                "$wl" "$proxy" "$r" "$repeats" "$req" "$lmean" "$lmax" "$proxy_pct" >&2
        done
    done
    for proxy in "${proxies[@]}"; do
        rss[$wl,$proxy]=$(status_kib "${measured_pid[$kind,$proxy]}" VmHWM)
    done
done
declare -A master_hwm
for kind in "${kinds[@]}"; do
    master_hwm[$kind]=$(status_kib "${nginx_master_of[$kind]}" VmHWM)
done

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
echo
echo "## Portcullis vs nginx $nginx_version (HTTP/2 and TLS reverse proxy, 1 worker each)"
echo
echo "- nproc: $ncpu"
echo "- h2 TLS: \`h2load ${h2load_args[*]} -D $duration --tls13-ciphers=$tls13_ciphers https://…/\`"
echo "- h2c: \`h2load ${h2load_args[*]} -D $duration http://…/\` (prior knowledge)"
echo "- TLS close: \`wrk -t$close_threads -c$close_connections -d${duration}s -H 'Connection: close' https://…/\`" \
    "(HTTP/1.1, no ALPN); wrk keeps the TLS session across its reconnects, so these are TLS 1.3" \
    "resumptions (PSK with X25519, no certificate), one full handshake per wrk connection slot"
echo "- ${warmup}s warm-up per proxy and workload, $repeats repeats (order alternates; medians shown," \
    "error counts summed)"
if ((pin)); then
    echo "- CPU pinning (taskset): proxies on CPU $proxy_cpu; client and upstream on CPU $load_cpu"
else
    echo "- CPU pinning: none (client, upstream and proxies share all CPUs)"
fi
echo "- upstream: nginx, 1 process, HTTP/1.1; \`GET /\` -> 200 \"hello\\n\""
echo "- certificate: throwaway self-signed EC P-256 (ecdsa-with-SHA256), SAN IP:127.0.0.1, same for both"
echo "- nginx proxy: two instances, master + 1 worker each: \`listen … ssl http2\` with" \
    "\`ssl_protocols TLSv1.2 TLSv1.3\` (1.22 defaults to TLS ≤ 1.2), session cache and tickets at" \
    "defaults; \`listen … http2\` for h2c; upstream \`keepalive 64\`, \`proxy_http_version 1.1\`." \
    "RSS and CPU are of the worker (master peak RSS: $(mib "${master_hwm[tls]}") / $(mib "${master_hwm[h2c]}") MiB, not included)"
echo "- portcullis: two processes, \`$binary --workers 1 --admin off\`, with \`--tls-cert/--tls-key\` and without;" \
    "RSS and CPU are of the whole process (all threads)"
for proxy in "${proxies[@]}"; do
    echo "- negotiated with $proxy: h2load ${negotiated[$proxy]:-?}, ALPN h2;" \
        "OpenSSL default client (as wrk) ${tls_default[$proxy]:-?};" \
        "session resumption accepted: ${tls_resumed[$proxy]};" \
        "close_notify before closing a \`Connection: close\` response: ${tls_close_notify[$proxy]}"
done
if ((hwm_reset_ok)); then
    echo "- peak RSS: VmHWM, reset at the start of each workload (so per workload, incl. warm-up)"
else
    echo "- peak RSS: VmHWM over the process lifetime (resetting it via clear_refs was not permitted)"
fi
echo "- req/CPU-s: req/s divided by the proxy's CPU use; compares efficiency when the client," \
    "not the proxy, is the bottleneck"
echo "- non-2xx: h2load 3xx+4xx+5xx, wrk non-2xx/3xx; failed: h2load failed+errored+timeout, wrk" \
    "socket errors. Both must be 0"
echo "- ratio rows: portcullis/nginx; req/s and req/CPU-s above 1, times, RSS and CPU below 1 favour" \
    "portcullis"
echo
echo "| workload | proxy | req/s | mean ms | max ms | non-2xx | failed | peak RSS MiB | proxy CPU % | req/CPU-s |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for wl in "${workloads[@]}"; do
    declare -A m_rps=() m_mean=() m_max=() m_cpu=() m_eff=()
    for proxy in "${proxies[@]}"; do
        # shellcheck disable=SC2086
        {
            m_rps[$proxy]=$(median ${rps[$wl,$proxy]})
            m_mean[$proxy]=$(median ${mean_ms[$wl,$proxy]})
            m_max[$proxy]=$(median ${max_ms[$wl,$proxy]})
            m_cpu[$proxy]=$(median ${cpu[$wl,$proxy]})
            m_eff[$proxy]=$(median ${per_cpu_s[$wl,$proxy]})
        }
        printf '| %s | %s | %.0f | %.2f | %.2f | %d | %d | %s | %.0f | %.0f |\n' "${wl_title[$wl]}" \
            "$proxy" "${m_rps[$proxy]}" "${m_mean[$proxy]}" "${m_max[$proxy]}" \
            "${non2xx[$wl,$proxy]}" "${failed[$wl,$proxy]}" "$(mib "${rss[$wl,$proxy]}")" \
            "${m_cpu[$proxy]}" "${m_eff[$proxy]}"
    done
    printf '| %s | portcullis/nginx | %s | %s | %s | | | %s | %s | %s |\n' "${wl_title[$wl]}" \
        "$(ratio "${m_rps[portcullis]}" "${m_rps[nginx]}")" \
        "$(ratio "${m_mean[portcullis]}" "${m_mean[nginx]}")" \
        "$(ratio "${m_max[portcullis]}" "${m_max[nginx]}")" \
        "$(ratio "${rss[$wl,portcullis]}" "${rss[$wl,nginx]}")" \
        "$(ratio "${m_cpu[portcullis]}" "${m_cpu[nginx]}")" \
        "$(ratio "${m_eff[portcullis]}" "${m_eff[nginx]}")"
done

echo
echo "Where the CPU went (medians, % of one CPU; \"busy\" is everything that ran on that CPU," \
    "including softirq and other processes. New connections per request: upstream = accepted by" \
    "the upstream (stub_status); client = all other TCP connections accepted on loopback in this" \
    "network namespace during the run (/proc/net/snmp PassiveOpens), i.e. those to the proxy):"
echo
header="| workload | proxy | client CPU % | upstream CPU % |"
rule="|---|---|---:|---:|"
for c in "${busy_cpus[@]}"; do
    if [[ -n $c ]]; then header+=" CPU $c busy % |"; else header+=" all CPUs busy % |"; fi
    rule+="---:|"
done
echo "$header client conns/req | upstream conns/req |"
echo "$rule---:|---:|"
for wl in "${workloads[@]}"; do
    for proxy in "${proxies[@]}"; do
        # shellcheck disable=SC2086
        line=$(printf '| %s | %s | %.0f | %.0f |' "${wl_title[$wl]}" "$proxy" \
            "$(median ${client_cpu[$wl,$proxy]})" "$(median ${upstream_cpu[$wl,$proxy]})")
        for c in "${busy_cpus[@]}"; do
            # shellcheck disable=SC2086
            line+=$(printf ' %.0f |' "$(median ${busy[$wl,$proxy,x$c]})")
        done
        # shellcheck disable=SC2086
        printf '%s %.3f | %.3f |\n' "$line" "$(median ${conns[$wl,$proxy]})" \
            "$(median ${up_conns_per_req[$wl,$proxy]})"
    done
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
