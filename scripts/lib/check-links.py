#!/usr/bin/env python3
"""Fails if a Markdown file of the repository links to a file that is missing or outside it.

Checks every tracked `*.md` file (git ls-files): inline links and images `[text](target)`
and reference definitions `[label]: target`. Web (`http:`, `https:`), `mailto:` and
same-file (`#anchor`) links are not followed; everything else must name a path that stays
inside the repository and exists in the checkout. Code spans and fenced code blocks are
skipped (they quote, they do not link). Prints one line per bad link and exits 1 if any.
"""

import re
import sys

from repo_checks import report, root as repo_root, tracked

INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
EXTERNAL = ("http://", "https://", "mailto:")


def links(text):
    """(line number, target) of every link outside code."""
    in_fence = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        line = re.sub(r"`[^`]*`", "", line)
        for match in INLINE.finditer(line):
            yield number, match.group(1)
        match = REFERENCE.match(line)
        if match:
            yield number, match.group(1)


def main():
    root = repo_root()
    files = tracked(root, "*.md")
    bad = []
    for name in files:
        path = root / name
        if not path.is_file():
            continue
        for number, target in links(path.read_text(encoding="utf-8")):
            if target.startswith(EXTERNAL) or target.startswith("#"):
                continue
            file_part = target.split("#", 1)[0]
            if not file_part:
                continue
            if file_part.startswith("/"):
                bad.append(f"{name}:{number}: {target}: an absolute path")
                continue
            resolved = (path.parent / file_part).resolve()
            if not resolved.is_relative_to(root):
                bad.append(f"{name}:{number}: {target}: outside the repository")
            elif not resolved.exists():
                bad.append(f"{name}:{number}: {target}: no such file")
    return report(
        bad,
        f"bad link(s) in {len(files)} Markdown files",
        f"links checked in {len(files)} Markdown files",
    )


if __name__ == "__main__":
    sys.exit(main())
