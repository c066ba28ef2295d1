"""Counts that size a job or check a name read no more than they need: the whole store from the collection's own
count, "is the job large?" up to its threshold, "is anything of this site stored?" one record. On nx-27017
``count_documents`` reads every record whatever the filter (1.5 s at 50,000 records, past the store's 30 s
socket timeout near a million: ``scrapy export`` and ``scrapy reextract`` failed sizing their job there)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pymongo import monitoring

from crawler.storage.store import ArticleStore
from tests.conftest import MongoTarget
from tests.test_store_keys import SITE, doc, text
from tests.test_store_known import Listener, listened


def test_counts_up_to_a_bound_the_whole_store_and_a_site_s_presence(store: ArticleStore) -> None:
    store.write_articles([doc(n, text(f"topic{n}")) for n in range(1, 6)], {})
    assert store.count_articles() == 5 and store.count_articles(at_most=3) == 3 and store.count_articles(at_most=9) == 5
    assert store.count_articles(SITE, at_most=2) == 2 and store.count_articles("other", at_most=2) == 0
    assert store.count_articles(query={"title": "Title 4"}, at_most=2) == 1
    assert store.has_articles(SITE) and not store.has_articles("other") and not store.has_articles(SITE[:-1])
    store.db["articles"].delete_one({"title": "Title 4"})
    assert store.count_articles() == 4 and store.count_articles(at_most=4) == 4


class Commands(Listener):
    """The name of every command sent."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.names.append(event.command_name)


@pytest.fixture
def watched(mongo: MongoTarget) -> Iterator[tuple[ArticleStore, Commands]]:
    commands = Commands()
    with listened(mongo, commands) as store:
        yield store, commands


def test_sizing_a_job_or_checking_a_site_sends_no_count_that_reads_every_record(
        watched: tuple[ArticleStore, Commands]) -> None:
    store, commands = watched
    store.write_articles([doc(n, text(f"topic{n}")) for n in range(1, 4)], {})
    commands.names.clear()
    assert store.count_articles() == 3  # scrapy articles' total, scrapy export's progress
    assert store.count_articles(query={"site": SITE}, at_most=2) == 2  # scrapy export: one process or several?
    assert store.count_articles(SITE, at_most=100) == 3  # scrapy reextract
    assert store.has_articles(SITE)  # the --site check
    # count_documents is an aggregate; the collection's own count a "count"
    assert "aggregate" not in commands.names and commands.names.count("count") == 1, commands.names
