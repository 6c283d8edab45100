#!/usr/bin/env python3
"""Measures the answering machine detector on the synthesized set (make_set.py).

Builds a small optimised executable from Benchmarks/amd/main.swift and the audio sources it needs
(swiftc -O, no package build), runs it over the G.711 files of the chosen half, and prints:
  human -> human, machine -> machine       accuracy of the first classification
  time to decision                        ms from the answer to human/machine (median, p95)
  beep                                    beeps found, time error of the reported beep end
                                          against the tone's true end (median, max of |error|),
                                          beeps reported where there was none
  message end                             machines whose message end came before their beep
                                          ended (the agent would talk over the greeting), and
                                          greetingEnded time against the greeting's true end
Usage:
  python3 Benchmarks/amd/make_set.py --out /tmp/amd-set
  python3 Benchmarks/amd/evaluate.py --set-dir /tmp/amd-set --split heldout [--set NAME=VALUE]...
      [--errors] [--require PERCENT]
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
AUDIO = os.path.join(ROOT, "Sources", "SwitchboardAudio")


def build(out_dir):
    sources = [os.path.join(AUDIO, "AudioError.swift")]
    for folder in ("G711", "PCM", "VAD", "AnsweringMachine"):
        sources += sorted(glob.glob(os.path.join(AUDIO, folder, "*.swift")))
    sources.append(os.path.join(HERE, "main.swift"))
    binary = os.path.join(out_dir, "amd-eval")
    newest = max(os.path.getmtime(path) for path in sources)
    if os.path.exists(binary) and os.path.getmtime(binary) >= newest:
        return binary
    swiftc = shutil.which("swiftc") or "/opt/swift/usr/bin/swiftc"
    os.makedirs(out_dir, exist_ok=True)
    subprocess.run([swiftc, "-O", "-swift-version", "6", "-module-name", "AMDEvaluate", *sources, "-o", binary],
                   check=True)
    return binary


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


def median(values):
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def classification(result):
    for report in result["reports"]:
        if report["decision"] in ("human", "machine", "silence"):
            return report
    return None


def final(result):
    for report in result["reports"]:
        if report["decision"] in ("beep", "greetingEnded"):
            return report
    return None


def evaluate(manifest, results, show_errors):
    humans = [e for e in manifest if e["kind"] == "human"]
    machines = [e for e in manifest if e["kind"] == "machine"]
    rows = {}
    errors = []
    times = {"human": [], "machine": []}
    for entry in manifest:
        result = results[entry["name"]]
        decided = classification(result)
        label = decided["decision"] if decided else "undecided"
        right = label == entry["kind"]
        rows[entry["name"]] = right
        if decided and right:
            times[entry["kind"]].append(decided["decided_ms"])
        if not right:
            errors.append(f"{entry['name']}: {entry['kind']} taken for {label} "
                          f"({decided['reason'] if decided else '-'} at {decided['decided_ms'] if decided else '-'} ms; "
                          f"voice {result['voice_ms']} ms, {result['words']} words) '{entry['text'][:60]}'")
    human_right = sum(rows[e["name"]] for e in humans)
    machine_right = sum(rows[e["name"]] for e in machines)
    all_times = times["human"] + times["machine"]

    beep_errors, beeps_found, beeps_total, false_beeps, early, end_errors, no_end = [], 0, 0, 0, 0, [], 0
    for entry in machines:
        result = results[entry["name"]]
        end = final(result)
        if entry.get("beep_end_ms") is not None:
            beeps_total += 1
            if end and end["decision"] == "beep":
                beeps_found += 1
                beep_errors.append(end["at"] - entry["beep_end_ms"])
            else:
                if show_errors:
                    errors.append(f"{entry['name']}: beep {entry['beep']} at {entry['beep_start_ms']}-{entry['beep_end_ms']} "
                                  f"missed; got {end}")
            if end and end["decided_ms"] < entry["beep_end_ms"]:
                early += 1
        else:
            if end and end["decision"] == "beep":
                false_beeps += 1
                errors.append(f"{entry['name']}: beep reported without one: {result['beep']}")
            if end and end["decision"] == "greetingEnded":
                end_errors.append(end["at"] - entry["speech_end_ms"])
            elif not end:
                no_end += 1
            if end and end["decided_ms"] < entry["speech_end_ms"]:
                early += 1

    def fmt(value):
        return "-" if value is None else f"{value:.0f}"

    print(f"fixtures: {len(humans)} human, {len(machines)} machine")
    print(f"human -> human:      {human_right}/{len(humans)} = {100 * human_right / max(len(humans), 1):.1f} %")
    print(f"machine -> machine:  {machine_right}/{len(machines)} = {100 * machine_right / max(len(machines), 1):.1f} %")
    print(f"time to decision (ms from answer, correct ones): median {fmt(median(all_times))}, p95 {fmt(percentile(all_times, 0.95))}"
          f"; human median {fmt(median(times['human']))} p95 {fmt(percentile(times['human'], 0.95))}"
          f"; machine median {fmt(median(times['machine']))} p95 {fmt(percentile(times['machine'], 0.95))}")
    absolute = [abs(value) for value in beep_errors]
    print(f"beeps found: {beeps_found}/{beeps_total}; end error |ms| median {fmt(median(absolute))}, max {fmt(max(absolute) if absolute else None)}"
          f" (signed median {fmt(median(beep_errors))}); false beeps {false_beeps}")
    print(f"greeting end without beep: {len(end_errors)} reported, {no_end} never; 'at' minus true end ms median {fmt(median(end_errors))}"
          f", max {fmt(max(end_errors) if end_errors else None)}; message start before the greeting or beep was over: {early}")
    if show_errors and errors:
        print("\n".join(["errors:"] + errors))
    return (100 * human_right / max(len(humans), 1), 100 * machine_right / max(len(machines), 1),
            beeps_found, beeps_total, false_beeps)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set-dir", default="/tmp/amd-set")
    parser.add_argument("--split", choices=["tune", "heldout", "all"], default="heldout")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--frame-ms", type=int, default=20)
    parser.add_argument("--build-dir", default="/tmp/amd-eval-build")
    parser.add_argument("--errors", action="store_true", help="list the misclassified fixtures")
    parser.add_argument("--require", type=float, metavar="PERCENT",
                        help="exit 1 unless both accuracies reach PERCENT, every beep is found and none is false")
    args = parser.parse_args()
    manifest_path = os.path.join(args.set_dir, "manifest.jsonl")
    if not os.path.exists(manifest_path):
        sys.exit(f"no set at {args.set_dir}: run python3 Benchmarks/amd/make_set.py --out {args.set_dir}")
    with open(manifest_path, encoding="utf-8") as handle:
        manifest = [json.loads(line) for line in handle if line.strip()]
    if args.split != "all":
        manifest = [entry for entry in manifest if entry["split"] == args.split]
    binary = build(args.build_dir)
    command = [binary, "--frame-ms", str(args.frame_ms)]
    for assignment in args.set:
        command += ["--set", assignment]
    command += [os.path.join(args.set_dir, entry["name"] + "." + entry["law"]) for entry in manifest]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    results = {}
    for line in output.splitlines():
        result = json.loads(line)
        results[result["name"]] = result
    print(f"split: {args.split}; settings: {' '.join(args.set) or 'defaults'}")
    human, machine, found, total, false_beeps = evaluate(manifest, results, args.errors)
    if args.require is not None and (human < args.require or machine < args.require or found < total or false_beeps):
        sys.exit(f"below the requirement of {args.require} % with every beep found and none false")


if __name__ == "__main__":
    main()
