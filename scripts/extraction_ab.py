"""Compare two checkouts' generic extraction on the benchmark pages: same output, and what each costs.

``python scripts/extraction_ab.py pair BASE NEW [--sets wcxb-dev,aeb-dev] [--limit N] [--repeats 3]
[--instructions 100]`` extracts every page with each checkout (a directory, or a git revision of this
repository, unpacked with ``git archive``), names the pages and fields that differ (:mod:`extraction_fingerprint`'s
record: every field of ``extract_article`` and digests of the body model's inputs and outputs) and gives each
one's median CPU ms a page (per page the least of ``--repeats`` runs; the two checkouts run at once).
``--instructions N`` also counts instructions under ``valgrind --tool=callgrind`` (load moves CPU time on a shared
machine, not instructions): a run over the first N wcxb-dev pages less a run over none, divided by N.
``python scripts/extraction_ab.py run ROOT OUT ...`` is one checkout's side (what ``pair`` starts).
Exit 1 when any page differs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
DATA = Path(os.environ.get("BENCHMARK_DATA") or HERE.parents[1].parent / "shared" / "benchmarks"
            / "article-extraction").resolve()
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def run(root: Path, out: Path, sets: list[str], limit: int | None, repeats: int, fingerprint: bool) -> None:
    """Extract each page with the checkout at ``root``: one JSON line a page (its fingerprint and CPU ms)."""
    sys.path.insert(0, str(root))  # before the editable install's finder: this checkout's ``crawler``
    sys.path.insert(1, str(HERE.parent))
    import crawler
    from crawler.bench.extraction import load_pages
    from crawler.extract.article import extract_article, warm_up
    from crawler.sites import GENERIC

    # After ``crawler``: importing the fingerprint script puts this script's checkout first on the path.
    page_record = importlib.import_module("extraction_fingerprint").page_record

    if not Path(crawler.__file__).resolve().is_relative_to(root):
        raise SystemExit(f"crawler imported from {crawler.__file__}, not {root}")
    warm_up()
    for page in load_pages(DATA / sets[0], 1):  # what loads on a first page's use, out of every count
        extract_article(page.html, page.url, GENERIC)
    with out.open("w", encoding="utf-8") as stream:
        for set_name in sets:
            for page in load_pages(DATA / set_name, limit):
                spent = []
                for _ in range(repeats):
                    started = time.process_time()
                    extract_article(page.html, page.url, GENERIC)
                    spent.append((time.process_time() - started) * 1000)
                line: dict[str, Any] = {"set": set_name, "id": page.id, "cpu_ms": min(spent, default=0.0)}
                if fingerprint:
                    line["record"] = page_record(page.html, page.url)
                stream.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
                stream.flush()


def checkout(name: str, scratch: Path) -> Path:
    """A directory holding the checkout ``name``: itself, or a git revision unpacked under ``scratch``."""
    if Path(name).is_dir():
        return Path(name).resolve()
    archive = subprocess.run(["git", "archive", name], cwd=HERE.parents[1], check=True, capture_output=True).stdout
    target = scratch / re.sub(r"\W", "_", name)
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def _side(root: Path, out: Path, args: argparse.Namespace, limit: int | None, fingerprint: bool,
          valgrind: bool = False) -> subprocess.Popen[str]:
    command = [sys.executable, str(HERE), "run", str(root), str(out), "--sets", args.sets,
               "--repeats", str(1 if valgrind else args.repeats), *([] if fingerprint else ["--no-fingerprint"])]
    if limit is not None:
        command += ["--limit", str(limit)]
    if valgrind:
        command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command]
    env = {**os.environ, "PYTHONHASHSEED": "0", "BENCHMARK_DATA": str(DATA)}
    return subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)


def instructions(roots: list[Path], args: argparse.Namespace, scratch: Path) -> list[float]:
    """Each checkout's instructions a page: callgrind over the first ``--instructions`` wcxb-dev pages less over
    none (start-up and the first page's loading, see :func:`run`), both checkouts at once."""
    side = argparse.Namespace(**{**vars(args), "sets": "wcxb-dev"})
    counts: dict[tuple[int, int | None], int] = {}
    for limit in (args.instructions, 0):
        processes = [_side(root, scratch / f"instructions{n}.jsonl", side, limit, fingerprint=False, valgrind=True)
                     for n, root in enumerate(roots)]
        for n, process in enumerate(processes):
            _, stderr = process.communicate()
            found = _COLLECTED.findall(stderr)
            if process.returncode or not found:
                raise SystemExit(f"callgrind failed in {roots[n]}:\n{stderr[-2000:]}")
            counts[n, limit] = int(found[-1])
    return [(counts[n, args.instructions] - counts[n, 0]) / args.instructions for n in range(len(roots))]


def _read(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    lines = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
    return {(line["set"], line["id"]): line for line in lines}


def pair(args: argparse.Namespace) -> int:
    """Both checkouts over the pages; print the pages that differ, CPU ms and instructions a page."""
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        roots = [checkout(args.base, scratch), checkout(args.new, scratch)]
        outs = [scratch / "base.jsonl", scratch / "new.jsonl"]
        # Both at once, one process each (2 cores): whatever else loads the machine slows both alike.
        processes = [_side(root, out, args, args.limit, fingerprint=True)
                     for root, out in zip(roots, outs, strict=True)]
        for process in processes:
            _, stderr = process.communicate()
            if process.returncode:
                raise SystemExit(stderr[-2000:])
        base, new = _read(outs[0]), _read(outs[1])
        differ = 0
        for key in sorted(base.keys() | new.keys()):
            a, b = base.get(key, {}).get("record", {}), new.get(key, {}).get("record", {})
            fields = sorted(f for f in a.keys() | b.keys() if a.get(f) != b.get(f))
            if fields:
                differ += 1
                print(f"{key[0]}/{key[1]}: {', '.join(fields)}")
        print(f"{len(base)} / {len(new)} pages, {differ} differ")
        for set_name in args.sets.split(","):
            medians = [statistics.median(r["cpu_ms"] for k, r in side.items() if k[0] == set_name)
                       for side in (base, new)]
            print(f"{set_name}: CPU ms a page, median of each page's least of {args.repeats}: "
                  f"{medians[0]:.2f} -> {medians[1]:.2f} ({medians[1] / medians[0] - 1:+.1%})")
        if args.instructions:
            counts = [count / 1e6 for count in instructions(roots, args, scratch)]
            print(f"wcxb-dev first {args.instructions} pages: million instructions a page "
                  f"{counts[0]:.1f} -> {counts[1]:.1f} ({counts[1] / counts[0] - 1:+.1%})")
    return int(differ > 0 or base.keys() != new.keys())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("pair", "run"):
        command = commands.add_parser(name)
        if name == "pair":
            command.add_argument("base")
            command.add_argument("new")
            command.add_argument("--instructions", type=int, default=0, metavar="PAGES")
        else:
            command.add_argument("root", type=Path)
            command.add_argument("out", type=Path)
            command.add_argument("--no-fingerprint", action="store_true")
        command.add_argument("--sets", default="wcxb-dev,aeb-dev")
        command.add_argument("--limit", type=int)
        command.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if args.command == "run":
        run(args.root.resolve(), args.out, args.sets.split(","), args.limit, args.repeats, not args.no_fingerprint)
        return 0
    return pair(args)


if __name__ == "__main__":
    sys.exit(main())
