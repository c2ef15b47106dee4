#!/usr/bin/env bash
# Validation cost per request: a ~1 KB JSON order against a schema of 30 properties in nested
# objects and arrays (bench/schema/schema_fixture/), parse included, Portcullis' compiled
# validator (bench/schema/schema_bench.cc, Google Benchmark) beside Ajv 6 on Node
# (bench/schema/ajv_bench.js) on the same files. Run from anywhere:
#
#   bench/schema_vs_ajv.sh [--build DIR] [--seconds 1.5] [--jobs N]
#
# --build is the CMake build directory (default: build in the repository root); it is
# configured (Release, Ninja when found) if it has no CMakeCache.txt, then its schema_bench
# target is built, with --jobs parallel jobs when given. Each case then runs for about
# --seconds on each side: 5 Portcullis and 4 Ajv cases, about 20 s at the default.
#
# Prints a markdown table: case | portcullis validations/s | Ajv validations/s | ratio
# (Portcullis / Ajv; above 1 means Portcullis is faster). Ajv runs with allErrors false, so it
# stops at the first error of the invalid order; Portcullis is shown stopping at the first
# violation, and recording up to 10, against that same Ajv figure. Needs cmake, a C++20
# compiler, Google Benchmark (Debian: libbenchmark-dev), node and Ajv 6 (Debian: node-ajv).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build
seconds=1.5
jobs=""

usage() {
    sed -n '2,18{s/^# \{0,1\}//;p}' "$0"
}

die() {
    echo "error: $*" >&2
    exit 1
}

while (($#)); do
    case $1 in
        --build) build=${2:?--build needs a value}; shift 2 ;;
        --build=*) build=${1#*=}; shift ;;
        --seconds) seconds=${2:?--seconds needs a value}; shift 2 ;;
        --seconds=*) seconds=${1#*=}; shift ;;
        --jobs) jobs=${2:?--jobs needs a value}; shift 2 ;;
        --jobs=*) jobs=${1#*=}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
if ! [[ $seconds =~ ^[0-9]+(\.[0-9]+)?$ ]] || ! awk -v s="$seconds" 'BEGIN { exit !(s > 0) }'; then
    die "--seconds must be a positive number"
fi
[[ -z $jobs || $jobs =~ ^[1-9][0-9]*$ ]] || die "--jobs must be a positive integer"

command -v cmake >/dev/null || die "cmake not found"
command -v node >/dev/null || die "node not found (Debian: apt-get install nodejs)"
# Debian's node-ajv lives in /usr/share/nodejs, which only Debian's own node searches.
export NODE_PATH=${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs
node -e 'require("ajv")' 2>/dev/null || die "Ajv not found (Debian: apt-get install node-ajv)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-schema-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ---------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------
if [[ ! -f $build/CMakeCache.txt ]]; then
    generator=()
    command -v ninja >/dev/null && generator=(-G Ninja)
    echo "configuring $build" >&2
    cmake -S "$root" -B "$build" ${generator[@]+"${generator[@]}"} -DCMAKE_BUILD_TYPE=Release \
        >"$tmp/configure.log" 2>&1 || { cat "$tmp/configure.log" >&2; die "cmake failed"; }
fi
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
echo "building schema_bench in $build" >&2
cmake --build "$build" --target schema_bench ${jobs:+-j "$jobs"} >"$tmp/build.log" 2>&1 || {
    tail -n 40 "$tmp/build.log" >&2
    die "building schema_bench failed (is Google Benchmark installed? Debian: libbenchmark-dev)"
}
bench_bin=$build/schema_bench
[[ -x $bench_bin ]] || die "no $bench_bin after the build"

# ---------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "running Portcullis (schema_bench, about 5 x ${seconds} s)" >&2
"$bench_bin" --benchmark_min_time="$seconds" --benchmark_out="$tmp/portcullis.json" \
    --benchmark_out_format=json >&2
echo "running Ajv (ajv_bench.js, about 4 x ${seconds} s)" >&2
node "$root/bench/schema/ajv_bench.js" --seconds "$seconds" --json >"$tmp/ajv.json"

# ---------------------------------------------------------------------------------------------
# Table
# ---------------------------------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
fixture_bytes=$(wc -c <"$root/bench/schema/schema_fixture/order.json")
echo
echo "Schema validation per request: order.json (${fixture_bytes} bytes), 30-property schema," \
    "parse included; ${cpu:-unknown CPU}, $(nproc) CPUs, load ${load_before}; Portcullis" \
    "${build_type:-?} build, Google Benchmark min time ${seconds} s."
# shellcheck disable=SC2016  # the $ are JavaScript's
node -e '
const fs = require("fs");
const portcullis = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const ajv = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const ours = {};
const violations = {};
for (const b of portcullis.benchmarks) {
  ours[b.name] = b.items_per_second;
  if (b.violations !== undefined) violations[b.name] = b.violations;
}
const rows = [
  ["parse only (Ajv side: JSON.parse)", "BM_Parse", "parse"],
  ["validate only (parsed once)", "BM_Validate", "validate"],
  ["parse + validate, valid order", "BM_ParseValidate", "parse+validate"],
  ["parse + validate, invalid order, first violation",
   "BM_ParseValidateInvalid/max_violations:1", "parse+invalid"],
  ["parse + validate, invalid order, all violations (Ajv: first error)",
   "BM_ParseValidateInvalid/max_violations:10", "parse+invalid"],
];
const fmt = (n) => n === undefined ? "n/a" : Math.round(n).toLocaleString("en-US");
console.log(`Ajv ${ajv.ajv} on Node ${ajv.node}.`);
console.log("");
console.log("| case | portcullis validations/s | Ajv validations/s | ratio |");
console.log("|---|---:|---:|---:|");
for (const [label, mine, theirs] of rows) {
  const a = ours[mine], b = ajv.results[theirs];
  const ratio = a && b ? (a / b).toFixed(2) + "×" : "n/a";
  const note = violations[mine] !== undefined ? ` (${violations[mine]} recorded)` : "";
  console.log(`| ${label}${note} | ${fmt(a)} | ${fmt(b)} | ${ratio} |`);
}
' "$tmp/portcullis.json" "$tmp/ajv.json"
