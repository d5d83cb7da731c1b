#!/usr/bin/env bash
# Reference CNN steps/s, Descent's README Lua loop against TensorFlow CPU, run in turn (A, B, A,
# B, ...) so the machine's drift hits both; prints the medians and their ratio per thread count.
#
#   bench/side_by_side.sh /tmp/tf/bin/python [rounds]          idle machine: 1 and 2 threads
#   bench/side_by_side.sh /tmp/tf/bin/python [rounds] shared   one core kept busy by `yes`:
#                                                              1 thread and each one's default
# (a venv with tensorflow-cpu; see bench/tensorflow_reference.py). "default" is what a user
# gets without settings: Descent without DESCENT_THREADS (a run takes the cores other processes
# leave free), TensorFlow with its own pools sized to the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:?usage: bench/side_by_side.sh PYTHON_WITH_TENSORFLOW [rounds] [shared]}
rounds=${2:-5}
mode=${3:-idle}
descent=.build/release/descent
[ -x "$descent" ] || swift build -c release >&2
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $mode"
counts=(1 2)
if [ "$mode" = shared ]; then
  yes > /dev/null &
  busy=$!
  trap 'kill $busy' EXIT
  sleep 0.5
  counts=(1 default)
fi
for threads in "${counts[@]}"; do
  d=(); t=()
  for _ in $(seq "$rounds"); do
    if [ "$threads" = default ]; then
      d+=("$(env -u DESCENT_THREADS "$descent" run bench/reference_step.lua 60 | awk '{print $1}')")
      t+=("$("$python" bench/tensorflow_reference.py --rounds 3 2>/dev/null | sed -E 's/.*step +([0-9.]+) steps.*/\1/')")
    else
      d+=("$(DESCENT_THREADS=$threads "$descent" run bench/reference_step.lua 60 | awk '{print $1}')")
      t+=("$("$python" bench/tensorflow_reference.py --threads "$threads" --rounds 3 2>/dev/null | sed -E 's/.*step +([0-9.]+) steps.*/\1/')")
    fi
  done
  dm=$(printf '%s\n' "${d[@]}" | median); tm=$(printf '%s\n' "${t[@]}" | median)
  echo "threads $threads: descent ${dm} steps/s, tensorflow ${tm} steps/s, ratio $(awk -v a="$dm" -v b="$tm" 'BEGIN {printf "%.2f", a / b}')"
done
