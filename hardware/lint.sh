#!/usr/bin/env bash
# verilator --lint-only -Wall over conv_rm for all six variants; exits non-zero on any warning.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
command -v verilator >/dev/null || { echo "lint: verilator is not on PATH (Debian: apt-get install verilator)" >&2; exit 2; }
status=0
for k in 3 5; do
  for p in 8 16 32; do
    if verilator --lint-only -Wall -I"$here/rtl" -GK=$k -GP=$p --top-module conv_rm \
        "$here/rtl/conv_rm.v" "$here/rtl/conv_axil_slave.v"; then
      echo "LINT conv${k}x${k}_int${p}: clean"
    else
      echo "LINT conv${k}x${k}_int${p}: warnings" >&2
      status=1
    fi
  done
done
exit $status
