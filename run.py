#!/usr/bin/env python3
"""Quick start: `python3 run.py demo` serves the demo; `python3 run.py test` runs the tests.

Both create a virtual environment in .venv on first use and install govops into it
(again only when pyproject.toml changes). Extra arguments go to the command:
`python3 run.py demo --port 8080`, `python3 run.py test -k periods`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".govops-installed"


def ensure_environment() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"govops needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print("creating .venv …", flush=True)
        venv.create(VENV, with_pip=True)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("installing govops and its test tools into .venv …", flush=True)
    subprocess.run([str(BIN / "python"), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def main(arguments: list[str]) -> int:
    if not arguments or arguments[0] not in ("demo", "test"):
        print(__doc__)
        return 2
    ensure_environment()
    command, rest = arguments[0], arguments[1:]
    if command == "demo":
        return subprocess.call([str(BIN / "govops"), "demo", *rest], cwd=ROOT)
    return subprocess.call([str(BIN / "python"), "-m", "pytest", *rest], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
