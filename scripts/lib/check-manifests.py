#!/usr/bin/env python3
"""Fails if a crate of the workspace names a dependency's version or path itself, or if the
workspace lists a dependency that no crate uses.

Every dependency of every member crate comes from the root `[workspace.dependencies]`
(`name.workspace = true` or `name = { workspace = true, ... }`), so that one version of each
crate is chosen in one place, and that list holds nothing else (a leftover there looks like a
dependency of the project). Reads every tracked `Cargo.toml`; prints one line per offence and
exits 1 if any.
"""

import sys
import tomllib

from repo_checks import report, root as repo_root, tracked

SECTIONS = ("dependencies", "dev-dependencies", "build-dependencies")


def dependency_tables(manifest):
    """(section name, table) of every dependency table, target-specific ones included."""
    for section in SECTIONS:
        if section in manifest:
            yield section, manifest[section]
    for target, table in manifest.get("target", {}).items():
        for section in SECTIONS:
            if section in table:
                yield f"target.{target}.{section}", table[section]


def main():
    root = repo_root()
    bad = []
    members = [n for n in tracked(root, "*Cargo.toml") if n != "Cargo.toml"]
    used = set()
    for name in members:
        manifest = tomllib.loads((root / name).read_text(encoding="utf-8"))
        for section, table in dependency_tables(manifest):
            for dep, spec in table.items():
                used.add(dep)
                if not (isinstance(spec, dict) and spec.get("workspace") is True):
                    bad.append(f"{name}: [{section}] {dep}: not from [workspace.dependencies]")
    workspace = tomllib.loads((root / "Cargo.toml").read_text(encoding="utf-8"))
    for dep in workspace.get("workspace", {}).get("dependencies", {}):
        if dep not in used:
            bad.append(f"Cargo.toml: [workspace.dependencies] {dep}: used by no crate")
    return report(
        bad,
        "offence(s) against the workspace dependency rules",
        f"dependencies checked in {len(members)} member manifests",
    )


if __name__ == "__main__":
    sys.exit(main())
