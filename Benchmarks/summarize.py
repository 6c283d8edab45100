#!/usr/bin/env python3
"""Summarises one benchmark run of the Switchboard hub (see run.sh).

Reads the loadgen JSON files in a run directory, takes the median over rounds of each
figure, compares the hub with the reference relay, writes summary.json into the directory
and prints a Markdown report on stdout.

Usage: summarize.py RUN_DIR
"""
import glob
import json
import os
import re
import statistics
import sys

TARGET_CPU_RATIO = 0.75        # hub CPU per relayed frame / reference's
LATENCY_TARGET_SESSIONS = (50, 200)  # hub p50/p99 <= reference's at these counts
TARGET_IDLE_KIB = 64.0         # RSS per idle session
TARGET_IDLE_SESSIONS = 10000   # idle sessions held
TARGET_OPEN_RATE = 2000.0      # sessions opened per second
LAG_WARN_US = 1000.0           # generator late by more than this at p99: it may be the bottleneck
INTERFERENCE_WARN = 0.25       # cores used by processes other than the ones measured

PATH_NAMES = {"direct": "direct (no relay)", "ref": "reference relay (libwebsockets)",
              "hub": "hub (switchboard)"}


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def med(values):
    values = [v for v in values if v is not None and v >= 0]
    return statistics.median(values) if values else None


def watch(d, label):
    for w in d.get("watch", []):
        if w.get("label") == label:
            return w
    return {}


def fmt(v, nd=2, unit=""):
    if v is None:
        return "–"
    return f"{v:.{nd}f}{unit}"


def ratio(a, b):
    if a is None or b is None or b <= 0:
        return None
    return a / b


def mark(ok):
    if ok is None:
        return "n/a"
    return "PASS" if ok else "FAIL"


