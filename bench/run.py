#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""`make bench`: runs every benchmark, prints the raw numbers and machine facts, and (unless
--tiny) rewrites docs/benchmarks.md and docs/benchmarks-latency.png. `make test` runs it with
--tiny, a few iterations of each, so the scripts cannot rot."""

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
OUT = os.path.join(REPO, "build", "bench")

FULL = {
    "exec_cost": ["exec_cost.py", "--execs", "5000"],
    "throughput": ["throughput.py", "--execs", "20000", "--rounds", "2"],
    "burst": ["burst.py", "--containers", "50", "--execs", "100000", "--parallel", "4"],
    "latency": ["latency.py", "--containers", "200", "--samples", f"{OUT}/latency.dat"],
    "scale": ["scale.py", "--startup-containers", "100", "--containers", "500"],
    "churn": ["churn.py", "--containers", "300", "--batch", "10"],
    "encode": ["encode.py", "--events", "500000"],
}
TINY = {
    "exec_cost": ["exec_cost.py", "--execs", "200"],
    "throughput": ["throughput.py", "--execs", "200", "--rounds", "1"],
    "burst": ["burst.py", "--containers", "3", "--execs", "200", "--parallel", "2"],
    "latency": ["latency.py", "--containers", "5", "--samples", f"{OUT}/latency.dat"],
    "scale": ["scale.py", "--startup-containers", "2", "--containers", "3"],
    "churn": ["churn.py", "--containers", "6", "--batch", "3"],
    "encode": ["encode.py", "--events", "2000"],
}


def machine_facts():
    ctd = subprocess.run(["containerd", "--version"], stdout=subprocess.PIPE,
                         text=True).stdout.split()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), "?")
    mem = next(int(line.split()[1]) // 1024 for line in open("/proc/meminfo")
               if line.startswith("MemTotal"))
    return {"kernel": platform.release(), "cpus": os.cpu_count(), "cpu": cpu,
            "memory_mib": mem, "containerd": ctd[2] if len(ctd) > 2 else "?",
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")}


def run_all(plan, only):
    results = {}
    for name, argv in plan.items():
        if only and name not in only:
            continue
        out = f"{OUT}/{name}.json"
        cmd = [sys.executable, os.path.join(HERE, argv[0]), *argv[1:], "--json", out]
        print(f"== {name}: {' '.join(['bench/' + argv[0], *argv[1:]])}", flush=True)
        r = subprocess.run(cmd, cwd=HERE)
        if r.returncode != 0 or not os.path.exists(out):
            print(f"FAIL {name} (exit {r.returncode})", flush=True)
            results[name] = None
            continue
        with open(out) as f:
            results[name] = json.load(f)
        print(f"ok   {name}", flush=True)
    return results


def plot_latency(png):
    """A CDF of detection latency; needs gnuplot (gnuplot-nox)."""
    if not shutil.which("gnuplot") or not os.path.exists(f"{OUT}/latency.dat"):
        return False
    script = f"""
set terminal pngcairo size 900,500 font ",11"
set output "{png}"
set title "Container start: kernel event to line received (200 containers)"
set xlabel "latency (ms), log scale"
set ylabel "fraction of containers"
set logscale x
set key bottom right
set grid
stats "{OUT}/latency.dat" index 0 nooutput
n0 = STATS_records
stats "{OUT}/latency.dat" index 1 nooutput
n1 = STATS_records
stats "{OUT}/latency.dat" index 2 nooutput
n2 = STATS_records
plot "{OUT}/latency.dat" index 0 using 1:($0+1)/n0 with steps lw 2 title "ctrwatch, enriched", \\
     "{OUT}/latency.dat" index 1 using 1:($0+1)/n1 with steps lw 2 title "ctrwatch, un-enriched", \\
     "{OUT}/latency.dat" index 2 using 1:($0+1)/n2 with steps lw 2 title "containerd /tasks/start (ctr events)"
