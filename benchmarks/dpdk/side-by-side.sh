#!/usr/bin/env bash
# NetFabric on DPDK side by side with dpdk-testpmd (issue 5), on this machine, in one go.
#
#   sudo benchmarks/dpdk/side-by-side.sh [--rounds N] [--seconds S] [--out DIR]
#
# For each virtual port pair (two net_null vdevs; two net_ring vdevs) it runs, one forwarding core each,
# --no-huge, 64-byte frames, bursts of 32, 8192 mbufs:
#   dpdk-testpmd --forward-mode=io and --forward-mode=macswap, and NetFabric's `dpdk` harness
#   (benchmarks/NetFabric.Benchmarks/Dpdk): io (no lookup), io with the frame restore its pipeline modes use,
#   the pipeline with one output-only flow per direction (EMC hit), and the routed hit path (two MAC sets,
#   TTL decrement with checksum update, output) at 1,000 and 100,000 flows, megaflow only and with the EMC.
# On the net_null pair it also runs the C floor (benchmarks/dpdk/native-floor.c): io from C with the mbufs
# untouched, with one load (first or second cache line), prefetch or store per mbuf, with the least per-mbuf
# work today's port contracts allow (stamp), and through NetFabric's shim — what any binding that looks at each
# mbuf can reach on this machine.
# Every case runs once per round and the rounds are interleaved (testpmd, NetFabric, testpmd, ...), so a
# neighbour's load on this shared machine spreads over all cases; the table gives each case's median over the
# rounds and every run's figure. Rates are the forwarded packets per second summed over both ports (testpmd:
# Tx-pps of port 0 + port 1, averaged over the measured seconds; NetFabric: both ports' transmits).
#
# A benchmark, not a test: never run by test.sh or CI (it refuses to when CI is set). Needs root (DPDK's EAL),
# dpdk-testpmd and libdpdk (Debian: apt-get install -y dpdk dpdk-dev libdpdk-dev cmake pkg-config) and the .NET SDK.
# About 15 minutes with the defaults (3 rounds of 5 s per case).
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=3
seconds=5
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "side-by-side.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

if [ -n "${CI:-}" ]; then
  echo "side-by-side.sh: a benchmark for a developer's machine; not run in CI."
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then echo "side-by-side.sh: DPDK's EAL needs root." >&2; exit 2; fi
command -v dpdk-testpmd >/dev/null || { echo "side-by-side.sh: dpdk-testpmd missing: apt-get install -y dpdk dpdk-dev libdpdk-dev" >&2; exit 2; }
command -v dotnet >/dev/null || { echo "side-by-side.sh: the .NET SDK is missing." >&2; exit 2; }

out="${out:-/tmp/netfabric-dpdk-side-by-side-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out/logs"
results="$out/results.tsv"
: > "$results"

echo "Building the benchmarks (Release; the DPDK shim is built by the Datapath project's CMake step)..."
dotnet build -c Release benchmarks/NetFabric.Benchmarks -v quiet -nologo > "$out/logs/build.log" 2>&1 \
  || { echo "side-by-side.sh: build failed, see $out/logs/build.log" >&2; exit 1; }
harness="$(dotnet msbuild benchmarks/NetFabric.Benchmarks -nologo -getProperty:TargetPath -p:Configuration=Release)"
[ -f "$harness" ] || { echo "side-by-side.sh: no harness at '$harness'" >&2; exit 1; }
[ -f "$(dirname "$harness")/libnetfabric_dpdk.so" ] || { echo "side-by-side.sh: the DPDK shim was not built (cmake, pkg-config, libdpdk-dev?), see $out/logs/build.log" >&2; exit 1; }
# The C floor (native-floor.c): io between the net_null pair from C, raw and through the shim.
floor="$out/native-floor"
cc -O2 -o "$floor" benchmarks/dpdk/native-floor.c -Inative $(pkg-config --cflags libdpdk) \
  -L"$(dirname "$harness")" -lnetfabric_dpdk -Wl,-rpath,"$(dirname "$harness")" $(pkg-config --libs libdpdk) -lpthread \
  >> "$out/logs/build.log" 2>&1 || { echo "side-by-side.sh: native-floor.c did not compile, see $out/logs/build.log" >&2; exit 1; }

