#!/usr/bin/env python3
"""Summarises one benchmark run of the Switchboard hub (see run.sh).

Reads the loadgen JSON files in a run directory, takes the median over rounds of each
figure, compares each hub variant (`hub`: one event loop; `hub-default`: the hub's default,
one loop per core) with the reference relay, writes summary.json into the directory and
prints a Markdown report on stdout. Runs from before the variants (only `hub`) still work:
a variant that was not measured is not shown.

Usage: summarize.py RUN_DIR            full Markdown report (and summary.json)
       summarize.py --ratios RUN_DIR   compact hub / reference ratio table (perf smoke)
"""
import glob
import json
import os
import re
import statistics
import sys

# hub CPU per relayed frame / reference's, by the reference's event loop (env.json "evlib"):
# lws's default poll() loop costs about twice as much per frame as epoll.
TARGET_CPU_RATIO = {"poll": 0.5, "ev": 0.75}
TARGET_CPU_RATIO_OTHER = 0.75  # any other (or unrecorded) event loop
TARGET_LATENCY_RATIO = 1.0     # hub p99 and p99.9 <= the reference's, at every session count
TARGET_IDLE_KIB = 64.0         # RSS per idle session
TARGET_IDLE_SESSIONS = 10000   # idle sessions held
TARGET_OPEN_RATE = 2000.0      # sessions opened per second
LAG_WARN_US = 1000.0           # generator late by more than this at p99: it may be the bottleneck
INTERFERENCE_WARN = 0.25       # cores used by processes other than the ones measured

PATH_NAMES = {"direct": "direct (no relay)", "ref": "reference relay (libwebsockets)",
              "hub": "hub (switchboard, 1 event loop)",
              "hub-default": "hub (switchboard, default: 1 event loop per core)"}
HUB_VARIANTS = ("hub", "hub-default")
VARIANT_NAMES = {"hub": "hub (1 event loop)", "hub-default": "hub-default (1 loop per core)"}
LATENCY_KEYS = ("p99", "p99.9")


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


def all_ok(oks):
    """False if any check failed, None if none was measured or one is missing, else True."""
    if any(ok is False for ok in oks):
        return False
    if not oks or any(ok is None for ok in oks):
        return None
    return True


def path_order(path):
    order = ["direct", "ref", *HUB_VARIANTS]
    return (order.index(path), path) if path in order else (len(order), path)


def cpu_target(env):
    evlib = env.get("evlib")
    return TARGET_CPU_RATIO.get(evlib, TARGET_CPU_RATIO_OTHER), evlib or "unrecorded"


def commit_of(env):
    return env.get("commit") or "not recorded"


def run_title(run, env):
    run_id = env.get("run_id", os.path.basename(os.path.normpath(run)))
    return f"perf smoke {run_id}" if env.get("smoke") else f"run {run_id}"


def print_ratios(run, env, comparisons, variants, ref_counts, cpu_limit, evlib, vnames, notes):
    """The perf smoke's compact table: each hub variant / the reference, lower is better."""
    rounds = env.get("rounds", "?")
    print(f"{run_title(run, env)}, commit {commit_of(env)}: hub / reference relay (on {evlib}), "
          f"lower is better; {rounds} round(s) of {env.get('duration_s', '?')} s")
    by = {(c["variant"], c["sessions"]): c for c in comparisons}
    if not variants or not ref_counts:
        print("no hub and reference runs to compare")
    else:
        width = max(len(vnames[v]) for v in variants)
        print(f"{'sessions':>8}  {'variant':<{width}}  {'CPU/frame':>9}  {'p50':>6}  {'p99':>6}  {'p99.9':>6}  targets")
        for n, v in ((n, v) for n in ref_counts for v in variants):
            c = by.get((v, n))
            if c is None:
                print(f"{n:>8}  {vnames[v]:<{width}}  not measured")
                continue
            misses = [label for label, key in ((f"CPU>{cpu_limit}x", "cpu"), ("p99", "p99"), ("p99.9", "p99.9"))
                      if c["ok"][key] is False]
            unknown = any(ok is None for ok in c["ok"].values())
            verdict = "miss: " + ", ".join(misses) if misses else ("n/a" if unknown else "met")
            print(f"{c['sessions']:>8}  {vnames[c['variant']]:<{width}}  "
                  f"{fmt(c['cpu_per_frame_ratio'], 2, 'x'):>9}  {fmt(c['p50_ratio'], 2, 'x'):>6}  "
                  f"{fmt(c['p99_ratio'], 2, 'x'):>6}  {fmt(c['p99.9_ratio'], 2, 'x'):>6}  {verdict}")
    for n in notes:
        print(f"note: {n}")


