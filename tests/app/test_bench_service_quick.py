"""The service benchmark (``bench_service.py --quick``) runs end to end against a real
throw-away PostgreSQL and prints its table, one change sending one row."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_service_quick_prints_the_scale_table() -> None:
    python = REPO / ".venv" / "bin" / "python"
    done = subprocess.run(
        [str(python if python.exists() else sys.executable),
         str(REPO / "tests" / "benchmarks" / "bench_service.py"), "--quick"],
        env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for words in ("first publish per team", "one change: [1] row sent", "`service status`",
                  "local `status`", "service ÷ local", "service compliance pack"):  # fmt: skip
        assert words in done.stdout, done.stdout