# testpmd: DPDK's main lcore (stats printing) on CPU 1 and the forwarding lcore on CPU 0, as NetFabric's harness
# places its main thread and its worker. With --stats-period testpmd does not read stdin; it stops on SIGINT, which
# timeout sends after the warm-up and the measured seconds. On net_ring, --tx-first injects one burst of 32 frames
# per port, which then circulate.
run_testpmd() { # pair mode log
  local pair=$1 mode=$2 log=$3 vdevs txfirst="" prefix="nfb-testpmd-$$"
  if [ "$pair" = null ]; then vdevs="--vdev net_null0 --vdev net_null1"; else vdevs="--vdev net_ring0 --vdev net_ring1"; txfirst="--tx-first"; fi
  # shellcheck disable=SC2086
  timeout -s INT $((seconds + 5)) dpdk-testpmd --no-huge --no-pci --no-shconf -m 256 -l 0-1 --main-lcore 1 \
    --file-prefix "$prefix" $vdevs -- --forward-mode="$mode" --auto-start $txfirst --total-num-mbufs 8192 \
    --burst 32 --stats-period 1 --nb-cores=1 < /dev/null > "$log" 2>&1 || true
  rm -rf "/var/run/dpdk/$prefix"
  # Tx-pps lines come in pairs (port 0, port 1) once a second; the first display has no earlier one to compare
  # with and shows 0. Skip it and the first period with traffic (warm-up), then average at most $seconds periods.
  awk -v want="$seconds" '
    /Tx-pps:/ { v[n++] = $2 }
    END {
      for (i = 0; i + 1 < n; i += 2) { s = v[i] + v[i + 1]; if (s > 0) sums[m++] = s }
      k = 0; t = 0
      for (i = 1; i < m && k < want; i++) { t += sums[i]; k++ }
      if (k > 0) printf "%.3f\n", t / k / 1e6
    }' "$log"
}

run_netfabric() { # log args...
  local log=$1; shift
  dotnet "$harness" dpdk --seconds "$seconds" "$@" > "$log" 2>&1 || true
  sed -n 's/^result .* mpps=\([0-9.]*\)$/\1/p' "$log"
  grep -q "warning:" "$log" && echo "    warning in $log: $(grep warning: "$log" | head -1)" >&2 || true
}

run_native() { # log mode
  "$floor" "$2" "$seconds" > "$1" 2>&1 || true
  sed -n 's/^result .* mpps=\([0-9.]*\)$/\1/p' "$1"
}

# id|label|runner args (native cases: net_null only)
cases=(
  "testpmd-io|testpmd io|testpmd io"
  "nf-io|NetFabric io (no lookup)|netfabric --mode io"
  "nf-io-restore|NetFabric io + frame restore|netfabric --mode io --rewrite"
  "testpmd-macswap|testpmd macswap|testpmd macswap"
  "nf-output-emc|NetFabric pipeline, output only, EMC hit|netfabric --mode output --emc on"
  "nf-routed-1k|NetFabric routed, 1k flows, megaflow|netfabric --mode routed --flows 1000 --emc off"
  "testpmd-io|testpmd io|testpmd io"
  "nf-routed-100k|NetFabric routed, 100k flows, megaflow|netfabric --mode routed --flows 100000 --emc off"
  "testpmd-macswap|testpmd macswap|testpmd macswap"
  "nf-routed-1k-emc|NetFabric routed, 1k flows, EMC on|netfabric --mode routed --flows 1000 --emc on"
  "nf-routed-100k-emc|NetFabric routed, 100k flows, EMC on|netfabric --mode routed --flows 100000 --emc on"
  "c-raw|C floor: rte_eth io, mbufs untouched|native raw"
  "c-read|C floor: io + one load per mbuf (first line)|native read"
  "c-read2|C floor: io + one load per mbuf (second line)|native read2"
  "c-prefetch|C floor: io + one prefetch per mbuf|native prefetch"
  "c-store|C floor: io + one store per mbuf|native store"
  "c-stamp|C floor: per-port mempools, stamp only where it differs|native stamp"
  "c-shim|C floor: io through the shim|native shim"
)
# testpmd appears twice per pair and round (between NetFabric cases): twice the samples for the references.

echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "DPDK $(pkg-config --modversion libdpdk 2>/dev/null || echo '(version unknown)'), $(dotnet --version | sed 's/^/.NET SDK /')"
echo "Raw results and logs: $out"
for round in $(seq 1 "$rounds"); do
  for pair in null ring; do
    for entry in "${cases[@]}"; do
      IFS='|' read -r id label runner <<< "$entry"
      read -r -a words <<< "$runner"
      log="$out/logs/round$round-$pair-$id-$(date +%s%N).log"
      if [ "${words[0]}" = native ]; then
        [ "$pair" = null ] || continue
        value=$(run_native "$log" "${words[1]}")
      elif [ "${words[0]}" = testpmd ]; then
        value=$(run_testpmd "$pair" "${words[1]}" "$log")
      else
        value=$(run_netfabric "$log" --vdev-pair "$pair" "${words[@]:1}")
      fi
      if [ -z "$value" ]; then echo "  round $round, $pair, $label: no figure (see $log)" >&2; continue; fi
      printf '%s\t%s\t%s\t%s\n' "$pair" "$id" "$label" "$value" >> "$results"
      printf '  round %s/%s  %-4s  %-42s %8.2f Mpps\n' "$round" "$rounds" "$pair" "$label" "$value"
    done
  done
done

echo
echo "Medians over $rounds rounds (Mpps forwarded, both ports summed); ratios are of medians."
echo "Targets: NetFabric io >= 0.9 x testpmd io; routed megaflow hit >= 0.5 x testpmd macswap;"
echo "         routed megaflow hit >= 2 x OVS 3.1 userspace megaflow on net_null (5.9-6.5 Mpps, i.e. >= 11.8-13.0)."
awk -F'\t' '
  function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  {
    key = $1 SUBSEP $2
    if (!(key in runs)) { order[++count] = key; labels[key] = $3 }
    runs[key] = runs[key] (runs[key] == "" ? "" : " ") sprintf("%.2f", $4)
  }
  END {
    for (i = 1; i <= count; i++) { key = order[i]; med[key] = median(runs[key]) }
    printf "%-4s  %-40s %8s  %-44s %s\n", "pair", "case", "median", "runs", "ratio"
    for (p = 1; p <= 2; p++) {
      pair = p == 1 ? "null" : "ring"
      for (i = 1; i <= count; i++) {
        key = order[i]; split(key, k, SUBSEP)
        if (k[1] != pair) continue
        id = k[2]; ratio = ""
        io = med[pair SUBSEP "testpmd-io"]; ms = med[pair SUBSEP "testpmd-macswap"]
        if (id == "nf-io" && io > 0) ratio = sprintf("%.2f x testpmd io (target >= 0.90)", med[key] / io)
        if (id == "nf-io-restore" && io > 0) ratio = sprintf("%.2f x testpmd io", med[key] / io)
        if (id ~ /^nf-(routed|output)/ && ms > 0) ratio = sprintf("%.2f x testpmd macswap%s", med[key] / ms, id ~ /routed-1k$|routed-100k$/ ? " (target >= 0.50)" : "")
        if (pair == "null" && (id == "nf-routed-1k" || id == "nf-routed-100k")) ratio = ratio sprintf("; %.1f-%.1f x OVS megaflow", med[key] / 6.5, med[key] / 5.9)
        if (pair == "null" && id == "nf-output-emc") ratio = ratio sprintf("; %.2f x OVS EMC hit (16.0)", med[key] / 16.0)
        printf "%-4s  %-40s %8.2f  %-44s %s\n", pair, labels[key], med[key], runs[key], ratio
      }
    }
  }' "$results" | tee "$out/table.txt"