def main():
    args = sys.argv[1:]
    ratios_only = "--ratios" in args
    args = [a for a in args if a != "--ratios"]
    if len(args) != 1:
        sys.exit("usage: summarize.py [--ratios] RUN_DIR")
    run = args[0]
    env = load(os.path.join(run, "env.json")) or {}
    names, vnames = dict(PATH_NAMES), dict(VARIANT_NAMES)
    if "hub_variants" not in env:
        # a run from before the variants: `hub` ran with HUB_ARGS (then "--event-loops 1" by default)
        hub_args = env.get("hub_args")
        names["hub"] = f"hub (switchboard, {hub_args})" if hub_args else "hub (switchboard)"
        vnames["hub"] = f"hub ({hub_args})" if hub_args else "hub"

    # ---------------------------------------------------------------- latency runs
    runs = {}
    for f in sorted(glob.glob(os.path.join(run, "latency-*-r*.json"))):
        m = re.match(r"latency-([\w-]+?)-(\d+)-r(\d+)\.json$", os.path.basename(f))
        d = load(f)
        if not m or not d:
            continue
        runs.setdefault((m.group(1), int(m.group(2))), []).append(d)

    latency = []
    notes = []
    for (path, n), ds in sorted(runs.items(), key=lambda kv: (kv[0][1], path_order(kv[0][0]))):
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
    # the variants measured, and those the run meant to measure (env.json; judged "not measured")
    planned = (env.get("hub_variants") or "").split()
    variants = [v for v in HUB_VARIANTS if v in planned or any(a["path"] == v for a in latency)]
    comparisons = []
    for n in counts:
        for v in variants:
            h, r = by.get((v, n)), by.get(("ref", n))
            if not h or not r:
                continue
            comparisons.append({
                "variant": v,
                "sessions": n,
                "cpu_per_frame_ratio": ratio(h["cpu_us_per_frame"], r["cpu_us_per_frame"]),
                "p50_ratio": ratio(h["p50"], r["p50"]),
                "p99_ratio": ratio(h["p99"], r["p99"]),
                "p99.9_ratio": ratio(h["p99.9"], r["p99.9"]),
                "rss_ratio": ratio(h["rss_kib"], r["rss_kib"]),
                "hub_cpu_us_per_frame": h["cpu_us_per_frame"], "ref_cpu_us_per_frame": r["cpu_us_per_frame"],
                "hub_p99": h["p99"], "ref_p99": r["p99"],
                "hub_p99.9": h["p99.9"], "ref_p99.9": r["p99.9"],
            })
    ref_counts = [n for n in counts if ("ref", n) in by]
    cpu_limit, evlib = cpu_target(env)
    for c in comparisons:
        cr = c["cpu_per_frame_ratio"]
        c["ok"] = {"cpu": None if cr is None else cr <= cpu_limit}
        for k in LATENCY_KEYS:
            lr = c[f"{k}_ratio"]
            c["ok"][k] = None if lr is None else lr <= TARGET_LATENCY_RATIO

    if ratios_only:
        print_ratios(run, env, comparisons, variants, ref_counts, cpu_limit, evlib, vnames, notes)
        return

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
    miss = lambda ok: " (miss)" if ok is False else ""  # noqa: E731
    for v in variants:
        # every session count the reference ran at; one the variant lacks is "not measured"
        cs = {c["sessions"]: c for c in comparisons if c["variant"] == v}

        def value(n, text):
            return f"{n}: {text(cs[n])}" if n in cs else f"{n}: not measured"

        targets.append({
            "variant": v, "check": "cpu",
            "target": f"{vnames[v]}: CPU per relayed frame <= {cpu_limit}x the reference's "
                      f"(reference on {evlib})",
            "value": ", ".join(value(n, lambda c: f"{fmt(c['cpu_per_frame_ratio'])}x{miss(c['ok']['cpu'])}")
                               for n in ref_counts) or None,
            "ok": all_ok([cs[n]["ok"]["cpu"] if n in cs else None for n in ref_counts])})
        for k in LATENCY_KEYS:
            targets.append({
                "variant": v, "check": k,
                "target": f"{vnames[v]}: {k} <= the reference's",
                "value": ", ".join(value(n, lambda c: f"{fmt(c[f'{k}_ratio'])}x ({fmt(c[f'hub_{k}'], 3)} vs "
                                                      f"{fmt(c[f'ref_{k}'], 3)} ms){miss(c['ok'][k])}")
                                   for n in ref_counts) or None,
                "ok": all_ok([cs[n]["ok"][k] if n in cs else None for n in ref_counts])})
    hi = idle.get("hub")
    # idle and open rate: the one-loop hub (run.sh measures no other variant there)
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
    out.append(f"# Switchboard audio fast path — {run_title(run, env)}, commit {commit_of(env)}")
    out.append("")
    out.append(f"{env.get('nproc', '?')} cores, kernel {env.get('kernel', '?')}, libwebsockets "
               f"{env.get('lws_version', '?')} (event loop: {env.get('evlib', '?')}); "
               f"{env.get('rate', 50)} appends/s per session (~1 KB each); warm-up "
               f"{env.get('warmup_s', '?')} s, window {env.get('duration_s', '?')} s; medians of "
               f"{env.get('rounds', '?')} rounds, paths in rotating order. Relay CPU = utime+stime over the "
               f"window / (appends forwarded + deltas forwarded).")
    if env.get("hub_variants"):
        extra = f" `{env['hub_args']}`" if env.get("hub_args") else " none"
        out.append("")
        out.append(f"Hub variants: `hub` = `serve --event-loops 1` (one loop, like the reference relay); "
                   f"`hub-default` = `serve` without `--event-loops` (one loop per core). Extra hub "
                   f"arguments (HUB_ARGS):{extra}. Idle and open-rate tests use `hub`.")
    out.append("")
    out.append("| sessions | path | p50 ms | p99 ms | p99.9 ms | lost | relay CPU µs/frame | relay CPU % | relay RSS MiB | loadgen lag p99 µs |")
    out.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for a in latency:
        out.append(f"| {a['sessions']} | {names.get(a['path'], a['path'])} | {fmt(a['p50'], 3)} | "
                   f"{fmt(a['p99'], 3)} | {fmt(a['p99.9'], 3)} | {a['lost']} | "
                   f"{fmt(a['cpu_us_per_frame'], 1) if a['path'] != 'direct' else '–'} | "
                   f"{fmt(a['cpu_pct'], 1) if a['path'] != 'direct' else '–'} | "
                   f"{fmt(a['rss_kib'] / 1024 if a['rss_kib'] else None, 1) if a['path'] != 'direct' else '–'} | "
                   f"{fmt(a['lag_p99_us'], 0)} |")
    out.append("")
    if comparisons:
        out.append("## Hub / reference relay (lower is better)")
        out.append("")
        out.append("| sessions | hub variant | CPU per frame | p50 | p99 | p99.9 | p99 ms hub / ref | p99.9 ms hub / ref | RSS |")
        out.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
        for c in comparisons:
            out.append(f"| {c['sessions']} | {vnames[c['variant']]} | {fmt(c['cpu_per_frame_ratio'])}x | "
                       f"{fmt(c['p50_ratio'])}x | {fmt(c['p99_ratio'])}x | {fmt(c['p99.9_ratio'])}x | "
                       f"{fmt(c['hub_p99'], 3)} / {fmt(c['ref_p99'], 3)} | "
                       f"{fmt(c['hub_p99.9'], 3)} / {fmt(c['ref_p99.9'], 3)} | {fmt(c['rss_ratio'])}x |")
        out.append("")
    if idle:
        out.append("## Idle sessions")
        out.append("")
        out.append("| relay | sessions | opened | held | open time s | RSS before MiB | RSS after MiB | KiB per session |")
        out.append("|---|---:|---:|---|---:|---:|---:|---:|")
        for p, i in idle.items():
            out.append(f"| {names[p]} | {i['sessions']} | {i['opened']} | {'yes' if i['held'] else 'no'} | "
                       f"{fmt(i['open_seconds'])} | {fmt((i['rss_kib_before'] or 0) / 1024, 1)} | "
                       f"{fmt((i['rss_kib_after'] or 0) / 1024, 1)} | {fmt(i['kib_per_session'], 1)} |")
        out.append("")
    if opens:
        out.append("## Sessions opened per second")
        out.append("")
        out.append("| path | sessions | opened | failed | per second | open p50 ms | open p99 ms |")
        out.append("|---|---:|---:|---:|---:|---:|---:|")
        for p, o in opens.items():
            out.append(f"| {names[p]} | {o['sessions']} | {o['opened']} | {o['failed']} | "
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
