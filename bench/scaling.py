# scaling.py
#
# Copyright 2026 The libbridge authors
#
# SPDX-License-Identifier: GPL-3.0-or-later

"""bench/run's scaling mode: how the cost of one operation grows with size.

Each workload of bench/bench-scaling.c (spawn, timers, gather, queue, parked)
runs at 10k, 100k and 1M, in libbridge and, with the same sizes, in asyncio
and uvloop (bench/peers/asyncio_scaling.py). Every run is a fresh process; the
figure is the median of the runs, in nanoseconds per operation. The growth of
a workload is its cost at the largest size divided by its cost at the
smallest: 1.0 is perfectly flat. The results are printed as a table, emitted
as JSON lines, and written to scaling.json and scaling.svg in the output
folder; the SVG plot is drawn here, by hand, so no plotting package is needed.
"""

import json
import os
import statistics
import subprocess
import sys
import time

SIZES = (10_000, 100_000, 1_000_000)
WORKLOADS = ("spawn", "timers", "gather", "queue", "parked")
IMPLS = ("libbridge", "asyncio", "uvloop")
GROWTH_TARGET = 1.5            # cost at 1M ≤ 1.5 × cost at 10k
PARKED_KIB_TARGET = 4.4        # RSS per parked task at 1M
RUN_TIMEOUT = 600

COLOURS = {"libbridge": "#1c71d8", "asyncio": "#c01c28", "uvloop": "#e5a50a"}
DASHES = {"spawn": "", "timers": "6,3", "gather": "2,3", "queue": "8,3,2,3", "parked": "1,2"}


def commands(source_dir, build_dir, python):
    peer = os.path.join(source_dir, "bench", "peers", "asyncio_scaling.py")
    return {
        "libbridge": [os.path.join(build_dir, "bench", "bench-scaling")],
        "asyncio": [python, peer, "--loop", "asyncio"],
        "uvloop": [python, peer, "--loop", "uvloop"],
    }


def run_one(command, workload, size, env):
    """One fresh process; returns its JSON object, or raises RuntimeError."""
    try:
        result = subprocess.run(command + [workload, str(size)], capture_output=True,
                                text=True, env=env, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"timed out after {RUN_TIMEOUT} s")
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or [""])[-1]
        raise RuntimeError(f"exit status {result.returncode}: {last}")
    try:
        return json.loads(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RuntimeError(f"no JSON result in {result.stdout!r}")


def measure(cmds, impls, runs, env, log):
    """Returns {(impl, workload, size): {"ns_per_op", "kib_per_task"?}} and a
    dict of errors; runs are interleaved across implementations."""
    samples = {}
    errors = {}
    for workload in WORKLOADS:
        for size in SIZES:
            for round_ in range(runs):
                for impl in impls:
                    key = (impl, workload, size)
                    if key in errors:
                        continue
                    log(f"[bench] scaling {workload} {size}: {impl} run {round_ + 1}/{runs}")
                    try:
                        outcome = run_one(cmds[impl], workload, size, env)
                    except RuntimeError as error:
                        errors[key] = str(error)
                        log(f"[bench] scaling {workload} {size}: {impl} failed: {error}")
                        continue
                    samples.setdefault(key, []).append(outcome)
    figures = {}
    for key, outcomes in samples.items():
        figure = {"ns_per_op": statistics.median(o["value"] for o in outcomes),
                  "runs": len(outcomes)}
        if "kib_per_task" in outcomes[0]:
            figure["kib_per_task"] = statistics.median(o["kib_per_task"] for o in outcomes)
        figures[key] = figure
    return figures, errors


def growth(figures, impl, workload):
    small = figures.get((impl, workload, SIZES[0]))
    large = figures.get((impl, workload, SIZES[-1]))
    if not small or not large:
        return None
    return large["ns_per_op"] / small["ns_per_op"]


def verdicts(figures):
    """[(what, value, target text, "pass"/"MISS")] for libbridge's targets."""
    out = []
    for workload in WORKLOADS:
        value = growth(figures, "libbridge", workload)
        if value is not None:
            out.append((f"{workload} growth 10k→1M", value, f"≤ {GROWTH_TARGET}×",
                        "pass" if value <= GROWTH_TARGET else "MISS"))
    parked = figures.get(("libbridge", "parked", SIZES[-1]))
    if parked and "kib_per_task" in parked:
        value = parked["kib_per_task"]
        out.append(("parked RSS per task at 1M", value, f"≤ {PARKED_KIB_TARGET} KiB",
                    "pass" if value <= PARKED_KIB_TARGET else "MISS"))
    return out


def size_label(size):
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1000}k"


def print_table(figures, impls, header):
    print()
    print(header)
    columns = ["workload", "size"] + [f"{impl} ns/op" for impl in impls] + \
              [f"×{impl}" for impl in impls if impl != "libbridge"]
    rows = []
    for workload in WORKLOADS:
        for size in SIZES:
            row = [workload, size_label(size)]
            mine = figures.get(("libbridge", workload, size))
            for impl in impls:
                figure = figures.get((impl, workload, size))
                row.append(f"{figure['ns_per_op']:.4g}" if figure else "–")
            for impl in impls:
                if impl == "libbridge":
                    continue
                figure = figures.get((impl, workload, size))
                row.append(f"{figure['ns_per_op'] / mine['ns_per_op']:.1f}"
                           if figure and mine else "–")
            rows.append(row)
        row = [workload, "growth"]
        for impl in impls:
            value = growth(figures, impl, workload)
            row.append(f"{value:.2f}×" if value is not None else "–")
        row += [""] * (len(columns) - len(row))
        rows.append(row)
    widths = [max(len(str(r[i])) for r in rows + [columns]) for i in range(len(columns))]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
    print()
    for what, value, target, status in verdicts(figures):
        print(f"{what:32} {value:8.3f}  target {target:12} {status}")


