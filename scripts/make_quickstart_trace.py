#!/usr/bin/env python3
"""Derives scenarios/data/alibaba-v2017-batch-2h.csv (kubesim native trace format) from
Alibaba cluster-trace-v2017 batch_task.csv.

Selection: Terminated tasks with cpu and memory requests, created in [20000 s, 27200 s) of the
trace (a 2-hour window), every 8th task in creation order. One pod per task.
Conversion: arrival_ms = (create - 20000) * 1000; duration_ms = max(1, end - create) * 1000;
cpu_request = cpus_per_instance / 100 cores (cluster-trace-v2018 convention: 100 = 1 core);
memory_request = normalized memory x 96 GiB (the v2017 trace publishes only normalized memory;
96 GiB is an assumption); group = job id.

Usage: python3 scripts/make_quickstart_trace.py PATH/TO/alibaba-v2017_batch_task.csv > OUT.csv
"""
import csv
import sys

WINDOW_START, WINDOW_END, STRIDE = 20000, 27200, 8
GIB = 1024 ** 3

rows = []
with open(sys.argv[1], newline="") as f:
    reader = csv.reader(f)
    next(reader)
    for r in reader:
        r = [x.strip() for x in r]
        if r[5] != "Terminated" or not r[6] or not r[7]:
            continue
        create, end = int(r[0]), int(r[1])
        if WINDOW_START <= create < WINDOW_END:
            rows.append((create, end, int(r[2]), int(r[3]), int(r[6]), float(r[7])))
rows.sort()
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["arrival_ms", "duration_ms", "cpu_request", "memory_request", "group"])
for create, end, job, task, cpus, mem in rows[::STRIDE]:
    out.writerow([
        (create - WINDOW_START) * 1000,
        max(1, end - create) * 1000,
        f"{cpus * 10}m",
        f"{round(mem * 96 * GIB / (1024 * 1024))}Mi",
        f"job-{job}",
    ])
