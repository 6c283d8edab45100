#!/usr/bin/env python3
"""Synthesizes the answering machine detection set: phone answers by people and voicemail
greetings by machines, as 8 kHz G.711 the way a call delivers them.

Every phrase of `phrases.txt` is rendered twice (two voices, speeds, levels, line noises), so the
set holds 80 human answers and 80 machine greetings. The split is fixed by the phrase's position
among the phrases of its kind: even positions are the tuning half, odd positions the held-out
half; both renderings of a phrase fall in the same half.

People: 0.2-1.5 s of silence, the answer (sentences joined with 0.3-0.8 s pauses), then 6 s of
silence while they wait for the caller. Machines: 0.1-1.5 s of silence, the greeting (sentences
joined with 0.25-0.9 s pauses), then, seven times in ten, 0.2-1.0 s of silence and a beep
(440-1400 Hz, 0.2-1.0 s, -20 to -6 dBFS peak), then 4 s of silence (5 s without a beep). Half the
fixtures have white line noise at -55 to -40 dBFS, the rest a faint -72 dBFS hiss. Speech is
levelled to -22 to -12 dBFS RMS. Everything random comes from a generator seeded by the
fixture's name: the same command writes the same set.

Writes, into the output directory (default /tmp/amd-set):
  NAME.wav        16-bit linear PCM, 8 kHz mono (before G.711, for listening)
  NAME.ul/.al     the same audio in G.711 u-law (first rendering) or A-law (second), raw bytes
  manifest.jsonl  one line a fixture: name, kind, split, file, law, text, voice and the truth
                  (speech start and end, beep start and end, in ms from the start of the file)

Needs espeak-ng, flite and sox on PATH; Python 3 standard library only.
Usage: python3 Benchmarks/amd/make_set.py [--out DIR] [--jobs N]
"""

import argparse
import array
import concurrent.futures
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import zlib

RATE = 8000
HERE = os.path.dirname(os.path.abspath(__file__))

ESPEAK_VOICES = ["en-us", "en-gb", "en+f3", "en-us+m3", "en-gb-x-rp", "en+f2"]
FLITE_VOICES = ["kal", "slt", "rms", "awb"]


def read_phrases(path):
    humans, machines = [], []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            kind, _, text = line.partition("|")
            (humans if kind == "human" else machines).append(text.strip())
    return humans, machines


def sentences(text):
    parts = [part.strip() for part in re.split(r"(?<=[.?!])\s+", text) if part.strip()]
    return parts or [text]


