"""``scripts/crawl_ab.py run``: its crawls see none of the caller's deployment settings, so a benchmark started
from a shell holding ``MONGO_URI`` or ``REDIS_URL`` stores its articles in its own ``OUT/data-*`` only."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port

pytestmark = pytest.mark.e2e  # real crawls of a generated site on loopback


def test_the_crawls_ignore_the_callers_store_and_shared_crawl(tmp_path: Path) -> None:
    # Before, the caller's environment went to the crawls: here the crawl went to that (dead) MongoDB and failed
    # (with a real one, the benchmark's articles were stored among the real ones).
    env = {**os.environ, "MONGO_URI": f"mongodb://127.0.0.1:{free_port()}/", "STORAGE_TIMEOUT_SECONDS": "1",
           "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    result = subprocess.run([sys.executable, "scripts/crawl_ab.py", "run", str(tmp_path / "out"), f"new={ROOT}",
                             "--rounds", "1", "--articles", "5"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr[-2000:]
    line = re.match(r"new round 0: exit (\d+), (\d+) articles", result.stdout)
    log = (tmp_path / "out" / "log-new-0.txt").read_text()
    assert line is not None and line.groups() == ("0", "5"), (result.stdout, log[-3000:])
    assert "MongoDB" not in log and "Redis" not in log, log[-3000:]
