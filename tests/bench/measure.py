#!/usr/bin/env python3
"""Run a command; print wall seconds, peak RSS and peak anonymous RSS (MiB).

Memory is sampled from /proc every 2 ms over the process and its children,
so peaks of very short runs can be missed; the figures are lower bounds.
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


def main():
    label, cmd = sys.argv[1], sys.argv[2:]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    peak_rss = peak_anon = 0
    while proc.poll() is None:
        rss, anon = sample(proc.pid)
        peak_rss, peak_anon = max(peak_rss, rss), max(peak_anon, anon)
        time.sleep(0.002)
    wall = time.monotonic() - start
    print(f"{label}\t{wall:.3f}\t{peak_rss / 1024:.1f}\t{peak_anon / 1024:.1f}\t{proc.returncode}")


if __name__ == "__main__":
    main()
