#!/usr/bin/env python3
"""Derives the per-minute NASA-HTTP request series in scenarios/data/ from the per-second counts
of the NASA Kennedy Space Center WWW server logs (July and August 1995).

Input: a single line of space-separated integers, value i = requests in one second
(`workload.txt` of github.com/reconfigurable-ml-pipeline/web-service-datasets,
dataset/nasa/workload.tbz2, commit 7404ad6643602943511e75ab3095fb1ccc990fd1). It concatenates
the July log (from 1995-07-01 00:00:01 EDT) and the August log (from 1995-08-01 00:00:01 EDT);
the producing script drops each log's last second.

Time axis: value i of a month is the second (i + 1) after 00:00:00 EDT of the month's first
day. The July log has 2,381,544 values (to 1995-07-28 13:32:24, where the log ends). This split
is checked three ways: the monthly sums equal the archive's official request counts minus the
dropped last second (1,891,714 - 1 and 1,569,898 - 1), and the known Hurricane Erin outage
(no requests from 1995-08-01 14:52:02 to 1995-08-03 04:36:12) lands exactly on a run of
135,851 zeros.

Output: one gzip CSV per month, `time_s,requests`: time_s = start of the minute in seconds
from 00:00:00 EDT of the month's first day, requests = requests in that minute. Only whole
minutes are written: July ends at 1995-07-28 13:32:00 (the partial last minute is dropped);
August ends at 1995-09-01 00:00:00, and the few values beyond the end of the month (out-of-order
log lines add values, see below) are dropped. Quiet periods with no request are zeros.

Usage: python3 scripts/make_nasa_series.py PATH/TO/nasa-http-1995_requests_per_second.txt scenarios/data
The output is deterministic (gzip level 9, no file name, mtime 0).
"""
import gzip
import hashlib
import os
import sys

SHA256 = "732277156c9b24046eaa27134afb753990db5fadd15ec703edba216c7ff009ff"
JULY_VALUES = 2_381_544
JULY_OFFICIAL, AUGUST_OFFICIAL = 1_891_714, 1_569_898
OUTAGE_START_S, OUTAGE_ZEROS = 53_522, 135_851  # seconds after Aug 1 00:00 of the first zero
AUGUST_SECONDS = 31 * 86_400


def per_minute(values, last_second):
    """Sums value i (second i + 1) into minutes; keeps minutes that end by last_second + 1."""
    minutes = (last_second + 1) // 60
    out = [0] * minutes
    for i, v in enumerate(values):
        m = (i + 1) // 60
        if m < minutes:
            out[m] += v
    return out


def write(path, counts):
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(b"time_s,requests\n")
            gz.write("".join(f"{m * 60},{c}\n" for m, c in enumerate(counts)).encode())


def main():
    src, out_dir = sys.argv[1], sys.argv[2]
    data = open(src, "rb").read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        sys.exit(f"unexpected input (sha256 {digest})")
    values = [int(x) for x in data.split()]
    july, august = values[:JULY_VALUES], values[JULY_VALUES:]
    assert sum(july) == JULY_OFFICIAL - 1, sum(july)
    assert sum(august) == AUGUST_OFFICIAL - 1, sum(august)
    first = OUTAGE_START_S - 1  # value index of the first zero
    assert august[first - 1] > 0 and august[first + OUTAGE_ZEROS] > 0
    assert not any(august[first:first + OUTAGE_ZEROS])

    july_min = per_minute(july, JULY_VALUES)
    aug_min = per_minute(august, AUGUST_SECONDS - 1)
    dropped = sum(august[AUGUST_SECONDS - 1:])
    for name, counts in [("07", july_min), ("08", aug_min)]:
        path = os.path.join(out_dir, f"nasa-http-1995-{name}-per-minute.csv.gz")
        write(path, counts)
        print(f"{path}: {len(counts)} minutes, {sum(counts)} requests, "
              f"max {max(counts)}/min, mean {sum(counts) / len(counts):.1f}/min")
    print(f"July: partial last minute dropped ({sum(july) - sum(july_min)} requests); "
          f"August: {len(august) - (AUGUST_SECONDS - 1)} values past the month dropped "
          f"({dropped} requests)")


if __name__ == "__main__":
    main()
