#!/usr/bin/env python3
"""Run a command; print wall seconds, peak RSS and peak anonymous RSS (MiB).

Memory is sampled from /proc every 2 ms over the process and its children,
so peaks of very short runs can be missed; the figures are lower bounds.
With BENCH_RUNS=N the command runs N times: the median wall time and the
largest peaks are printed, so that one slow run on a shared machine does
not decide a ratio.
Usage: measure.py LABEL CMD [ARGS...]   (the command's stdout goes to /dev/null)
"""
import os
import subprocess
import sys
import time


def tree(pid):
    pids = [pid]
    try:
        for line in open(f"/proc/{pid}/task/{pid}/children").read().split():
            pids += tree(int(line))
    except OSError:
        pass
    return pids


def sample(pid):
    rss = anon = 0
    for p in tree(pid):
        try:
            for line in open(f"/proc/{p}/status"):
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1])
                elif line.startswith("RssAnon:"):
                    anon += int(line.split()[1])
        except OSError:
            pass
    return rss, anon


def run_once(cmd):
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    peak_rss = peak_anon = 0
    while proc.poll() is None:
        rss, anon = sample(proc.pid)
        peak_rss, peak_anon = max(peak_rss, rss), max(peak_anon, anon)
        time.sleep(0.002)
    return time.monotonic() - start, peak_rss, peak_anon, proc.returncode


def main():
    label, cmd = sys.argv[1], sys.argv[2:]
    runs = [run_once(cmd) for _ in range(max(1, int(os.environ.get("BENCH_RUNS", "1"))))]
    wall = sorted(r[0] for r in runs)[len(runs) // 2]
    peak_rss = max(r[1] for r in runs)
    peak_anon = max(r[2] for r in runs)
    print(f"{label}\t{wall:.3f}\t{peak_rss / 1024:.1f}\t{peak_anon / 1024:.1f}\t{runs[-1][3]}")


if __name__ == "__main__":
    main()