def synthesize(text, engine, voice, speed, stretch, workdir):
    """The sentence as 8 kHz 16-bit samples (array 'h'), its silent ends trimmed."""
    raw_wav = os.path.join(workdir, "tts.wav")
    if engine == "espeak":
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", raw_wav, text],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:
        subprocess.run(["flite", "-voice", voice, "--setf", f"duration_stretch={stretch:.2f}",
                        "-t", text, "-o", raw_wav],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pcm = os.path.join(workdir, "tts.raw")
    subprocess.run(["sox", "-R", "-D", "-G", raw_wav, "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer",
                    "-t", "raw", pcm], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples = array.array("h")
    with open(pcm, "rb") as handle:
        samples.frombytes(handle.read())
    if sys.byteorder != "little":
        samples.byteswap()
    start, end = audible_span(samples)
    margin = RATE // 50
    return samples[max(0, start - margin):min(len(samples), end + margin)]


def audible_span(samples, threshold_dbfs=-45.0):
    """First and last sample of the 10 ms blocks above the threshold (0, 0 when none is)."""
    block = RATE // 100
    limit = (10 ** (threshold_dbfs / 20) * 32768) ** 2
    loud = [start for start in range(0, len(samples) - block + 1, block)
            if sum(value * value for value in samples[start:start + block]) / block > limit]
    if not loud:
        return 0, 0
    return loud[0], loud[-1] + block


def rms(values):
    return math.sqrt(sum(v * v for v in values) / len(values)) if values else 0.0


def render(kind, index, variant, text):
    name = f"{kind}-{index:02d}-{variant}"
    rng = random.Random(zlib.crc32(name.encode()))
    split = "tune" if index % 2 == 0 else "heldout"
    if rng.random() < 0.5:
        engine, voice = "espeak", rng.choice(ESPEAK_VOICES)
    else:
        engine, voice = "flite", rng.choice(FLITE_VOICES)
    speed = rng.randint(130, 190)
    stretch = rng.uniform(0.85, 1.2)
    with tempfile.TemporaryDirectory() as workdir:
        parts = [synthesize(sentence, engine, voice, speed, stretch, workdir) for sentence in sentences(text)]
    pause = (0.3, 0.8) if kind == "human" else (0.25, 0.9)
    speech = []
    for number, part in enumerate(parts):
        if number:
            speech.extend([0.0] * int(rng.uniform(*pause) * RATE))
        speech.extend(float(value) / 32768 for value in part)
    level = 10 ** (rng.uniform(-22, -12) / 20)
    current = rms(speech)
    if current > 0:
        speech = [value * level / current for value in speech]

    lead = int(rng.uniform(0.2, 1.5) * RATE) if kind == "human" else int(rng.uniform(0.1, 1.5) * RATE)
    signal = [0.0] * lead + speech
    truth = {}
    clean = array.array("h", (int(max(-32768, min(32767, round(v * 32768)))) for v in signal))
    speech_start, speech_end = audible_span(clean)
    truth["speech_start_ms"] = speech_start * 1000 // RATE
    truth["speech_end_ms"] = speech_end * 1000 // RATE
    beep = None
    if kind == "machine" and rng.random() < 0.7:
        gap = int(rng.uniform(0.2, 1.0) * RATE)
        frequency = rng.uniform(440, 1400)
        duration = int(rng.uniform(0.2, 1.0) * RATE)
        peak = 10 ** (rng.uniform(-20, -6) / 20)
        signal.extend([0.0] * max(0, speech_end + gap - len(signal)))
        start = len(signal)
        ramp = RATE // 100
        for n in range(duration):
            envelope = 1.0
            if n < ramp:
                envelope = 0.5 - 0.5 * math.cos(math.pi * n / ramp)
            elif n >= duration - ramp:
                envelope = 0.5 - 0.5 * math.cos(math.pi * (duration - n) / ramp)
            signal.append(peak * envelope * math.sin(2 * math.pi * frequency * n / RATE))
        beep = {"frequency_hz": round(frequency, 1), "level_dbfs": round(20 * math.log10(peak), 1)}
        truth["beep_start_ms"] = start * 1000 // RATE
        truth["beep_end_ms"] = (start + duration) * 1000 // RATE
        signal.extend([0.0] * (4 * RATE))
    else:
        signal.extend([0.0] * ((6 if kind == "human" else 5) * RATE))

    noisy = rng.random() < 0.5
    noise_dbfs = rng.uniform(-55, -40) if noisy else -72.0
    noise_rms = 10 ** (noise_dbfs / 20)
    noise_rng = random.Random(zlib.crc32((name + "/noise").encode()))
    samples = array.array("h", (int(max(-32768, min(32767, round((v + noise_rng.gauss(0, noise_rms)) * 32768))))
                                for v in signal))
    truth["duration_ms"] = len(samples) * 1000 // RATE
    law = "ul" if variant == 0 else "al"
    return name, split, law, samples, {
        "name": name, "kind": kind, "split": split, "law": law, "text": text,
        "voice": f"{engine}:{voice}", "speed": speed if engine == "espeak" else round(stretch, 2),
        "noise_dbfs": round(noise_dbfs, 1), "beep": beep, **truth,
    }


def write(out, name, law, samples):
    wav = os.path.join(out, name + ".wav")
    raw = os.path.join(out, name + ".raw")
    data = array.array("h", samples)
    if sys.byteorder != "little":
        data.byteswap()
    with open(raw, "wb") as handle:
        handle.write(data.tobytes())
    pcm = ["-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", raw]
    # -D: plain G.711 quantisation, without the dither sox adds when it reduces the sample size;
    # -R: repeatable (the same command writes the same bytes); -V1: G.711 clips the loudest
    # peaks of the -12 dBFS voices (its range ends at ±32 124 or ±32 256), which is what a line does.
    subprocess.run(["sox", "-R", "-D", *pcm, wav], check=True)
    subprocess.run(["sox", "-V1", "-R", "-D", *pcm, "-t", law, os.path.join(out, name + "." + law)], check=True)
    os.remove(raw)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="/tmp/amd-set")
    parser.add_argument("--phrases", default=os.path.join(HERE, "phrases.txt"))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    humans, machines = read_phrases(args.phrases)
    jobs = [("human", i, v, t) for i, t in enumerate(humans) for v in (0, 1)]
    jobs += [("machine", i, v, t) for i, t in enumerate(machines) for v in (0, 1)]
    entries = []
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for name, split, law, samples, entry in pool.map(render_job, jobs):
            write(args.out, name, law, samples)
            entries.append(entry)
    with open(os.path.join(args.out, "manifest.jsonl"), "w", encoding="utf-8") as handle:
        for entry in sorted(entries, key=lambda e: e["name"]):
            handle.write(json.dumps(entry, sort_keys=True) + "\n")
    counts = {}
    for entry in entries:
        key = (entry["kind"], entry["split"])
        counts[key] = counts.get(key, 0) + 1
    print(f"{len(entries)} fixtures in {args.out}: " +
          ", ".join(f"{kind}/{split} {count}" for (kind, split), count in sorted(counts.items())))


def render_job(job):
    return render(*job)


if __name__ == "__main__":
    main()
