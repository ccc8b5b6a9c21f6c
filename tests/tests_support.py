"""Helpers shared by test modules (not a test file itself)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_cli(*args: str, cwd: str | Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `ittifaq ARGS` in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "ittifaq.evaluate.cli", *args], capture_output=True, text=True, cwd=cwd
    )