def svg_plot(figures, impls, title):
    """A log-log plot of ns/op against size, one line per implementation and
    workload, as an SVG document."""
    width, height = 720, 440
    left, right, top, bottom = 70, 170, 40, 50
    values = [f["ns_per_op"] for f in figures.values()]
    if not values:
        return None
    import math
    low = 10 ** math.floor(math.log10(min(values)))
    high = 10 ** math.ceil(math.log10(max(values)))
    decades = max(1, round(math.log10(high / low)))

    def x_of(size):
        span = math.log10(SIZES[-1] / SIZES[0])
        return left + (width - left - right) * math.log10(size / SIZES[0]) / span

    def y_of(value):
        return top + (height - top - bottom) * (1 - math.log10(value / low) / decades)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{width / 2 - right / 2}" y="22" text-anchor="middle" '
             f'font-size="14">{title}</text>']
    for d in range(decades + 1):
        value = low * 10 ** d
        y = y_of(value)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                     f'stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{value:g}</text>')
    for size in SIZES:
        x = x_of(size)
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - bottom}" '
                     f'stroke="#ddd"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - bottom + 18}" text-anchor="middle">'
                     f'{size_label(size)}</text>')
    parts.append(f'<text x="{(left + width - right) / 2}" y="{height - 10}" '
                 f'text-anchor="middle">operations</text>')
    parts.append(f'<text x="16" y="{(top + height - bottom) / 2}" text-anchor="middle" '
                 f'transform="rotate(-90 16 {(top + height - bottom) / 2})">ns per operation'
                 f' (log)</text>')
    legend_y = top
    for impl in impls:
        for workload in WORKLOADS:
            points = [(x_of(s), y_of(figures[(impl, workload, s)]["ns_per_op"]))
                      for s in SIZES if (impl, workload, s) in figures]
            if len(points) < 2:
                continue
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            dash = f' stroke-dasharray="{DASHES[workload]}"' if DASHES[workload] else ""
            parts.append(f'<polyline points="{path}" fill="none" stroke="{COLOURS[impl]}" '
                         f'stroke-width="2"{dash}/>')
            lx = width - right + 12
            parts.append(f'<line x1="{lx}" y1="{legend_y}" x2="{lx + 28}" y2="{legend_y}" '
                         f'stroke="{COLOURS[impl]}" stroke-width="2"{dash}/>')
            parts.append(f'<text x="{lx + 34}" y="{legend_y + 4}">{impl} {workload}</text>')
            legend_y += 16
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def run(source_dir, build_dir, python, runs, peers, output_dir, machine, emit, log):
    """The whole scaling mode; returns (a run failed, a target was missed)."""
    impls = IMPLS if peers else ("libbridge",)
    cmds = commands(source_dir, build_dir, python)
    env = dict(os.environ)
    env.pop("BRIDGE_DEBUG", None)
    started = time.strftime("%Y-%m-%d %H:%M %Z")
    load_before = os.getloadavg()[0]
    figures, errors = measure(cmds, impls, runs, env, log)

    for (impl, workload, size), figure in sorted(figures.items()):
        emit({"workload": f"scaling-{workload}", "impl": impl, "n": size,
              "unit": "ns/op", "value": round(figure["ns_per_op"], 3),
              **({"kib_per_task": round(figure["kib_per_task"], 3)}
                 if "kib_per_task" in figure else {}),
              "runs": figure["runs"]})
    for (impl, workload, size), error in sorted(errors.items()):
        emit({"workload": f"scaling-{workload}", "impl": impl, "n": size, "missing": error})

    header = (f"libbridge scaling, {started}, {machine}; median of {runs}; "
              f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print_table(figures, impls, header)

    os.makedirs(output_dir, exist_ok=True)
    document = {
        "started": started, "machine": machine, "runs": runs,
        "sizes": list(SIZES),
        "figures": [{"impl": i, "workload": w, "n": s, **f}
                    for (i, w, s), f in sorted(figures.items())],
        "growth": {impl: {w: growth(figures, impl, w) for w in WORKLOADS} for impl in impls},
        "targets": [{"what": what, "value": value, "target": target, "status": status}
                    for what, value, target, status in verdicts(figures)],
        "missing": [{"impl": i, "workload": w, "n": s, "error": e}
                    for (i, w, s), e in sorted(errors.items())],
    }
    with open(os.path.join(output_dir, "scaling.json"), "w") as f:
        json.dump(document, f, indent=2)
        f.write("\n")
    plot = svg_plot(figures, impls, f"Cost per operation against size ({machine.split(',')[0]})")
    if plot:
        with open(os.path.join(output_dir, "scaling.svg"), "w") as f:
            f.write(plot)
    log(f"[bench] scaling: wrote {output_dir}/scaling.json and scaling.svg")

    return bool(errors), any(status == "MISS" for *_, status in verdicts(figures))
