#!/usr/bin/env bash
# Simulates every convolution RM with Icarus Verilog against vectors from the C# reference and exits
# non-zero on any mismatch. Run from anywhere:
#   hardware/run-sim.sh                  # makes vectors with `dpr hardware vectors` (needs the .NET SDK)
#   hardware/run-sim.sh --vectors DIR    # uses DIR/convKxK_intP.hex
#   hardware/run-sim.sh --no-lint        # skips verilator --lint-only -Wall (run by default when present)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
vectors=""
lint=1
while [ $# -gt 0 ]; do
  case "$1" in
    --vectors) vectors="$2"; shift 2 ;;
    --no-lint) lint=0; shift ;;
    *) echo "usage: $0 [--vectors DIR] [--no-lint]" >&2; exit 2 ;;
  esac
done

command -v iverilog >/dev/null || { echo "run-sim: iverilog is not on PATH (Debian: apt-get install iverilog)" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ -z "$vectors" ]; then
  vectors="$work/vectors"
  dotnet run --project "$root/src/Host" -- hardware vectors --out "$vectors" >/dev/null
fi

status=0
for k in 3 5; do
  for p in 8 16 32; do
    name="conv${k}x${k}_int${p}"
    if [ ! -f "$vectors/$name.hex" ]; then
      echo "FAIL $name: no $vectors/$name.hex"; status=1; continue
    fi
    iverilog -g2005 -I"$here/rtl" -Ptb_conv.K=$k -Ptb_conv.P=$p -o "$work/$name.vvp" \
      "$here/tb/tb_conv.v" "$here/rtl/conv_rm.v" "$here/rtl/conv_axil_slave.v"
    vvp -n "$work/$name.vvp" "+vectors=$vectors/$name.hex" > "$work/$name.log" 2>&1 || true
    if grep -q '^PASS' "$work/$name.log" && ! grep -q '^FAIL' "$work/$name.log"; then
      grep '^PASS' "$work/$name.log"
    else
      grep -v 'Not enough words in the file' "$work/$name.log" | tail -40
      echo "FAIL $name"
      status=1
    fi
  done
done

if [ $lint = 1 ] && command -v verilator >/dev/null; then
  "$here/lint.sh" || status=1
fi
[ $status = 0 ] && echo "run-sim: all variants bit-exact" || echo "run-sim: FAILED"
exit $status
