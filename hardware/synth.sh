#!/usr/bin/env bash
# Yosys synth_xilinx (family xc7, the xc7z020's fabric) for each convolution RM, out of context (no I/O
# buffers, as a DFX module is synthesized); prints a resource table and keeps each variant's log and
# `stat` under OUT (default hardware/build/synth). About a minute per variant on 2 cores.
# Usage: hardware/synth.sh [--out DIR] [--jobs N] [VARIANT...]  (VARIANT like conv5x5_int16)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/build/synth"
jobs=2
variants=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    conv[35]x[35]_int*) variants+=("$1"); shift ;;
    *) echo "usage: $0 [--out DIR] [--jobs N] [convKxK_intP...]" >&2; exit 2 ;;
  esac
done
[ ${#variants[@]} -gt 0 ] || variants=(conv3x3_int8 conv3x3_int16 conv3x3_int32 conv5x5_int8 conv5x5_int16 conv5x5_int32)
command -v yosys >/dev/null || { echo "synth: yosys is not on PATH (Debian: apt-get install yosys)" >&2; exit 2; }
mkdir -p "$out"

synth_one() {
  local name="$1" here="$2" out="$3"
  local k="${name:4:1}" p="${name#*_int}"
  yosys -q -l "$out/$name.log" -p "
    read_verilog -I$here/rtl $here/rtl/conv_axil_slave.v $here/rtl/conv_rm.v
    hierarchy -top conv_rm -chparam K $k -chparam P $p
    synth_xilinx -family xc7 -flatten -noiopad
    tee -o $out/$name.stat stat" >/dev/null 2>"$out/$name.warnings"
}
export -f synth_one
printf '%s\n' "${variants[@]}" | xargs -P "$jobs" -I{} bash -c 'synth_one "$@"' _ {} "$here" "$out"

# LUTs as Vivado counts them: logic LUTs, plus LUTs used as memory (RAM32M/RAM64M: 4, RAM64X1D and
# RAM32X1D: 2, RAM*X1S: 1, shift registers: 1). Device totals: DS190 (xc7z020: 53,200 LUTs,
# 106,400 flip-flops, 220 DSP48E1, 140 RAMB36E1).
printf '| Module | LUT | of which LUTRAM/SRL | FF | DSP48E1 | BRAM36 | LUT %% | DSP %% |\n|---|---|---|---|---|---|---|---|\n'
for name in "${variants[@]}"; do
  awk -v name="$name" '
    $1 ~ /^[0-9]+$/ { n = $1; c = $2 } $1 !~ /^[0-9]+$/ && NF == 2 && $2 ~ /^[0-9]+$/ { c = $1; n = $2 }
    NF == 2 {
      if (c ~ /^LUT[1-6]$/) lut += n
      else if (c == "RAM32M" || c == "RAM64M") { mem += 4 * n }
      else if (c == "RAM32X1D" || c == "RAM64X1D" || c == "RAM128X1D") { mem += 2 * n }
      else if (c ~ /^RAM(32|64|128|256)X1S$/ || c == "SRL16E" || c == "SRLC32E") { mem += n }
      else if (c ~ /^FD[RSCP]E$/) ff += n
      else if (c == "DSP48E1") dsp += n
      else if (c == "RAMB36E1") bram += n
      else if (c == "RAMB18E1") bram += n / 2
    }
    END {
      total = lut + mem
      printf "| %s | %d | %d | %d | %d | %g | %.1f%% | %.1f%% |\n", name, total, mem, ff, dsp, bram, 100 * total / 53200, 100 * dsp / 220
    }' "$out/$name.stat"
done
