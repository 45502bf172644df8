#!/usr/bin/env python3
"""Prints the slowest units of the last `cargo build --timings` (target/cargo-timings).

Usage: timings-top.py [N]   (N defaults to 10)

Cargo writes an HTML report per timed build; the units and their durations sit in its
`UNIT_DATA` constant (fresh units too, with no duration). Prints a note instead when there
is no report (the build ran without --timings) or nothing was compiled.
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
    # Units that were fresh are listed too, with no time: leave them out.
    units = [u for u in json.loads(match.group(1)) if u.get("duration", 0.0) > 0.0]
    if not units:
        print(f"nothing compiled ({latest})")
        return 0
    total = sum(u["duration"] for u in units)
    print(f"{len(units)} units compiled, {total:.0f} s of compile time in all ({latest}):")
    for u in sorted(units, key=lambda u: u["duration"], reverse=True)[:top]:
        kind = (u.get("target") or "").strip() or "lib"
        if u.get("mode") == "run-custom-build":
            kind = "build script (run)"
        print(f"  {u['duration']:7.1f} s  {u['name']} {u.get('version', '')} {kind}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
