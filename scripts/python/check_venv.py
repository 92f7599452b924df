"""Exit 0 when the running Python environment holds exactly the packages of a pip lock file.

Usage: python check_venv.py LOCK_FILE

Compares every `name==version` pin of the lock with the distributions installed in this
interpreter's environment (pip, setuptools and wheel, which venv itself provides, are not
compared). On any difference, prints each one to stderr and exits 1, so the caller rebuilds
the environment instead of running tests on versions nobody measured.
"""

import re
import sys
from importlib import metadata

# Installed by `python -m venv` itself, not by the lock.
VENV_OWN = {"pip", "setuptools", "wheel"}


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned(lock_path):
    pins = {}
    with open(lock_path, encoding="utf-8") as lock:
        for line in lock:
            match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", line)
            if match:
                pins[canonical(match.group(1))] = match.group(2)
    return pins


def installed():
    found = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and canonical(name) not in VENV_OWN:
            found[canonical(name)] = dist.version
    return found


def main():
    pins, have = pinned(sys.argv[1]), installed()
    problems = []
    for name, version in sorted(pins.items()):
        if name not in have:
            problems.append(f"{name}=={version} is missing")
        elif have[name] != version:
            problems.append(f"{name} is {have[name]}, the lock says {version}")
    problems += [f"{name}=={have[name]} is not in the lock" for name in sorted(have.keys() - pins.keys())]
    for problem in problems:
        print(f"venv: {problem}", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
