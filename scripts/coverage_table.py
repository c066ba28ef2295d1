"""Print the README's "Sites" table generated from ``crawler/sites/*.toml``; ``--write`` puts it in README.md.

    .venv/bin/python scripts/coverage_table.py [--write] [--readme README.md]

The table sits between the ``sites-table`` marker comments of README.md; ``tests/test_registry.py``
fails until the README holds exactly what this prints (run it after adding or changing a site).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.sites.coverage import replace_block, sites_table  # noqa: E402  (after the path is set)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the table in the README in place")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md", help="default: the checkout's README.md")
    args = parser.parse_args(argv)
    table = sites_table()
    if not args.write:
        sys.stdout.write(table)
        return 0
    text = args.readme.read_text(encoding="utf-8")
    try:
        updated = replace_block(text, table)
    except ValueError as exc:
        parser.error(f"{args.readme}: {exc}")
    if updated != text:
        args.readme.write_text(updated, encoding="utf-8")
    sys.stdout.write(f"{args.readme}: {'table updated' if updated != text else 'table already current'}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
