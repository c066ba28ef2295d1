"""Layers that depend one way: nothing under ``crawler/`` imports the item pipelines (they are thin
adapters over the crawler's storage, cleaning and validation), only the storage layer imports a
database driver or opens a store (the crawl's one store is the storage component's), extraction
imports no Scrapy, and every third-party package imported is declared."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from scrapy.settings import Settings

from crawler.validation import ValidationConfig

ROOT = Path(__file__).resolve().parent.parent
DRIVERS = {"pymongo", "neosqlite", "bson"}
REDIS = {"redis", "scrapy_redis"}


def imported(path: Path) -> set[str]:
    """Top-level package names ``path`` imports (absolute imports only: the project uses no others)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


MODULES = sorted((ROOT / "crawler").rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(ROOT)) for p in MODULES])
def test_crawler_never_imports_the_pipelines(path: Path) -> None:
    assert "pipelines" not in imported(path)


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(ROOT)) for p in MODULES])
def test_only_the_storage_layer_imports_a_database_driver(path: Path) -> None:
    if not path.is_relative_to(ROOT / "crawler" / "storage"):
        assert not imported(path) & DRIVERS


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(ROOT)) for p in MODULES])
def test_only_the_frontier_imports_redis(path: Path) -> None:
    if not path.is_relative_to(ROOT / "crawler" / "frontier"):
        assert not imported(path) & REDIS


def test_validation_reads_both_of_its_settings_in_one_place() -> None:
    """Re-extraction used to leave out the future skew: the config is read once, by the config."""
    config = ValidationConfig.from_settings(Settings({"VALIDATION_MIN_YEAR": 2000, "VALIDATION_FUTURE_SKEW_HOURS": 2}))
    assert config == ValidationConfig(min_year=2000, future_skew=timedelta(hours=2))
    assert ValidationConfig.from_settings(Settings()) == ValidationConfig()


@pytest.mark.parametrize("path", MODULES + sorted((ROOT / "pipelines").rglob("*.py")),
                         ids=[str(p.relative_to(ROOT)) for p in MODULES + sorted((ROOT / "pipelines").rglob("*.py"))])
def test_only_the_storage_layer_opens_a_store(path: Path) -> None:
    """The crawl's one store is :class:`crawler.storage.component.Storage`'s; commands use its ``connect``."""
    if not path.is_relative_to(ROOT / "crawler" / "storage"):
        text = path.read_text(encoding="utf-8")
        assert "ArticleStore.connect" not in text and "StorageConfig.from_settings" not in text


EXTRACT = [p for p in MODULES if p.is_relative_to(ROOT / "crawler" / "extract")]


@pytest.mark.parametrize("path", EXTRACT, ids=[str(p.relative_to(ROOT)) for p in EXTRACT])
def test_extraction_imports_no_scrapy(path: Path) -> None:
    """Extraction is pure (it runs on stored HTML and in worker processes): parsel, not scrapy.Selector."""
    assert not imported(path) & {"scrapy", "twisted"}


def test_extraction_loads_no_scrapy_through_its_imports() -> None:
    """Nor through a helper it imports: a fresh interpreter that loads the extractor, its worker and its
    pool has no Scrapy or Twisted module loaded."""
    modules = "crawler.extract.article, crawler.extract.worker, crawler.extract.pool, crawler.extract.__main__"
    code = (f"import sys, {modules};"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'scrapy', 'twisted'}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def _name(requirement: str) -> str:
    """The normalized distribution name of a requirement (PEP 503)."""
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match[0]).lower()


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
DEPENDENCIES = {_name(r) for r in PROJECT["dependencies"]}
EXTRAS = {extra: {_name(r) for r in reqs} for extra, reqs in PROJECT["optional-dependencies"].items()}
# Where each tree may take its packages from: the benchmarks may use the bench extra, the exports the parquet
# extra (imported only for --format parquet), the scripts the bench and train extras, the tests the test extra.
SOURCES = {"crawler/bench": DEPENDENCIES | EXTRAS["bench"], "crawler/export": DEPENDENCIES | EXTRAS["parquet"],
           "crawler": DEPENDENCIES, "pipelines": DEPENDENCIES,
           "scripts": DEPENDENCIES | EXTRAS["bench"] | EXTRAS["train"], "tests": DEPENDENCIES | EXTRAS["test"]}
# The bench and train extras are not installed in the test environment.
NOT_INSTALLED = {"newspaper": ["newspaper4k"], "lightgbm": ["lightgbm"]}
# The project's own packages, and the scripts importing each other (``from scripts.prefill_store import ...``).
LOCAL = {"crawler", "pipelines", "tests", "scripts", "__future__", *(p.stem for p in (ROOT / "scripts").glob("*.py"))}


def _third_party() -> list[tuple[str, str]]:
    """(tree, import name) of every third-party top-level module imported under each tree of SOURCES."""
    found = set()
    for tree in SOURCES:
        for path in (ROOT / tree).rglob("*.py"):
            owner = next(t for t in SOURCES if path.is_relative_to(ROOT / t))  # the most specific tree first
            names = imported(path) - LOCAL - sys.stdlib_module_names
            found.update((owner, name) for name in names)
    return sorted(found)


@pytest.mark.parametrize(("tree", "module"), _third_party(), ids=[f"{t}:{m}" for t, m in _third_party()])
def test_every_imported_package_is_declared(tree: str, module: str) -> None:
    """``numpy`` and ``htmldate`` were imported but installed only as other packages' dependencies."""
    distributions = importlib.metadata.packages_distributions().get(module) or NOT_INSTALLED.get(module, [])
    assert distributions, f"{module} (imported under {tree}/) belongs to no installed distribution"
    assert {_name(d) for d in distributions} & SOURCES[tree], f"{module} is not declared in pyproject.toml"
