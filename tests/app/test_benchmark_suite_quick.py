"""The whole benchmark suite (``run_all.py --quick``) runs end to end and prints every table.

Only the shape of the output is checked, never a timing: figures belong in
docs/PERFORMANCE.md, not in a pass/fail test on a shared machine.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PYTHON = REPO / ".venv" / "bin" / "python"


def test_run_all_quick_prints_each_benchmark_beside_its_floor(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }
    result = subprocess.run(
        [str(PYTHON if PYTHON.exists() else sys.executable),
         str(REPO / "tests" / "benchmarks" / "run_all.py"), "--quick"],
        capture_output=True, text=True, cwd=tmp_path, timeout=900, check=False, env=env,
    )  # fmt: skip
    out = result.stdout
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    for script in ("bench_status.py", "bench_gui.py", "bench_reports.py", "bench_backup.py",
                   "bench_check.py"):  # fmt: skip
        assert f"=== {script}" in out
    assert re.search(r"raw SQL floor \(LATEST_HELD_SQL fetchall\)\s+\d", out)
    assert re.search(r"start to interactive scheduler\s+\d+ ms\s+blank window \d+ ms", out)
    assert re.search(r"compliance pack, bare ReportLab, same text\s+\d", out)
    assert re.search(r"^cp\s+\d", out, re.M)
    assert re.search(r"PRAGMA integrity_check alone \(floor\)\s+\d", out)
    assert re.search(r"ratio check / floor \(median of pairs\)\s+\d", out)
    assert re.search(r"peak memory, app on the reference database: \d+ MB", out)
