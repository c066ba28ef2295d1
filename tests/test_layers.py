"""Layers that depend one way: nothing under ``crawler/`` imports the item pipelines (they are thin
adapters over the crawler's storage, cleaning and validation), and only the storage layer imports
a database driver or opens a store (the crawl's one store is the storage component's)."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from scrapy.settings import Settings

from crawler.validation import ValidationConfig

ROOT = Path(__file__).resolve().parent.parent
DRIVERS = {"pymongo", "neosqlite", "bson"}


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
