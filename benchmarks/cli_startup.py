"""How fast `losslab --help` answers (torch is imported lazily). Prints the median of 7 runs.

Run: .venv/bin/python benchmarks/cli_startup.py
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def timed(cmd: list[str], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    exe = shutil.which("losslab") or str(Path(sys.executable).with_name("losslab"))
    bare = timed([sys.executable, "-c", "pass"])
    help_ = timed([exe, "--help"])
    losses = timed([exe, "losses"])
    torch = timed([sys.executable, "-c", "import torch"])
    print(f"python -c pass          {bare:6.3f} s")
    print(f"losslab --help          {help_:6.3f} s   (target < 0.5 s)")
    print(f"losslab losses          {losses:6.3f} s")
    print(f"python -c 'import torch' {torch:6.3f} s   (what --help would cost with an eager import: {torch / help_:.1f}x)")


if __name__ == "__main__":
    main()
