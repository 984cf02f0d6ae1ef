#!/usr/bin/env python3
"""check and diff on the ci_* fixtures (runs of fixtures/ci_run.erl), held
against what the live nodes recorded in their .live files; and every JUnit
file check writes validated against the JUnit XML schema (tests/cli/junit.xsd,
with xmllint from libxml2-utils) and checked to agree with the JSON report.

usage: check_captures.py BEAMDUMP
"""
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

BIN = sys.argv[1]
FX = "fixtures"
RULES = "tests/cli/ci.rules"
SCHEMA = "tests/cli/junit.xsd"
XMLLINT = shutil.which("xmllint")
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL " + msg)


def live(mode):
    """key -> value (the last field); ets TABLE ... words W -> ('ets', TABLE) -> W."""
    facts = {}
    with open(f"{FX}/ci_{mode}.live", encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            m = re.match(r"ets (\S+) name (\S+) .* words (\d+)$", line)
            if m:
                facts[("ets", m.group(2))] = int(m.group(3))
                continue
            key, _, value = line.rpartition(" ")
            facts[key] = value
    return facts


def need(facts, key):
    if key not in facts:
        raise SystemExit(f"FAIL .live has no {key!r}")
    return facts[key]


def run(*args):
    p = subprocess.run([BIN, *args], capture_output=True, text=True,
                       env=dict(os.environ, BEAMDUMP_NO_PROGRESS="1", NO_COLOR="1"))
    return p.returncode, p.stdout, p.stderr


def check_json(*args):
    rc, out, err = run("check", *args, "--format", "json")
    if rc not in (0, 1):
        raise SystemExit(f"FAIL check {' '.join(args)}: exit {rc}: {err}")
    rep = json.loads(out)
    if rep["passed"] != (rc == 0):
        fail(f"check {' '.join(args)}: passed={rep['passed']} but exit {rc}")
    return rep


def broken(rep):
    return {r["rule"]: r for r in rep["rules"] if not r["passed"]}


def valid_junit(path):
    p = subprocess.run([XMLLINT, "--noout", "--schema", SCHEMA, path], capture_output=True, text=True)
    return p.returncode == 0, p.stderr.strip()


def junit_ok(path, rep, what):
    """Valid against the JUnit XML schema, and in agreement with the JSON."""
    if XMLLINT:
        ok, why = valid_junit(path)
        if not ok:
            return fail(f"{what}: JUnit does not validate against {SCHEMA}: {why}")
    root = ET.parse(path).getroot()
    if root.tag != "testsuites":
        return fail(f"{what}: JUnit root is <{root.tag}>")
    suites = list(root)
    if len(suites) != 1 or suites[0].tag != "testsuite":
        return fail(f"{what}: JUnit needs one <testsuite>")
    suite = suites[0]
    for attr in ("name", "tests", "failures", "errors"):
        if attr not in suite.attrib:
            return fail(f"{what}: <testsuite> lacks {attr}")
    cases = list(suite)
    if any(c.tag != "testcase" or "name" not in c.attrib or "classname" not in c.attrib
           for c in cases):
        return fail(f"{what}: every child of <testsuite> must be a <testcase name classname>")
    failed = [c for c in cases if c.find("failure") is not None]
    for c in failed:
        if "message" not in c.find("failure").attrib or len(list(c)) != 1:
            return fail(f"{what}: a <failure message> per failed <testcase>")
    if int(suite.get("tests")) != len(cases) or int(suite.get("failures")) != len(failed):
        return fail(f"{what}: tests/failures counts do not match the test cases")
    if root.get("tests") != suite.get("tests") or root.get("failures") != suite.get("failures"):
        return fail(f"{what}: <testsuites> counts differ from <testsuite>")
    if [c.get("name") for c in cases] != [r["rule"] for r in rep["rules"]]:
        return fail(f"{what}: test cases are not the rules")
    if {c.get("name") for c in failed} != set(broken(rep)):
        return fail(f"{what}: failed test cases are not the broken rules")
    for c in failed:
        rule = broken(rep)[c.get("name")]
        text = c.find("failure").text or ""
        for v in rule["violations"]:
            if v["evidence"] not in text:
                fail(f"{what}: JUnit failure of {rule['rule']} lacks {v['evidence']!r}")
    return True


if XMLLINT:
    # the schema must reject what CI servers would: a count that is not a number
    with tempfile.TemporaryDirectory() as tmp:
        bad = os.path.join(tmp, "bad.xml")
        with open(bad, "w", encoding="utf-8") as f:
            f.write('<testsuites><testsuite name="x" tests="one" failures="0" errors="0">'
                    '<testcase name="r" classname="c"/></testsuite></testsuites>\n')
        if valid_junit(bad)[0]:
            fail(f"{SCHEMA} accepts tests=\"one\"")
else:
    print("check_captures: xmllint not found (apt-get install libxml2-utils): "
          "JUnit checked by structure only, not against the schema")

base = live("base")
ws = int(need(base, "wordsize"))
planted = {
    "clean": set(),
    "mailbox": {"new_findings"},
    "slices": {"new_findings"},
    "state": {"max_state"},
    "ets": {"max_growth.ets"},
    "atoms": {"max_growth.atom", "new_findings"},  # 20 000 ci_atom_<N>: an atom-leak finding
    "deadlock": {"new_findings"},
}
with tempfile.TemporaryDirectory() as tmp:
    saved = os.path.join(tmp, "base.json")
    rc, out, _ = run("analyze", f"{FX}/ci_base.dump.gz", "--format", "json")
    with open(saved, "w", encoding="utf-8") as f:
        f.write(out)
    for baseline in (f"{FX}/ci_base.dump.gz", saved):
        for mode, want in planted.items():
            what = f"check ci_{mode} --baseline {os.path.basename(baseline)}"
            junit = os.path.join(tmp, "junit.xml")
            rep = check_json(f"{FX}/ci_{mode}.dump.gz", "--baseline", baseline,
                             "--rules", RULES, "--junit", junit)
            if set(broken(rep)) != want:
                fail(f"{what}: broke {sorted(broken(rep))}, want exactly {sorted(want)}")
            junit_ok(junit, rep, what)

# each planted rule names the planted process with the number its node recorded
fx = live("mailbox")
rep = check_json(f"{FX}/ci_mailbox.dump.gz", "--max-queue", "1000")
v = broken(rep).get("max_queue", {"violations": [{}]})["violations"]
if [(x.get("pid"), x.get("value")) for x in v] != [
        (need(fx, "pid queue_srv"), int(need(fx, "message_queue_len queue_srv")))]:
    fail(f"max_queue on ci_mailbox: {v}")
rep = check_json(f"{FX}/ci_mailbox.dump.gz", "--baseline", f"{FX}/ci_base.dump.gz")
kinds = sorted(x["evidence"].split(":")[1].split()[-1] for x in broken(rep)["new_findings"]["violations"])
if kinds != ["blocked_chain", "mailbox"]:
    fail(f"new findings on ci_mailbox: {kinds}")

fx = live("slices")
rep = check_json(f"{FX}/ci_slices.dump.gz", "--max-pinned", "1M")
v = broken(rep)["max_pinned"]["violations"]
if [(x["pid"], x["value"]) for x in v] != [
        (need(fx, "pid ingest_srv"), int(need(fx, "binary_bytes ingest_srv")))]:
    fail(f"max_pinned on ci_slices: {v}")

fx = live("state")
rep = check_json(f"{FX}/ci_state.dump.gz", "--max-state", "300K")
v = broken(rep)["max_state"]["violations"]
if [(x["pid"], x["value"]) for x in v] != [
        (need(fx, "pid cache_srv"), int(need(fx, "flat_size cache_srv_state")) * ws)]:
    fail(f"max_state on ci_state: {v}")
if int(need(fx, "flat_size cache_srv_state")) != 2 * int(need(base, "flat_size cache_srv_state")):
    fail("ci_state: the state did not double on the live node")

fx = live("deadlock")
rep = check_json(f"{FX}/ci_deadlock.dump.gz", "--no-deadlocks")
v = broken(rep)["no_deadlocks"]["violations"]
if len(v) != 1 or v[0]["value"] != 2 or v[0]["pid"] not in (need(fx, "pid orders"), need(fx, "pid billing")):
    fail(f"no_deadlocks on ci_deadlock: {v}")

# diff: growth measured against the live nodes' own numbers
rc, out, _ = run("diff", f"{FX}/ci_base.dump.gz", f"{FX}/ci_ets.dump.gz", "--format", "json")
d = json.loads(out)
fx = live("ets")
born = [(t["table"], t["new_bytes"], t["new_objects"]) for t in d["ets_born"]]
if born != [("ci_orphans of queue_srv", need(fx, ("ets", "ci_orphans")) * ws, 20000)]:
    fail(f"diff ci_ets: tables born {born}")
ets = {m["category"]: m for m in d["memory"]}["ets"]
if (ets["old_bytes"], ets["new_bytes"]) != (int(need(base, "memory ets")), int(need(fx, "memory ets"))):
    fail(f"diff ci_ets: memory ets {ets}")

rc, out, _ = run("diff", f"{FX}/ci_base.dump.gz", f"{FX}/ci_atoms.dump.gz", "--format", "json")
d = json.loads(out)
fx = live("atoms")
if d["atoms"]["growth"] != int(need(fx, "atoms")) - int(need(base, "atoms")):
    fail(f"diff ci_atoms: atoms {d['atoms']}")

rc, out, _ = run("diff", f"{FX}/ci_base.dump.gz", f"{FX}/ci_clean.dump.gz", "--format", "json")
d = json.loads(out)
if d["born"] or d["gone"] or d["ets_born"] or d["ets_gone"] or any(d["findings"].values()):
    fail("diff of two clean runs shows processes, tables or findings born or gone")



def reversed_procs(src, dst):
    """src with its =proc sections in reverse order: a process table listed in another order."""
    with gzip.open(src, "rb") as f:
        text = f.read()
    parts = re.split(rb"(?m)^(?==)", text)
    procs = [i for i, p in enumerate(parts) if p.startswith(b"=proc:")]
    if procs != list(range(procs[0], procs[-1] + 1)):
        raise SystemExit(f"FAIL {src}: its =proc sections are not one run")
    parts[procs[0]:procs[-1] + 1] = parts[procs[-1]:procs[0] - 1:-1]
    with gzip.open(dst, "wb") as f:
        f.write(b"".join(parts))


def without_files(rep):
    return json.dumps({k: v for k, v in rep.items() if k not in ("input", "baseline")}, sort_keys=True)


# the order a dump lists its processes in changes nothing check or diff say
with tempfile.TemporaryDirectory() as tmp:
    for mode in ("mailbox", "deadlock"):
        orig = f"{FX}/ci_{mode}.dump.gz"
        rev = os.path.join(tmp, f"ci_{mode}.dump.gz")
        reversed_procs(orig, rev)
        a = check_json(orig, "--baseline", f"{FX}/ci_base.dump.gz", "--rules", RULES)
        b = check_json(rev, "--baseline", f"{FX}/ci_base.dump.gz", "--rules", RULES)
        if without_files(a) != without_files(b):
            fail(f"check ci_{mode}: the report changes with the order of its processes")
        rc, out, _ = run("diff", orig, rev, "--format", "json")
        d = json.loads(out)
        if d["processes"] or d["born"] or d["gone"] or any(d["findings"][k] for k in ("new", "resolved")):
            fail(f"diff ci_{mode} against itself reordered shows changes")

# three captures: the planted leaker (and its table) only
rc, out, _ = run("diff", f"{FX}/ci_base.dump.gz", f"{FX}/ci_target.dump.gz",
                 f"{FX}/ci_final.dump.gz", "--format", "json")
d = json.loads(out)
fx = live("final")
got = [(c["what"], c["key"], c["pid"], c["count"]) for c in d["leak_candidates"]]
want = [("process", "ci_run:leaker/1 < job_runner", need(fx, "pid leaker"), 1),
        ("ets", "ci_leak_tab of ci_run:leaker/1 < job_runner", None, 1)]
if got != want:
    fail(f"three-capture leak candidates {got}, want {want}")
if "job" in fx:
    fail("ci_final: a job is still alive on the live node")

print(f"check/diff captures: {'ok' if not failures else str(len(failures)) + ' failed'}")
sys.exit(1 if failures else 0)
