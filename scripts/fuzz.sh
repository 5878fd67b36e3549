#!/usr/bin/env bash
# Runs each libFuzzer harness for a bounded time over its seed corpus
# (t/fuzz/corpus/NAME, read only) and a growing one (BUILD/corpus/NAME).
# Fails on any crash, leak, timeout, out-of-memory or sanitizer report
# (libFuzzer exits non-zero and leaves the input in BUILD/artifacts/).
# Prints the executions of each harness and the total.
# usage: fuzz.sh BUILD SECONDS NAME...
set -uo pipefail
build=$1 seconds=$2; shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
export OAUTH_FUZZ_KEYS=$top/t/fuzz/keys
# clang 19 ships no symbolizer of its own in Debian; 14's reads its output
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer-19 llvm-symbolizer-14 llvm-symbolizer | head -1)}
mkdir -p "$build/artifacts"
total=0 failed=()
printf '%-10s %12s %10s %8s\n' harness executions exec/s corpus
for name in "$@"; do
    corpus=$build/corpus/$name
    mkdir -p "$corpus"
    log=$build/fuzz_$name.log
    "$build/fuzz_$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2560 \
        -max_len=8192 -print_final_stats=1 -artifact_prefix="$build/artifacts/$name-" \
        "$corpus" "$top/t/fuzz/corpus/$name" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    size=$(find "$corpus" -type f | wc -l)
    printf '%-10s %12s %10s %8s\n' "$name" "${execs:-?}" "${rate:-?}" "$size"
    total=$((total + ${execs:-0}))
    if [ $rc -ne 0 ]; then
        failed+=("$name")
        echo "--- fuzz_$name failed (exit $rc); its log:"
        grep -E 'ERROR|SUMMARY|runtime error|Test unit written|==[0-9]+==' "$log" | head -20
    fi
done
echo "total executions: $total"
if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzzing found problems in: ${failed[*]} (inputs in $build/artifacts/)"
    exit 1
fi
echo "fuzz: ${#@} passed, 0 failed"
