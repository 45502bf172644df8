#!/usr/bin/env python3
"""Prints the slowest units of the last `cargo build --timings` (target/cargo-timings).

Usage: timings-top.py [N]   (N defaults to 10)

Cargo writes an HTML report per timed build; the units and their durations sit in its
`UNIT_DATA` constant. Prints nothing but a note when there is no report (the build was
fresh enough that nothing compiled is still a report; a missing one means no --timings).
"""
import glob
import json
import os
import re
import sys


def main() -> int:
    top = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    reports = glob.glob(os.path.join(target, "cargo-timings", "cargo-timing-*.html"))
    if not reports:
        print(f"no cargo timing report under {target}/cargo-timings")
        return 0
    latest = max(reports, key=os.path.getmtime)
    with open(latest, encoding="utf-8") as f:
        html = f.read()
    match = re.search(r"const UNIT_DATA = (\[.*?\]);\n", html, re.S)
    if not match:
        print(f"{latest}: no UNIT_DATA (a cargo version with another report format?)")
        return 0
    units = json.loads(match.group(1))
    total = sum(u.get("duration", 0.0) for u in units)
    print(f"{len(units)} units compiled, {total:.0f} s of compile time in all ({latest}):")
    for u in sorted(units, key=lambda u: u.get("duration", 0.0), reverse=True)[:top]:
        target_kind = (u.get("target") or "").strip() or "lib"
        print(f"  {u.get('duration', 0.0):7.1f} s  {u['name']} {u.get('version', '')} {target_kind} ({u.get('mode', '')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
