#!/usr/bin/env python3
"""Every report says the same of a dump whatever order it lists its processes
in: fixtures from real nodes are rewritten with their =proc sections reversed
(as another writer, or another slot layout, would list them) and every report
is compared, in JSON, with the original's. Ties are ranked by pid, never by
where the dump wrote a process.

usage: process_order.py BEAMDUMP
"""
import gzip
import os
import re
import subprocess
import sys
import tempfile

BIN = sys.argv[1]
FIXTURES = ["basic", "binary_leak", "states", "ci_mailbox", "ci_deadlock", "memory_apps", "triage",
            "deadlock_calls", "labels"]
REPORTS = [["summary"], ["procs"], ["procs", "--sort", "mq"], ["procs", "--sort", "reductions"],
           ["ets"], ["states"], ["leaks"], ["deadlocks"], ["memory"],
           ["memory", "--by", "supervisor"], ["memory", "--by", "process"], ["analyze"]]
failures = 0


def reversed_procs(text):
    parts = re.split(rb"(?m)^(?==)", text)
    procs = [i for i, p in enumerate(parts) if p.startswith(b"=proc:")]
    if len(procs) < 2 or procs != list(range(procs[0], procs[-1] + 1)):
        return None
    parts[procs[0]:procs[-1] + 1] = parts[procs[-1]:procs[0] - 1:-1]
    return b"".join(parts)


def report(args, path):
    p = subprocess.run([BIN, *args, path, "--format", "json"], capture_output=True,
                       env=dict(os.environ, BEAMDUMP_NO_PROGRESS="1"))
    return p.returncode, p.stdout.replace(path.encode(), b"DUMP")


with tempfile.TemporaryDirectory() as tmp:
    checked = 0
    for name in FIXTURES:
        src = f"fixtures/{name}.dump.gz"
        if not os.path.exists(src):
            print(f"FAIL process_order: {src} is missing")
            failures += 1
            continue
        with gzip.open(src, "rb") as f:
            text = f.read()
        rev = reversed_procs(text)
        if rev is None:
            print(f"FAIL process_order: {src} has no run of =proc sections to reverse")
            failures += 1
            continue
        a, b = os.path.join(tmp, "a.dump"), os.path.join(tmp, "b.dump")
        with open(a, "wb") as f:
            f.write(text)
        with open(b, "wb") as f:
            f.write(rev)
        for args in REPORTS:
            checked += 1
            if report(args, a) != report(args, b):
                print(f"FAIL process_order: {' '.join(args)} on {name} changes with the order "
                      "of its processes")
                failures += 1
print(f"process order: {checked - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
