"""The tests that kill Chromium under a crawl find its browser processes by ``chromium_browsers``.
Found by their names, other processes were taken for browsers now and then, each gone by the time it was to be killed
(ProcessLookupError in CI's relaunch test) or killed instead of the browser: Debian's ``/usr/bin/chromium`` wrapper
script's subshells as a browser launches, and a killed browser's zygotes, taken in by an ancestor of theirs that reaps
orphans (as one in a crawl's process tree does) for the moment they take to end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from tests.test_browser import CHROMIUM, chromium_browsers, requires_chromium
from tests.test_browser_gone import ARGS

LAUNCHES = 4
WATCHED_S = 1.0  # the wrapper script runs its subshells in the first tens of milliseconds
ORPHANS_WATCHED_S = 0.5
# Runs its arguments as a child, taking in the orphans of its descendants (PR_SET_CHILD_SUBREAPER).
REAPER = "import ctypes, subprocess, sys; ctypes.CDLL(None).prctl(36, 1); subprocess.run(sys.argv[1:])"


def _watch(pid: int, seconds: float) -> set[int]:
    seen: set[int] = set()
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        seen |= set(chromium_browsers(pid))
    return seen


@requires_chromium
@pytest.mark.e2e  # Chromium
def test_only_the_browser_itself_is_found_as_chromium_launches_and_after_it_is_killed() -> None:
    found = []
    for _ in range(LAUNCHES):
        with tempfile.TemporaryDirectory() as profile, subprocess.Popen(
                [sys.executable, "-c", REAPER, CHROMIUM, *ARGS, "--headless", "--remote-debugging-port=0",
                 f"--user-data-dir={profile}", "about:blank"]) as reaper:
            try:
                launching = _watch(reaper.pid, WATCHED_S)
                browsers = chromium_browsers(reaper.pid)
                for pid in browsers:
                    os.kill(pid, signal.SIGKILL)
                found.append((launching, browsers, _watch(reaper.pid, ORPHANS_WATCHED_S) - set(browsers)))
            finally:
                reaper.kill()
    assert all(len(browsers) == 1 and launching == set(browsers) and not after_kill
               for launching, browsers, after_kill in found), found
