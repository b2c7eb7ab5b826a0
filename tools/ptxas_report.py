#!/usr/bin/env python3
"""Summarize the `-Xptxas -v` output of an nvcc fatbin build, and fail on register spills.

usage: ptxas_report.py PTXAS_LOG [REPORT_MD] [--json REPORT_JSON]

PTXAS_LOG is nvcc's stderr from a build with one or more -gencode options. ptxas prints, per
compiled architecture (one ptxas run each):

    ptxas info    : 0 bytes gmem
    ptxas info    : Compiling entry function 'ds_add_f32' for 'sm_75'
    ptxas info    : Function properties for ds_add_f32
        0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
    ptxas info    : Used 20 registers, used 0 barriers, 128 bytes smem, 384 bytes cmem[0]

and, for device functions that were not inlined, a "Function properties for F" block with no
"Compiling entry function" line of its own (it belongs to the ptxas run it appears in).

Writes a Markdown table (kernel, arch, registers, stack frame, spill stores, spill loads, static
shared memory) sorted by kernel then architecture to REPORT_MD, or to stdout when REPORT_MD is not
given. With --json, also writes the same figures as JSON for tools (the benchmark harness's
occupancy report reads it): {"functions": [{"name", "arch", "entry", "registers", "stack_frame",
"spill_stores", "spill_loads", "static_smem"}, ...]} in the table's order (null for a figure that
could not be read; registers and static_smem are null for device functions). Exit status: 0 when every function is spill-free; 1 when any function spills (the offenders
are listed on stderr; the report is still written), or when the log holds no entry function or an
entry whose figures are missing (the log format changed and the parse broke); 2 for usage errors.
Standard library only.
"""

import json
import re
import sys

RE_GMEM = re.compile(r"ptxas\s+info\s*:\s*\d+\s+bytes\s+gmem")
RE_ENTRY = re.compile(r"Compiling entry function '([^']+)' for '([^']+)'")
RE_PROPS = re.compile(r"Function properties for (\S+)")
RE_FRAME = re.compile(
    r"(\d+)\s+bytes\s+stack\s+frame,\s*(\d+)\s+bytes\s+spill\s+stores,\s*(\d+)\s+bytes\s+spill\s+loads")
RE_USED = re.compile(r"Used\s+(\d+)\s+registers")
RE_SMEM = re.compile(r"(\d+)\s+bytes\s+smem")


class Record:
    def __init__(self, name, arch, entry):
        self.name = name
        self.arch = arch  # None until known (a device function printed before any entry of its run)
        self.entry = entry  # True: a kernel; False: a non-inlined device function
        self.registers = None
        self.stack = None
        self.spill_stores = None
        self.spill_loads = None
        self.smem = 0


def parse(text):
    """Returns the list of Records found in a ptxas -v log."""
    records = []
    current_entry = None  # the kernel whose "Used N registers" line is still to come
    frame_target = None  # the record the next "stack frame" line belongs to
    run_arch = None  # architecture of the ptxas run being read
    pending = []  # device functions seen before the first entry of their run
    for raw in text.splitlines():
        line = raw.strip()
        if RE_GMEM.search(line):  # a new ptxas run starts
            run_arch = None
            current_entry = None
            frame_target = None
            continue
        m = RE_ENTRY.search(line)
        if m:
            run_arch = m.group(2)
            for rec in pending:
                rec.arch = run_arch
            pending = []
            current_entry = Record(m.group(1), run_arch, True)
            records.append(current_entry)
            frame_target = None
            continue
        m = RE_PROPS.search(line)
        if m:
            name = m.group(1)
            if current_entry is not None and current_entry.name == name and current_entry.stack is None:
                frame_target = current_entry
            else:
                frame_target = Record(name, run_arch, False)
                records.append(frame_target)
                if run_arch is None:
                    pending.append(frame_target)
            continue
        m = RE_FRAME.search(line)
        if m and frame_target is not None:
            frame_target.stack, frame_target.spill_stores, frame_target.spill_loads = (int(g) for g in m.groups())
            frame_target = None
            continue
        m = RE_USED.search(line)
        if m and current_entry is not None and current_entry.registers is None:
            current_entry.registers = int(m.group(1))
            s = RE_SMEM.search(line)
            current_entry.smem = int(s.group(1)) if s else 0
            current_entry = None
            continue
    return records


