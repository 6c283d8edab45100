#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ and runs each for SECONDS (default 30).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     fuzz every target (or the ones named)
#   scripts/fuzz.sh --replay [TARGET...]      run the saved reproducers in Fuzz/Crashes/<target>/
#
# Each target runs on a copy of its seed corpus (Fuzz/Corpus/<target>/) in a temporary directory, so
# the committed corpus never grows. A crash, a timeout or an out-of-memory stops that target; its
# input is kept in test-artifacts/fuzz/<target>/ and the script exits non-zero after the others ran.
#
# Environment: FUZZ_JOBS=N limits the build's parallel jobs; FUZZ_KEEP_GOING=1 keeps fuzzing past
# crashes (libFuzzer -fork=1 -ignore_crashes=1) to collect several; FUZZ_ARGS adds libFuzzer flags.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
# Swift's crash backtracer (swift-backtrace) would outlive a crashing target and hold its output
# open; libFuzzer and AddressSanitizer print the stack themselves.
export SWIFT_BACKTRACE=enable=no

ALL_TARGETS=(FuzzJSON FuzzPeek FuzzClientEvents FuzzQuery FuzzBase64Audio FuzzSIP FuzzSDP FuzzRTP FuzzTwilio FuzzPersona FuzzWireFrames FuzzPack FuzzWyoming FuzzAnsweringMachine)
MODE=fuzz
SECONDS_EACH=30
if [[ "${1:-}" == "--replay" ]]; then MODE=replay; shift
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then SECONDS_EACH=$1; shift
fi
TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=("${ALL_TARGETS[@]}")

# swiftc keeps only the last -sanitize= it is given, and SwiftPM passes --sanitize values as separate
# flags (-sanitize=fuzzer -sanitize=address: no coverage at all). The -Xswiftc flag comes last and
# puts both back; --sanitize still instruments the C targets (clang accumulates -fsanitize).
BUILD=(swift build --package-path Fuzz --scratch-path Fuzz/.build -c debug --sanitize=fuzzer --sanitize=address
       -Xswiftc -sanitize=fuzzer,address)
[[ -n "${FUZZ_JOBS:-}" ]] && BUILD+=(-j "$FUZZ_JOBS")
echo "== building: ${BUILD[*]}"
start=$(date +%s)
"${BUILD[@]}"
echo "== built in $(( $(date +%s) - start )) s"
BIN=$("${BUILD[@]}" --show-bin-path)

ARTIFACTS=test-artifacts/fuzz
mkdir -p "$ARTIFACTS"
failed=()
summary=()

for target in "${TARGETS[@]}"; do
    binary="$BIN/$target"
    [[ -x "$binary" ]] || { echo "no such fuzz target: $target" >&2; exit 2; }
    out="$ARTIFACTS/$target"
    mkdir -p "$out"
    log="$out/fuzz.log"
    if [[ $MODE == replay ]]; then
        inputs=(Fuzz/Crashes/"$target"/*)
        [[ -e "${inputs[0]}" ]] || { summary+=("$target: no reproducers"); continue; }
        for input in "${inputs[@]}"; do
            [[ "$input" == *.md ]] && continue
            if "$binary" -runs=1 "$input" >"$out/replay-$(basename "$input").log" 2>&1; then
                summary+=("$target: $(basename "$input") passes")
            else
                summary+=("$target: $(basename "$input") CRASHES (log: $out/replay-$(basename "$input").log)")
                failed+=("$target")
            fi
        done
        continue
    fi
    rm -f "$out"/crash-* "$out"/timeout-* "$out"/oom-* "$out"/leak-* "$out"/slow-unit-*
    work=$(mktemp -d)
    cp -R "Fuzz/Corpus/$target" "$work/corpus"
    flags=(-max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
           -artifact_prefix="$out/" -close_fd_mask=1)
    [[ -f "Fuzz/Dictionaries/$target.dict" ]] && flags+=(-dict="Fuzz/Dictionaries/$target.dict")
    [[ "${FUZZ_KEEP_GOING:-0}" == 1 ]] && flags+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    echo "== $target: ${SECONDS_EACH}s"
    set +e
    # shellcheck disable=SC2086
    "$binary" "${flags[@]}" ${FUZZ_ARGS:-} "$work/corpus" >"$log" 2>&1
    rc=$?
    set -e
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
    [[ -n "$execs" ]] || execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
    corpus=$(find "$work/corpus" -type f | wc -l)
    crashes=$(find "$out" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | wc -l)
    rm -rf "$work"
    line="$target: ${execs:-?} executions in ${SECONDS_EACH}s, corpus $corpus inputs, exit $rc"
    if [[ $rc -ne 0 || $crashes -gt 0 ]] || grep -q -E '^(==[0-9]+==ERROR|SUMMARY: (AddressSanitizer|libFuzzer)|INFO: a crash was found)' "$log"; then
        line+=" -- CRASH: $(grep -m1 -E 'Fatal error|fuzz invariant|ERROR: (AddressSanitizer|libFuzzer)' "$log" | cut -c1-200)"
        line+=" ($crashes input(s) and the log in $out/)"
        failed+=("$target")
    fi
    summary+=("$line")
    echo "   $line"
done

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
