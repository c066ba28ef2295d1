"""A/B pairs of crawls of the trap site (tests/test_browser_traps.py: dialog loops, a popup flood, endless scripts, a
memory bomb, a navigation loop, downloads), every page rendered in Chromium, by two source trees in turn:

    .venv/bin/python scripts/trap_crawl_ab.py BASE_TREE NEW_TREE [--rounds 2] [--timeout 400]

A tree is any checkout of the project (``git archive HEAD | tar -x -C DIR``); both run with this checkout's
``.venv``. Each crawl prints its exit code (``KILLED`` past ``--timeout``), its wall time, its crawl time
(``elapsed_time_seconds``) and the main-frame navigations Chromium made (``playwright/request_count/navigation``);
its log is kept in a directory of its own, named on the line. Run it beside a CPU load (a loaded CI machine) to
see what the trap pages cost the crawl."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.bench.replica_server import serve
from tests.crawling import crawl_command, crawl_environment
from tests.test_browser_traps import SETTINGS, build


def crawl(tree: str, timeout: float) -> str:
    """One crawl of a fresh trap site by ``tree``: a line of figures."""
    root = Path(tempfile.mkdtemp(prefix="trap-ab-"))
    config = build(root / "site")
    log_path = root / "crawl.log"
    with serve(root / "site", 0) as server, open(log_path, "w") as log:
        command = crawl_command("news", f"base_url=http://127.0.0.1:{server.server_port}", f"config={config}",
                                settings=SETTINGS)
        start = time.monotonic()
        process = subprocess.Popen(command, cwd=tree, env=crawl_environment({"TMPDIR": str(root)}, root / "data"),
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            code: int | str = process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            code = "KILLED"
        wall = time.monotonic() - start
    text = log_path.read_text(encoding="utf-8")
    elapsed = re.search(r"'elapsed_time_seconds': ([\d.]+)", text)
    navigations = re.search(r"'playwright/request_count/navigation': (\d+)", text)
    return (f"exit={code} wall={wall:.0f}s crawl={float(elapsed[1]) if elapsed else float('nan'):.0f}s "
            f"navigations={navigations[1] if navigations else '?'} {root}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("new")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=400)
    args = parser.parse_args()
    for round_ in range(args.rounds):
        for label, tree in (("base", args.base), ("new", args.new)):
            print(f"round {round_} {label:4s} {crawl(tree, args.timeout)}", flush=True)


if __name__ == "__main__":
    main()