def arch_key(arch):
    """sm_75 < sm_80 < ... < sm_100 < sm_120 (numerically, then any suffix such as 'a')."""
    m = re.match(r"([a-z_]*?)(\d+)(.*)$", arch or "")
    if not m:
        return (arch or "", 0, "")
    return (m.group(1), int(m.group(2)), m.group(3))


def fmt(value):
    return "?" if value is None else str(value)


def markdown(records):
    rows = sorted(records, key=lambda r: (r.name, arch_key(r.arch)))
    out = [
        "| kernel | arch | registers | stack frame (bytes) | spill stores (bytes) | spill loads (bytes) | static smem (bytes) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        name = "`%s`" % r.name if r.entry else "`%s` (device function)" % r.name
        regs = fmt(r.registers) if r.entry else "-"
        smem = str(r.smem) if r.entry else "-"
        out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            name, r.arch or "?", regs, fmt(r.stack), fmt(r.spill_stores), fmt(r.spill_loads), smem))
    return "\n".join(out) + "\n"


def to_json(records):
    rows = sorted(records, key=lambda r: (r.name, arch_key(r.arch)))
    return {"functions": [{
        "name": r.name,
        "arch": r.arch,
        "entry": r.entry,
        "registers": r.registers if r.entry else None,
        "stack_frame": r.stack,
        "spill_stores": r.spill_stores,
        "spill_loads": r.spill_loads,
        "static_smem": r.smem if r.entry else None,
    } for r in rows]}


def main(argv):
    json_out = None
    if "--json" in argv:
        i = argv.index("--json")
        if i + 1 >= len(argv):
            sys.stderr.write("ptxas_report: --json needs a file name\n")
            return 2
        json_out = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    if len(argv) not in (2, 3) or argv[1] in ("-h", "--help"):
        sys.stderr.write(__doc__)
        return 2
    try:
        with open(argv[1], encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError as e:
        sys.stderr.write("ptxas_report: cannot read %s: %s\n" % (argv[1], e))
        return 2

    records = parse(text)
    table = markdown(records)
    if len(argv) == 3:
        with open(argv[2], "w", encoding="utf-8") as f:
            f.write("# ptxas resource usage\n\n")
            f.write(table)
    else:
        sys.stdout.write(table)
    if json_out is not None:
        with open(json_out, "w", encoding="utf-8") as f:
            json.dump(to_json(records), f, indent=1)
            f.write("\n")

    status = 0
    entries = [r for r in records if r.entry]
    if not entries:
        sys.stderr.write("ptxas_report: no 'Compiling entry function' line in %s: was it built with "
                         "-Xptxas -v, or has the log format changed?\n" % argv[1])
        return 1
    incomplete = [r for r in records if r.stack is None or (r.entry and r.registers is None)]
    if incomplete:
        sys.stderr.write("ptxas_report: could not read the figures of %d function(s) (log format changed?):\n"
                         % len(incomplete))
        for r in incomplete:
            sys.stderr.write("  %s for %s\n" % (r.name, r.arch or "?"))
        status = 1
    spills = [r for r in records if (r.spill_stores or 0) > 0 or (r.spill_loads or 0) > 0]
    if spills:
        sys.stderr.write("ptxas_report: register spills in %d function(s):\n" % len(spills))
        for r in sorted(spills, key=lambda r: (r.name, arch_key(r.arch))):
            sys.stderr.write("  %s for %s: %d bytes spill stores, %d bytes spill loads%s\n" % (
                r.name, r.arch or "?", r.spill_stores, r.spill_loads,
                "" if r.entry else " (device function)"))
        status = 1
    if status == 0:
        archs = sorted({r.arch for r in entries}, key=arch_key)
        summary = sys.stdout if len(argv) == 3 else sys.stderr  # keep stdout a pure table
        summary.write("ptxas_report: %d kernels x %d archs (%s), no spills\n" % (
            len({r.name for r in entries}), len(archs), ", ".join(archs)))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
