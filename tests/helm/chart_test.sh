#!/usr/bin/env bash
# The Helm chart (charts/portcullis) rendered as Helm renders it (tests/helm/render.go: Go's
# text/template with sprig, from Debian packages) for several value sets, every object checked
# against the Kubernetes API schemas (tests/k8s/validate.mjs), and values.schema.json checked to
# refuse bad values. Run by ctest:  chart_test.sh SOURCE_DIR BUILD_DIR PORTCULLIS_BINARY
set -euo pipefail
src=$1 build=$2 portcullis=$3
chart=$src/charts/portcullis
out=$build/helm
mkdir -p "$out"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

GOPATH=/usr/share/gocode GO111MODULE=off GOCACHE=$out/go-cache \
    go build -o "$out/render" "$src/tests/helm/render.go"
[[ -d $src/tests/k8s/node_modules ]] ||
    { echo "tests/k8s/node_modules is missing: npm ci --prefix tests/k8s (./dev test runs it)"; exit 1; }

# render NAME [render args...]: renders to $out/NAME.json and validates every object.
render() {
    local name=$1
    shift
    if ! "$out/render" -chart "$chart" "$@" >"$out/$name.json" 2>"$out/$name.err"; then
        fail "$name: render failed: $(cat "$out/$name.err")"
        return 1
    fi
    if node "$src/tests/k8s/validate.mjs" "$out/$name.json" >"$out/$name.valid"; then
        echo "ok   $name: $(grep -c '^ok' "$out/$name.valid") objects valid"
    else
        fail "$name: $(grep -v '^ok' "$out/$name.valid")"
    fi
}
# has NAME JQ-LIKE-TEXT: the rendered JSON contains TEXT.
has() { grep -qF -- "$2" "$out/$1.json" || fail "$1: expected to contain $2"; }
hasnt() { ! grep -qF -- "$2" "$out/$1.json" || fail "$1: expected not to contain $2"; }

cabundle=$(printf 'a CA certificate' | base64 -w0)
printf 'mode: injector\ninjector:\n  caBundle: %s\n' "$cabundle" >"$out/injector.yaml"

render gateway-default
has gateway-default '"kind": "Deployment"'
has gateway-default '"replicas": 2'
has gateway-default '"readOnlyRootFilesystem": true'
has gateway-default '"type": "RuntimeDefault"'
has gateway-default '"path": "/readyz"'
has gateway-default '"terminationGracePeriodSeconds": 15'
has gateway-default '"10s"'
hasnt gateway-default '"kind": "HorizontalPodAutoscaler"'
hasnt gateway-default '"subPath"'
hasnt gateway-default 'MutatingWebhookConfiguration'
hasnt gateway-default 'PORTCULLIS_ADMIN_TOKEN'

render gateway-full -values "$src/tests/helm/values/gateway-full.yaml" \
    -api-versions monitoring.coreos.com/v1 -kube-version 1.30.2
has gateway-full '"kind": "HorizontalPodAutoscaler"'
hasnt gateway-full '"replicas": 2'
has gateway-full '"--tls-cert"'
has gateway-full '"10.96.0.20:6379"'
has gateway-full '"name": "PORTCULLIS_ADMIN_TOKEN"'
has gateway-full '"name": "shop-admin"'
has gateway-full '"name": "REDIS_PASSWORD"'
has gateway-full '"kind": "ServiceMonitor"'
has gateway-full '"kind": "NetworkPolicy"'
has gateway-full '"grafana_dashboard": "1"'
has gateway-full '"seconds": 3'
has gateway-full '"image": "registry.example/portcullis:1.2.3"'

render gateway-no-operator -values "$src/tests/helm/values/gateway-full.yaml" -kube-version 1.28.0
hasnt gateway-no-operator '"kind": "ServiceMonitor"'
hasnt gateway-no-operator '"sleep"'

render injector -values "$out/injector.yaml" -namespace portcullis
has injector '"kind": "MutatingWebhookConfiguration"'
has injector '"sideEffects": "None"'
has injector '"failurePolicy": "Fail"'
has injector '"path": "/mutate"'
has injector '"namespace": "portcullis"'
has injector '"portcullis.io/injection": "enabled"'
has injector 'native_sidecars: true'
render injector-old-cluster -values "$out/injector.yaml" -kube-version 1.27.3
has injector-old-cluster 'native_sidecars: false'
hasnt injector '"kind": "HorizontalPodAutoscaler"'

render injector-certmanager -values "$src/tests/helm/values/injector-certmanager.yaml"
has injector-certmanager '"cert-manager.io/inject-ca-from": "portcullis/portcullis-injector"'
has injector-certmanager '"name": "portcullis-policy-strict"'
has injector-certmanager 'native_sidecars: false'

# The injector needs a CA for the API server.
printf 'mode: injector\n' >"$out/no-ca.yaml"
if "$out/render" -chart "$chart" -values "$out/no-ca.yaml" >/dev/null 2>"$out/no-ca.err"; then
    fail "injector without caBundle rendered"
elif grep -q "injector.caBundle or injector.certManagerCertificate is required" "$out/no-ca.err"; then
    echo "ok   injector without a CA is refused"
else
    fail "injector without caBundle: $(cat "$out/no-ca.err")"
fi

# values.schema.json refuses bad values, naming the key.
while IFS='|' read -r values expected; do
    [[ -z $values ]] && continue
    printf '%s\n' "$values" >"$out/bad.yaml"
    if "$out/render" -chart "$chart" -values "$out/bad.yaml" >/dev/null 2>"$out/bad.err"; then
        fail "accepted bad values: $values"
    elif grep -qF -- "$expected" "$out/bad.err"; then
        echo "ok   refused: $values"
    else
        fail "bad values $values: expected '$expected', got: $(cat "$out/bad.err")"
    fi
done <"$src/tests/helm/values/bad-values.txt"

# The gateway's ConfigMap with the Deployment's arguments: portcullis --check passes (with the
# admin token's and Redis password's variables set, as the Secrets would).
python3 - "$out/gateway-full.json" "$out" <<'PY'
import json, sys
objects = json.load(open(sys.argv[1]))
config = next(o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("-config"))
deploy = next(o for o in objects if o["kind"] == "Deployment")
open(sys.argv[2] + "/portcullis.yaml", "w").write(config["data"]["portcullis.yaml"])
args = deploy["spec"]["template"]["spec"]["containers"][0]["args"]
open(sys.argv[2] + "/args", "w").write("\n".join(args) + "\n")
PY
mapfile -t args <"$out/args"
checked=()
for ((i = 0; i < ${#args[@]}; i++)); do
    case ${args[i]} in
        /etc/portcullis/portcullis.yaml) checked+=("$out/portcullis.yaml") ;;
        --tls-cert | --tls-key) i=$((i + 1)) ;;  # the Secret is not here; TLS is tested elsewhere
        *) checked+=("${args[i]}") ;;
    esac
done
if PORTCULLIS_ADMIN_TOKEN=t0ken REDIS_PASSWORD=pw "$portcullis" --check "${checked[@]}" >"$out/check.log" 2>&1; then
    echo "ok   the gateway's config and arguments pass portcullis --check"
else
    fail "portcullis --check ${checked[*]}: $(cat "$out/check.log")"
fi

echo "$failures failure(s)"
((failures == 0))
