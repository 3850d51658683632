#!/usr/bin/env bash
# Runs every NetFabric test: installs the system packages the tests drive (only
# when missing), builds the solution, runs all test projects, and ends with one
# plain line "N passed, N failed[, N skipped]" computed from the result files.
set -euo pipefail
cd "$(dirname "$0")"

# Real peers the tests use: tshark decodes what we emit; iproute2 builds network namespaces;
# ping and python3 are the kernel-side traffic sources inside them.
need=()
command -v tshark >/dev/null 2>&1 || need+=(tshark)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
# Without ethtool the veths keep their segmentation offloads on and hand raw sockets frames longer than a
# buffer; the namespace fixture turns offloads off with it (and one test turns checksum offload back on).
command -v ethtool >/dev/null 2>&1 || need+=(ethtool)
[ -x /usr/bin/python3 ] || need+=(python3)
# DPDK: the C shim in native/ builds against libdpdk with cmake, pkg-config and a C compiler (dotnet build runs
# CMake when they are present); dpdk-dev brings dpdk-testpmd, the DPDK benchmarks' traffic peer.
{ pkg-config --exists libdpdk && command -v dpdk-testpmd; } >/dev/null 2>&1 || need+=(dpdk dpdk-dev libdpdk-dev)
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: missing ${need[*]}; run as root or install them: apt-get install -y ${need[*]}" >&2
    exit 2
  fi
  echo "test.sh: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
results="artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

dotnet build NetFabric.sln -c Release -nologo -v minimal

# The build compiles the DPDK shim when DPDK is installed (it is, above); without it the DPDK tests would only skip.
shim="${ArtifactsPath:-artifacts}/bin/NetFabric.Datapath.Tests/release/libnetfabric_dpdk.so"
if [ ! -f "$shim" ]; then
  echo "test.sh: the DPDK shim was not built ($shim is missing); build it by hand to see why: cmake -S native -B native/build && cmake --build native/build" >&2
  exit 1
fi

status=0
# One run per test project, each writing its own report: projects started in the same microsecond would
# otherwise write the same default report file name and one count would be lost.
for project in tests/*/*.csproj; do
  name=$(basename "$project" .csproj)
  dotnet test --project "$project" -c Release --no-build \
    --results-directory "$results" --report-xunit-ctrf --report-xunit-ctrf-filename "$name.ctrf" || status=$?
done

# Count from the CTRF reports, not from dotnet test's own summary.
projects=$(ls tests/*/*.csproj | wc -l)
python3 - "$results" "$projects" <<'PY'
import json, pathlib, sys
passed = failed = skipped = 0
reports = list(pathlib.Path(sys.argv[1]).rglob("*.ctrf"))
if len(reports) < int(sys.argv[2]):
    # A test project that crashed before reporting counts as a failure, never as silence.
    failed += int(sys.argv[2]) - len(reports)
    print(f"test.sh: {int(sys.argv[2]) - len(reports)} test project(s) wrote no report", file=sys.stderr)
for report in reports:
    summary = json.loads(report.read_text())["results"]["summary"]
    passed += summary.get("passed", 0)
    failed += summary.get("failed", 0)
    skipped += summary.get("skipped", 0) + summary.get("pending", 0)
if not reports:
    failed += 1
    print("test.sh: no test result files were written", file=sys.stderr)
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
