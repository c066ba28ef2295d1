"""Fingerprint every benchmark page's extraction, to prove a speed change gives the same output bit for bit.

``python scripts/extraction_fingerprint.py OUT.jsonl [--sets aeb-dev,wcxb-dev] [--limit N]`` writes one line
per page: every field of ``extract_article`` (generic rules) and digests of the body model's inputs and
outputs (the blocks' texts, feature rows, both forests' probabilities, table rows: exact bytes).
``python scripts/extraction_fingerprint.py --compare A.jsonl B.jsonl`` names the pages and fields that differ
(exit 1 when any do). Run it on two checkouts (``git archive BASE | tar -x -C DIR``) with the same data.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _digest(array: np.ndarray) -> str:
    array = np.ascontiguousarray(array)
    return hashlib.sha256(f"{array.dtype}{array.shape}".encode() + array.tobytes()).hexdigest()


def page_record(html: str, url: str) -> dict[str, Any]:
    """The page's extraction fields and the body model's inputs and outputs, as JSON values and digests."""
    from crawler.extract import generic
    from crawler.extract.article import extract_article
    from crawler.extract.blocks import table_rows
    from crawler.sites import GENERIC

    record: dict[str, Any] = json.loads(json.dumps(extract_article(html, url, GENERIC).as_dict(), default=str))
    _, blocks, rows, _ = generic.page_inputs_for_training(html, url)
    first, _second = generic.forests()
    record["model"] = {
        "texts": hashlib.sha256("\x00".join(b.text for b in blocks).encode()).hexdigest(),
        "rows": _digest(rows),
        "first": _digest(first.predict(rows)),
        "probabilities": _digest(generic.body_probabilities(blocks, rows)) if blocks else "",
        "table_rows": table_rows(blocks),
    }
    return record


def write(out: Path, sets: list[str], limit: int | None) -> None:
    from crawler.bench.extraction import DEFAULT_DATA, load_pages

    with out.open("w", encoding="utf-8") as stream:
        for set_name in sets:
            for page in load_pages(DEFAULT_DATA / set_name, limit):
                line = {"set": set_name, "id": page.id, **page_record(page.html, page.url)}
                stream.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")


def compare(a: Path, b: Path) -> int:
    """Print the pages and fields that differ between two fingerprint files; 1 when any do."""
    def load(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
        records = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
        return {(r["set"], r["id"]): r for r in records}

    left, right = load(a), load(b)
    differ = 0
    for key in sorted(left.keys() | right.keys()):
        x, y = left.get(key, {}), right.get(key, {})
        fields = sorted(f for f in x.keys() | y.keys() if x.get(f) != y.get(f))
        if fields:
            differ += 1
            print(f"{key[0]}/{key[1]}: {', '.join(fields)}")
    print(f"{len(left)} / {len(right)} pages, {differ} differ")
    return int(differ > 0 or len(left) != len(right))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path)
    parser.add_argument("--sets", default="aeb-dev,wcxb-dev")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"))
    args = parser.parse_args(argv)
    if args.compare:
        return compare(*args.compare)
    if args.out is None:
        parser.error("give OUT or --compare A B")
    write(args.out, args.sets.split(","), args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
