#!/usr/bin/env python3
"""Convert a neutral peer-benchmark workload folder into kubesim inputs.

The input folder holds two CSV files, as written by the neutral cross-simulator workload
generator (see the README, "Neutral peer workloads"):

  workload.csv  pod, arrival_s, duration_s, cpu_milli, memory_bytes   (one pod per row)
  nodes.csv     node, cpu_milli, memory_bytes, pods                   (one node per row)

The output folder (e.g. benches/peer/w1/) receives:

  trace.csv      the native kubesim trace (`format: kubesim`): arrival_ms, duration_ms,
                 cpu_request, memory_request, cpu_limit, memory_limit. Times are converted
                 from decimal seconds to integer milliseconds exactly (decimal arithmetic,
                 rounded half up); durations of less than 1 ms become 1 ms; limits equal the
                 requests (every pod is Guaranteed QoS, as the peers model it).
  scenario.yaml  one node pool per distinct node shape (cpu, memory, pods), in the order of each
                 shape's first node in nodes.csv, with `allocatable` set from the file and an
                 hourly price of 0; the default scheduler; `sampleInterval: 1m`; a duration
                 covering the last finish (arrival + duration, without waiting), rounded up
                 to whole minutes, plus one minute.

Usage:
  scripts/convert_peer_workload.py INPUT_DIR OUTPUT_DIR [--name NAME]

Standard library only. Errors name the file, the line and the column, and exit with code 2.
"""

import argparse
import csv
import os
import sys
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


class ConvertError(Exception):
    pass


def seconds_to_ms(text, path, line, column):
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ConvertError(f"{path}:{line}: column {column}: {text!r} is not a number (seconds)")
    if not value.is_finite() or value < 0:
        raise ConvertError(f"{path}:{line}: column {column}: {text!r} must be >= 0 (seconds)")
    return int((value * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def non_negative_int(text, path, line, column):
    try:
        value = int(text)
    except ValueError:
        raise ConvertError(f"{path}:{line}: column {column}: {text!r} is not an integer")
    if value < 0:
        raise ConvertError(f"{path}:{line}: column {column}: {text!r} must be >= 0")
    return value


def open_csv(path, expected):
    try:
        handle = open(path, newline="")
    except OSError as e:
        raise ConvertError(f"{path}: cannot open: {e.strerror}")
    reader = csv.reader(handle)
    header = next(reader, None)
    if header is None or [h.strip() for h in header] != expected:
        raise ConvertError(f"{path}:1: header {header!r}; expected {','.join(expected)}")
    return handle, reader


def convert_trace(src, dst):
    """Writes the native trace (all or nothing); returns (pods, last finish in ms)."""
    handle, reader = open_csv(src, ["pod", "arrival_s", "duration_s", "cpu_milli", "memory_bytes"])
    tmp = dst + ".tmp"
    try:
        with handle, open(tmp, "w", newline="") as out:
            result = write_trace_rows(src, reader, out)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    os.replace(tmp, dst)
    return result


def write_trace_rows(src, reader, out):
    """Converts the rows of workload.csv; returns (pods, last finish in ms)."""
    pods = 0
    last_finish_ms = 0
    previous_ms = 0
    out.write("arrival_ms,duration_ms,cpu_request,memory_request,cpu_limit,memory_limit\n")
    for line, row in enumerate(reader, start=2):
        if len(row) != 5:
            raise ConvertError(f"{src}:{line}: {len(row)} fields; expected 5")
        arrival = seconds_to_ms(row[1].strip(), src, line, "arrival_s")
        duration = max(1, seconds_to_ms(row[2].strip(), src, line, "duration_s"))
        cpu = non_negative_int(row[3].strip(), src, line, "cpu_milli")
        memory = non_negative_int(row[4].strip(), src, line, "memory_bytes")
        if arrival < previous_ms:
            raise ConvertError(
                f"{src}:{line}: column arrival_s: {row[1]!r} is earlier than the previous row"
            )
        previous_ms = arrival
        last_finish_ms = max(last_finish_ms, arrival + duration)
        out.write(f"{arrival},{duration},{cpu}m,{memory},{cpu}m,{memory}\n")
        pods += 1
    return pods, last_finish_ms


def read_pools(src):
    """Groups nodes.csv by shape: [(cpu_milli, memory_bytes, pods, count)] in first-seen order."""
    handle, reader = open_csv(src, ["node", "cpu_milli", "memory_bytes", "pods"])
    counts = {}
    with handle:
        for line, row in enumerate(reader, start=2):
            if len(row) != 4:
                raise ConvertError(f"{src}:{line}: {len(row)} fields; expected 4")
            shape = (
                non_negative_int(row[1].strip(), src, line, "cpu_milli"),
                non_negative_int(row[2].strip(), src, line, "memory_bytes"),
                non_negative_int(row[3].strip(), src, line, "pods"),
            )
            counts[shape] = counts.get(shape, 0) + 1
    if not counts:
        raise ConvertError(f"{src}: no nodes")
    return [(c, m, p, n) for (c, m, p), n in counts.items()]


def pool_name(cpu_milli, memory_bytes, pods):
    cpu = f"{cpu_milli // 1000}c" if cpu_milli % 1000 == 0 else f"{cpu_milli}m"
    gib = 1 << 30
    mem = f"{memory_bytes // gib}gi" if memory_bytes % gib == 0 else f"{memory_bytes}b"
    return f"n{cpu}-{mem}-{pods}p"


def write_scenario(dst, name, pools, pods, last_finish_ms):
    minutes = -(-last_finish_ms // 60000) + 1
    lines = [
        f"# Generated by scripts/convert_peer_workload.py: {pods} pods on "
        f"{sum(p[3] for p in pools)} nodes. Do not edit; regenerate.",
        f"name: {name}",
        f"duration: {minutes}m",
        "seed: 1",
        "sampleInterval: 1m",
        "",
        "nodePools:",
    ]
    for cpu, memory, max_pods, count in pools:
        lines += [
            f"  - name: {pool_name(cpu, memory, max_pods)}",
            f"    count: {count}",
            f'    allocatable: {{cpu: {cpu}m, memory: "{memory}", pods: {max_pods}}}',
            "    hourlyPrice: 0",
        ]
    lines += [
        "",
        "traces:",
        "  - {name: pod, format: kubesim, path: trace.csv}",
        "",
    ]
    tmp = dst + ".tmp"
    with open(tmp, "w") as out:
        out.write("\n".join(lines))
    os.replace(tmp, dst)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="folder holding workload.csv and nodes.csv")
    parser.add_argument("output", help="folder to write trace.csv and scenario.yaml into")
    parser.add_argument("--name", help="scenario name (default: the output folder's name)")
    args = parser.parse_args()
    name = args.name or os.path.basename(os.path.normpath(args.output))
    try:
        pools = read_pools(os.path.join(args.input, "nodes.csv"))
        os.makedirs(args.output, exist_ok=True)
        pods, last_finish_ms = convert_trace(
            os.path.join(args.input, "workload.csv"), os.path.join(args.output, "trace.csv")
        )
        write_scenario(
            os.path.join(args.output, "scenario.yaml"), name, pools, pods, last_finish_ms
        )
    except ConvertError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    print(f"{args.output}: {pods} pods, {sum(p[3] for p in pools)} nodes in {len(pools)} pools")


if __name__ == "__main__":
    main()