def main():
    run = sys.argv[1]
    env = load(os.path.join(run, "env.json")) or {}

    # ---------------------------------------------------------------- latency runs
    runs = {}
    for f in sorted(glob.glob(os.path.join(run, "latency-*-r*.json"))):
        m = re.match(r"latency-(\w+)-(\d+)-r(\d+)\.json$", os.path.basename(f))
        d = load(f)
        if not m or not d:
            continue
        runs.setdefault((m.group(1), int(m.group(2))), []).append(d)

    latency = []
    notes = []
    for (path, n), ds in sorted(runs.items(), key=lambda kv: (kv[0][1], list(PATH_NAMES).index(kv[0][0]))):
        rows = []
        for d in ds:
            rw = watch(d, "relay")
            win = d.get("window_s") or 0
            accounted = (d.get("loadgen_cpu_pct", 0) / 100.0 +
                         sum((w.get("cpu_s", 0) or 0) for w in d.get("watch", [])) / win) if win else 0
            busy = d.get("machine_busy_cores")
            rows.append({
                "p50": d.get("p50"), "p99": d.get("p99"), "p99.9": d.get("p99.9"),
                "sent": d.get("sent"), "received": d.get("received"), "lost": d.get("lost"),
                "ready": d.get("sessions_ready"), "closed": d.get("sessions_closed_during_run"),
                "cpu_us_per_frame": rw.get("cpu_us_per_relayed_frame"),
                "cpu_pct": rw.get("cpu_pct"),
                "rss_kib": rw.get("rss_kib_end"),
                "lag_p99_us": d.get("send_lag_us", {}).get("p99"),
                "loadgen_cpu_pct": d.get("loadgen_cpu_pct"),
                "interference_cores": (busy - accounted) if busy is not None and busy >= 0 else None,
            })
        agg = {k: med([r[k] for r in rows]) for k in rows[0]}
        agg["lost"] = sum((r["lost"] or 0) for r in rows)
        agg["rounds"] = len(rows)
        agg["path"] = path
        agg["sessions"] = n
        agg["per_round"] = rows
        latency.append(agg)
        if any((r["ready"] or 0) < n for r in rows):
            notes.append(f"{path} at {n} sessions: not every session opened in some round")
        if agg["lost"]:
            notes.append(f"{path} at {n} sessions: {agg['lost']} appends got no answer (all rounds)")
        if any((r["closed"] or 0) > 0 for r in rows):
            notes.append(f"{path} at {n} sessions: sessions were closed during a run")
        if (agg["lag_p99_us"] or 0) > LAG_WARN_US:
            notes.append(f"{path} at {n} sessions: the load generator sent late (p99 lag "
                         f"{agg['lag_p99_us']:.0f} µs): figures understate the load")
        if agg["interference_cores"] is not None and agg["interference_cores"] > INTERFERENCE_WARN:
            notes.append(f"{path} at {n} sessions: other processes used {agg['interference_cores']:.2f} "
                         f"cores during the window: figures are noisy")

    by = {(a["path"], a["sessions"]): a for a in latency}
    counts = sorted({a["sessions"] for a in latency})
    comparisons = []
    for n in counts:
        h, r = by.get(("hub", n)), by.get(("ref", n))
        if not h or not r:
            continue
        comparisons.append({
            "sessions": n,
            "cpu_per_frame_ratio": ratio(h["cpu_us_per_frame"], r["cpu_us_per_frame"]),
            "p50_ratio": ratio(h["p50"], r["p50"]),
            "p99_ratio": ratio(h["p99"], r["p99"]),
            "rss_ratio": ratio(h["rss_kib"], r["rss_kib"]),
        })

    # ---------------------------------------------------------------- idle and open rate
    idle = {}
    for p in ("ref", "hub"):
        d = load(os.path.join(run, f"idle-{p}.json"))
        if d:
            w = watch(d, "relay")
            idle[p] = {"sessions": d.get("sessions"), "opened": d.get("opened"),
                       "failed": d.get("failed"), "open_seconds": d.get("open_seconds"),
                       "held": d.get("held"), "open_at_end": d.get("open_at_end"),
                       "rss_kib_before": w.get("rss_kib_before"), "rss_kib_after": w.get("rss_kib_after"),
                       "kib_per_session": w.get("rss_kib_per_session")}
    opens = {}
    for p in ("direct", "ref", "hub"):
        d = load(os.path.join(run, f"open-{p}.json"))
        if d:
            opens[p] = {"sessions": d.get("sessions"), "opened": d.get("opened"), "failed": d.get("failed"),
                        "per_second": d.get("per_second"), "seconds": d.get("seconds"),
                        "open_p50_ms": d.get("open_latency_ms", {}).get("p50"),
                        "open_p99_ms": d.get("open_latency_ms", {}).get("p99")}

    # ---------------------------------------------------------------- targets
    targets = []
    cpu_ratios = [c["cpu_per_frame_ratio"] for c in comparisons if c["cpu_per_frame_ratio"] is not None]
    targets.append({"target": f"hub CPU per relayed frame <= {TARGET_CPU_RATIO}x the reference's",
                    "value": ", ".join(f"{c['sessions']}: {fmt(c['cpu_per_frame_ratio'])}x" for c in comparisons) or None,
                    "ok": (all(r <= TARGET_CPU_RATIO for r in cpu_ratios) if cpu_ratios else None)})
    lat_checks = [c for c in comparisons if c["sessions"] in LATENCY_TARGET_SESSIONS]
    lat_ok = None
    if lat_checks:
        lat_ok = all(c["p50_ratio"] is not None and c["p99_ratio"] is not None and
                     c["p50_ratio"] <= 1.0 and c["p99_ratio"] <= 1.0 for c in lat_checks)
    targets.append({"target": "hub p50 and p99 <= the reference's at 50 and 200 sessions",
                    "value": ", ".join(f"{c['sessions']}: p50 {fmt(c['p50_ratio'])}x, p99 {fmt(c['p99_ratio'])}x"
                                       for c in lat_checks) or None,
                    "ok": lat_ok})
    hi = idle.get("hub")
    targets.append({"target": f"<= {TARGET_IDLE_KIB:.0f} KiB RSS per idle hub session",
                    "value": f"{fmt(hi['kib_per_session'], 1)} KiB" if hi else None,
                    "ok": (hi["kib_per_session"] is not None and 0 <= hi["kib_per_session"] <= TARGET_IDLE_KIB) if hi else None})
    idle_req = env.get("idle_requested", TARGET_IDLE_SESSIONS)
    idle_used = env.get("idle_used", idle_req)
    held_value = None
    held_ok = None
    if hi:
        held_value = f"{hi['open_at_end']} of {hi['sessions']} held"
        required = TARGET_IDLE_SESSIONS
        if idle_used < idle_req:
            required = idle_used
            held_value += (f" (capped from {idle_req}: the open-files limit {env.get('nofile')} allows "
                           f"2 descriptors per relayed session; judged on the capped count)")
        held_ok = bool(hi["held"]) and (hi["sessions"] or 0) >= required
    targets.append({"target": f"{TARGET_IDLE_SESSIONS} idle hub sessions held",
                    "value": held_value, "ok": held_ok})
    ho = opens.get("hub")
    targets.append({"target": f">= {TARGET_OPEN_RATE:.0f} hub sessions opened per second",
                    "value": f"{fmt(ho['per_second'], 0)}/s" if ho else None,
                    "ok": (ho["per_second"] or 0) >= TARGET_OPEN_RATE if ho else None})

    summary = {"env": env, "latency": latency, "hub_vs_reference": comparisons, "idle": idle,
               "open_rate": opens, "targets": targets, "notes": notes}
    with open(os.path.join(run, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)

    # ---------------------------------------------------------------- Markdown
    out = []
    out.append(f"# Switchboard audio fast path — run {env.get('run_id', os.path.basename(run))}")
    out.append("")
    out.append(f"{env.get('nproc', '?')} cores, kernel {env.get('kernel', '?')}, libwebsockets "
               f"{env.get('lws_version', '?')} (event loop: {env.get('evlib', '?')}); "
               f"{env.get('rate', 50)} appends/s per session (~1 KB each); warm-up "
               f"{env.get('warmup_s', '?')} s, window {env.get('duration_s', '?')} s; medians of "
               f"{env.get('rounds', '?')} rounds, paths alternating. Relay CPU = utime+stime over the "
               f"window / (appends forwarded + deltas forwarded).")
    out.append("")
    out.append("| sessions | path | p50 ms | p99 ms | p99.9 ms | lost | relay CPU µs/frame | relay CPU % | relay RSS MiB | loadgen lag p99 µs |")
    out.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for a in latency:
        out.append(f"| {a['sessions']} | {PATH_NAMES.get(a['path'], a['path'])} | {fmt(a['p50'], 3)} | "
                   f"{fmt(a['p99'], 3)} | {fmt(a['p99.9'], 3)} | {a['lost']} | "
                   f"{fmt(a['cpu_us_per_frame'], 1) if a['path'] != 'direct' else '–'} | "
                   f"{fmt(a['cpu_pct'], 1) if a['path'] != 'direct' else '–'} | "
                   f"{fmt(a['rss_kib'] / 1024 if a['rss_kib'] else None, 1) if a['path'] != 'direct' else '–'} | "
                   f"{fmt(a['lag_p99_us'], 0)} |")
    out.append("")
    if comparisons:
        out.append("## Hub / reference relay (lower is better)")
        out.append("")
        out.append("| sessions | CPU per frame | p50 | p99 | RSS |")
        out.append("|---:|---:|---:|---:|---:|")
        for c in comparisons:
            out.append(f"| {c['sessions']} | {fmt(c['cpu_per_frame_ratio'])}x | {fmt(c['p50_ratio'])}x | "
                       f"{fmt(c['p99_ratio'])}x | {fmt(c['rss_ratio'])}x |")
        out.append("")
    if idle:
        out.append("## Idle sessions")
        out.append("")
        out.append("| relay | sessions | opened | held | open time s | RSS before MiB | RSS after MiB | KiB per session |")
        out.append("|---|---:|---:|---|---:|---:|---:|---:|")
        for p, i in idle.items():
            out.append(f"| {PATH_NAMES[p]} | {i['sessions']} | {i['opened']} | {'yes' if i['held'] else 'no'} | "
                       f"{fmt(i['open_seconds'])} | {fmt((i['rss_kib_before'] or 0) / 1024, 1)} | "
                       f"{fmt((i['rss_kib_after'] or 0) / 1024, 1)} | {fmt(i['kib_per_session'], 1)} |")
        out.append("")
    if opens:
        out.append("## Sessions opened per second")
        out.append("")
        out.append("| path | sessions | opened | failed | per second | open p50 ms | open p99 ms |")
        out.append("|---|---:|---:|---:|---:|---:|---:|")
        for p, o in opens.items():
            out.append(f"| {PATH_NAMES[p]} | {o['sessions']} | {o['opened']} | {o['failed']} | "
                       f"{fmt(o['per_second'], 0)} | {fmt(o['open_p50_ms'])} | {fmt(o['open_p99_ms'])} |")
        out.append("")
    out.append("## Targets")
    out.append("")
    for t in targets:
        out.append(f"- **{mark(t['ok'])}** {t['target']}: {t['value'] if t['value'] else 'not measured'}")
    if notes:
        out.append("")
        out.append("## Notes")
        out.append("")
        for n in notes:
            out.append(f"- {n}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
