"""Processes a stopped command may leave in its process group."""

from __future__ import annotations

import subprocess
import time


def left_in_group(pgid: int, seconds: float = 10.0) -> list[str]:
    """The live processes of process group ``pgid`` once ``seconds`` passed with any: a process seen while it exits
    (after its parent, as multiprocessing's resource tracker does on reading its pipe's end: "R [python]", in CI at
    load 2) is gone a moment later, a worker left behind is not."""
    deadline = time.monotonic() + seconds
    while True:
        ps = subprocess.run(["ps", "-o", "stat=,pid=,args=", "-g", str(pgid)], capture_output=True, text=True)
        live = [line for line in ps.stdout.splitlines() if not line.startswith("Z")]
        if not live or time.monotonic() > deadline:
            return live
        time.sleep(0.1)
