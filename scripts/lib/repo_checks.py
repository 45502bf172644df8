"""What the repository checks in this directory share: the repository's root, its tracked
files, and how a check reports what it found."""

import pathlib
import subprocess
import sys


def root():
    """The top of the git checkout the check runs in."""
    out = subprocess.check_output(["git", "rev-parse", "--show-toplevel"], text=True)
    return pathlib.Path(out.strip()).resolve()


def tracked(top, pattern):
    """The tracked files matching `pattern`, relative to `top`."""
    return subprocess.check_output(["git", "ls-files", pattern], cwd=top, text=True).split()


def report(bad, summary_bad, summary_ok):
    """Prints each offence and a summary; the exit status: 1 if any offence, else 0."""
    for line in bad:
        print(line)
    if bad:
        print(f"{len(bad)} {summary_bad}", file=sys.stderr)
        return 1
    print(summary_ok)
    return 0