"""
    return subprocess.run(["gnuplot"], input=script, text=True).returncode == 0


def get(d, *keys):
    for k in keys:
        if d is None:
            return None
        d = d.get(k) if isinstance(d, dict) else None
    return d


def by_program(rows, label, key):
    for r in rows or []:
        if r["program"] == label:
            return r[key]
    return None


def verdict(ok):
    return "met" if ok else "**missed**"


def write_doc(results, facts, path):
    ec = get(results, "exec_cost", "rows")
    empty_h = by_program(ec, "empty tp_btf", "host_ns_per_exec")
    cw_h = by_program(ec, "ctrwatch", "host_ns_per_exec")
    cw2_h = by_program(ec, "ctrwatch --exec", "host_ns_per_exec")
    cw_c = by_program(ec, "ctrwatch --exec", "container_ns_per_exec")
    snoop_c = by_program(ec, "execsnoop (libbpf-tools)", "container_ns_per_exec")
    bt_c = by_program(ec, "bpftrace one-liner", "container_ns_per_exec")
    tp, bu, la, sc, ch, en = (results.get(k) for k in ("throughput", "burst", "latency", "scale",
                                                       "churn", "encode"))
    host_worst = max(x for x in (cw_h, cw2_h) if x is not None) if ec else None
    rows = [
        ("1a. kernel ns per host exec (filter path)",
         f"{cw_h} / {cw2_h} ns (two instances); empty program {empty_h} ns",
         "≤ 400 ns, ≤ empty + 100", ec and verdict(host_worst <= 400 and
                                                  host_worst - empty_h <= 100),
         "bench/exec_cost.py --execs 5000"),
        ("1b. kernel ns per container exec, `--exec` (record path)",
         f"{cw_c} ns; execsnoop {snoop_c} ns ({snoop_c / cw_c:.0f}×); bpftrace {bt_c} ns"
         if ec and cw_c and snoop_c and bt_c else "n/a",
         "≤ 3 µs, ≥ 5× cheaper than execsnoop",
         ec and cw_c and snoop_c and verdict(cw_c <= 3000 and snoop_c / cw_c >= 5),
         "bench/exec_cost.py --execs 5000"),
        ("1c. kernel ns per container start (record, posture, map update)",
         f"{get(results, 'exec_cost', 'start_ns')} ns, by difference over "
         f"{get(results, 'exec_cost', 'starts')} starts" if ec else "n/a",
         "≤ 3 µs", ec and get(results, "exec_cost", "start_ns") is not None and
         verdict(get(results, "exec_cost", "start_ns") <= 3000),
         "bench/exec_cost.py --execs 5000"),
        ("2. exec throughput kept, host / container `--exec`",
         f"{get(tp, 'host', 'kept')} / {get(tp, 'container', 'kept')} "
         f"(20 000 spawns, 2 alternating rounds)",
         "≥ 0.99 / ≥ 0.97", tp and verdict(tp["host"]["kept"] >= 0.99 and
                                          tp["container"]["kept"] >= 0.97),
         "bench/throughput.py --execs 20000 --rounds 2"),
        ("3a. 50 containers at once",
         f"{get(bu, 'containers_at_once', 'with_all_four_events')}/50 with all four events, "
         f"{get(bu, 'containers_at_once', 'lost')} lost", "all, 0 lost",
         bu and verdict(bu["containers_at_once"]["with_all_four_events"] == 50 and
                        bu["containers_at_once"]["lost"] == 0),
         "bench/burst.py --containers 50 --execs 100000 --parallel 4"),
        ("3b. 100 000 execs in 4 containers, `--exec`",
         f"{get(bu, 'exec_burst', 'printed')}/{get(bu, 'exec_burst', 'expected')} printed, "
         f"{get(bu, 'exec_burst', 'lost')} lost", "0 lost",
         bu and verdict(bu["exec_burst"]["lost"] == 0 and
                        bu["exec_burst"]["printed"] == bu["exec_burst"]["expected"]),
         "bench/burst.py (same run)"),
        ("3c. where loss starts (reader frozen)",
         f"{get(bu, 'frozen_reader', 'printed')} of {get(bu, 'frozen_reader', 'execs')} exec "
         f"records kept, {get(bu, 'frozen_reader', 'lost')} counted lost, "
         f"{get(bu, 'frozen_reader', 'lifecycle_lost')} lifecycle lost",
         "reported", bu and "reported", "bench/burst.py (same run)"),
        ("4. detection latency, container_start, p50 / p99",
         f"enriched {get(la, 'enriched', 'p50_ms')} / {get(la, 'enriched', 'p99_ms')} ms; "
         f"un-enriched {get(la, 'unenriched', 'p50_ms')} / {get(la, 'unenriched', 'p99_ms')} ms; "
         f"containerd's /tasks/start {get(la, 'containerd_events', 'p50_ms')} / "
         f"{get(la, 'containerd_events', 'p99_ms')} ms",
         "p99 ≤ 5 ms enriched, ahead of containerd",
         la and verdict(la["enriched"]["p99_ms"] <= 5 and
                        la["enriched"]["p50_ms"] < la["containerd_events"]["p50_ms"]),
         "bench/latency.py --containers 200"),
        ("5. memory with 500 live containers",
         f"RSS {get(sc, 'rss_kib_loaded')} KiB, of which ring buffer mapping "
         f"{get(sc, 'ringbuf_mapping_kib')} KiB and private {get(sc, 'rss_anon_kib_loaded')} KiB "
         f"(idle: RSS {get(sc, 'rss_kib_idle')}, private {get(sc, 'rss_anon_kib_idle')}); "
         f"BPF maps {round((get(sc, 'bpf_memlock_bytes') or 0) / 1048576, 1)} MiB. "
         f"With `--exec`: RSS {get(sc, 'exec_rss_kib_loaded')} KiB (idle "
         f"{get(sc, 'exec_rss_kib_idle')}, ring buffer mappings "
         f"{get(sc, 'exec_ringbuf_mapping_kib')}), BPF maps "
         f"{round((get(sc, 'exec_bpf_memlock_bytes') or 0) / 1048576, 1)} MiB",
         "≤ 8 MiB RSS (default flags)", sc and verdict(sc["rss_kib_loaded"] <= 8192),
         "bench/scale.py --startup-containers 100 --containers 500"),
        ("6. startup to ready, 0 / 100 running containers",
         f"{get(sc, 'startup_ms_idle')} / {get(sc, 'startup_ms_loaded')} ms",
         "≤ 60 ms with 100", sc and verdict(sc["startup_ms_loaded"] <= 60),
         "bench/scale.py (same run)"),
        ("7. churn, 300 containers 10 at a time",
         f"{get(ch, 'with_all_four_events')}/300 with all four events; "
         f"{get(ch, 'cpu_ms_per_container')} ms userspace CPU per container",
         "all four events", ch and verdict(ch["with_all_four_events"] == 300),
         "bench/churn.py --containers 300 --batch 10"),
        ("8. userspace CPU per event by `--format` (encoding an enriched container_start)",
         "; ".join(f"{f} {get(en, f, 'cpu_ns_per_event')} ns, {get(en, f, 'line_bytes')} B"
                   for f in ("ndjson", "ecs", "ocsf")),
         "reported", en and "reported", "bench/encode.py --events 500000"),
    ]
    lines = [
        "# Benchmarks", "",
        "Written by `make bench` (root), which runs `bench/run.py`; each row names the script "
        "and arguments that produced it. Figures are counters, or ratios from alternating runs, "
        "taken in one run on one machine, so that they hold on a noisy VM.", "",
        f"Machine: Linux {facts['kernel']}, {facts['cpus']} CPUs ({facts['cpu']}), "
        f"{facts['memory_mib']} MiB, containerd {facts['containerd']}; {facts['date']}.", "",
        "| figure | measured | target | | command |", "|---|---|---|---|---|",
    ]
    for fig, measured, target, ok, cmd in rows:
        lines.append(f"| {fig} | {measured} | {target} | {ok or 'not run'} | `{cmd}` |")
    lines += ["", "![latency CDF](benchmarks-latency.png)", "",
              "Raw results: `build/bench/*.json` after a run.", ""]
    notes = os.path.join(HERE, "NOTES.md")
    if os.path.exists(notes):
        lines.append(open(notes).read())
    with open(path, "w") as f:
        f.write("\n".join(lines))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tiny", action="store_true", help="a few iterations; docs untouched")
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("make bench needs root: it loads BPF programs and runs containers",
              file=sys.stderr)
        return 1
    os.makedirs(OUT, exist_ok=True)
    subprocess.run(["make", "-s", "-C", REPO, "ctrwatch"], check=True)
    facts = machine_facts()
    print("machine:", json.dumps(facts), flush=True)
    results = run_all(TINY if args.tiny else FULL, args.only)
    failed = [k for k, v in results.items() if v is None]
    print(f"bench: {len(results) - len(failed)} passed, {len(failed)} failed", flush=True)
    saved = f"{OUT}/{'tiny' if args.tiny else 'results'}.json"
    if args.only and os.path.exists(saved):
        # re-running some figures: keep the others from the last full run
        with open(saved) as f:
            results = {**json.load(f)["results"], **results}
    with open(saved, "w") as f:
        json.dump({"machine": facts, "results": results}, f, indent=1)
    if not args.tiny and all(results.get(k) for k in FULL):
        plot_latency(os.path.join(REPO, "docs", "benchmarks-latency.png"))
        write_doc(results, facts, os.path.join(REPO, "docs", "benchmarks.md"))
        print("wrote docs/benchmarks.md and docs/benchmarks-latency.png")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
