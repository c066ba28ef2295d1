"""Two writers racing on one story's exact twins (``ArticleStore._merge_into``): each inserted its copy of one text
before it saw the other's, and both now merge the later record into the first. Each writer is its own store (its own
connection) on one nx-27017 database or one embedded file; the other writer's step is made at a chosen point of the
first's merge, so every race path is taken on purpose: the twin merged by the other writer first, the kept record
given a URL meanwhile, the twin edited meanwhile, the kept record merged away meanwhile (and a new record stored
under the twin's id). Whatever the order, no URL is listed by two records, the text is one record holding every URL
once unless a race kept the twin a record, and an edited article is never deleted.

The same holds for a revisit that found an article moved (``ArticleStore.mark_checked``) where a record of its story
was stored before the move was seen: that record is merged into the one it moved from, and the other writer's step
(an edit of it, the same revisit, a new fetch of the moving article) is made just before this one's delete or its
write to the moving record."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from crawler.storage.store import ArticleStore, StoreTarget
from crawler.urls import url_id
from tests.test_store_keys import BASE, FETCHED, assert_keys_in_step, doc, text

KEEP, TWIN = f"{BASE}/1/", f"{BASE}/twin-of-1/"


class _Collection:
    """A collection whose ``method`` runs ``step`` (the other writer's) once, just before its first call."""

    def __init__(self, collection: Any, method: str, step: Callable[[], None]) -> None:
        self._collection, self._method, self._step = collection, method, step

    def __getattr__(self, name: str) -> Any:
        call = getattr(self._collection, name)
        if name != self._method or self._step is None:
            return call

        def first_after_step(*args: Any, **kwargs: Any) -> Any:
            step, self._step = self._step, None
            step()
            return call(*args, **kwargs)

        return first_after_step


class _Database:
    """``db`` with its ``articles`` collection as :class:`_Collection`."""

    def __init__(self, db: Any, method: str, step: Callable[[], None]) -> None:
        self._db, self._articles = db, _Collection(db["articles"], method, step)

    def __getitem__(self, name: str) -> Any:
        return self._articles if name == "articles" else self._db[name]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


@pytest.fixture(params=["mongo", "embedded"])
def writers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[ArticleStore, ArticleStore]]:
    """Two stores on one database: nx-27017 (each its own client) or one embedded file (each its own connection)."""
    uri, database = "", "news"
    if request.param == "mongo":
        target = request.getfixturevalue("mongo")
        uri, database = target.uri, target.database
    first = ArticleStore.connect(StoreTarget(uri, database, str(tmp_path)))
    second = ArticleStore.connect(StoreTarget(uri, database, str(tmp_path)))
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def twins(store: ArticleStore) -> tuple[str, str]:
    """One text stored twice, as two writers that each read before the other wrote store it: the record kept (the
    first seen) and its twin; their ids."""
    kept = doc(1, text("flood"), f"{KEEP}?utm_source=a")
    store.write_articles([kept], {})
    record = store.db["articles"].find_one({"_id": kept["_id"]})
    twin = {**record, "_id": url_id(TWIN), "url": TWIN, "urls": [TWIN, f"{TWIN}?utm_source=b"],
            "first_seen": record["first_seen"] + timedelta(seconds=1)}
    store.db["articles"].insert_one(twin)
    return kept["_id"], twin["_id"]


def urls(store: ArticleStore, record_id: str) -> list[str]:
    record = store.db["articles"].find_one({"_id": record_id})
    return [] if record is None else list(record["urls"])


def with_step(store: ArticleStore, method: str, step: Callable[[], None]) -> ArticleStore:
    """``store`` seen by a writer whose articles' ``method`` lets the other writer's ``step`` in first."""
    return ArticleStore(_Database(store.db, method, step), store.target)


ALL_URLS = [KEEP, f"{KEEP}?utm_source=a", TWIN, f"{TWIN}?utm_source=b"]
EARLIER = f"{BASE}/first-of-1/"


def assert_each_url_once(store: ArticleStore) -> None:
    """No URL is listed by two records (a URL twice would send its next fetch's text to either)."""
    listed = [u for record in store.db["articles"].find({}, {"urls": 1}) for u in record["urls"]]
    assert len(listed) == len(set(listed)), f"URLs in two records: {sorted(u for u in listed if listed.count(u) > 1)}"
    if store.target.uri == "":
        assert_keys_in_step(store)


def earlier_copy(store: ArticleStore, keep: str) -> str:
    """A third record of the text, stored before ``keep`` (so ``keep`` merges into it); its id."""
    record = store.db["articles"].find_one({"_id": keep})
    earlier = {**record, "_id": url_id(EARLIER), "url": EARLIER, "urls": [EARLIER],
               "first_seen": record["first_seen"] - timedelta(seconds=1)}
    store.db["articles"].insert_one(earlier)
    return str(earlier["_id"])


def test_the_twin_merged_by_the_other_writer_first(writers: tuple[ArticleStore, ArticleStore]) -> None:
    """The other writer merges the twin between this one's reads and its delete: the delete matches nothing,
    the twin is read again, found gone, and this writer is done; the URLs are there once."""
    first, second = writers
    keep, twin = twins(first)
    racing = with_step(first, "delete_one", lambda: second._merge_into(keep, twin))
    assert racing._merge_into(keep, twin)
    assert urls(first, keep) == ALL_URLS and urls(first, twin) == []
    assert first.db["articles"].count_documents({}) == 1 and first.db["pages"].count_documents({"_id": twin}) == 0
    assert_each_url_once(first)


def test_the_kept_record_given_a_url_meanwhile(writers: tuple[ArticleStore, ArticleStore]) -> None:
    """The other writer stores a new fetch of the kept article (a URL more) as this one, the twin deleted, is about
    to write to it: the write matches nothing, the record is read again, and it ends with its new URL and the
    twin's."""
    first, second = writers
    keep, twin = twins(first)
    fetched_again = doc(1, text("flood"), f"{KEEP}?utm_source=c", fetched=FETCHED + timedelta(minutes=5))
    racing = with_step(first, "update_one", lambda: second.write_articles([fetched_again], {}))
    assert racing._merge_into(keep, twin)
    assert urls(first, keep) == [KEEP, f"{KEEP}?utm_source=a", f"{KEEP}?utm_source=c", TWIN, f"{TWIN}?utm_source=b"]
    assert urls(first, twin) == [] and first.db["articles"].count_documents({}) == 1
    assert_each_url_once(first)


def test_the_twin_edited_meanwhile_is_not_deleted(writers: tuple[ArticleStore, ArticleStore]) -> None:
    """The other writer stores an edit of the twin's article just before this one deletes it: the delete matches
    nothing, the twin is read again, and an article with a revision is no twin: it stays a record of its own,
    its URLs its own alone (the kept record takes them only once the twin is deleted)."""
    first, second = writers
    keep, twin = twins(first)
    edited = {**doc(1, text("flood", "corrected"), fetched=FETCHED + timedelta(minutes=5)),
              "_id": twin, "url": TWIN, "urls": [TWIN]}
    racing = with_step(first, "delete_one", lambda: second.write_articles([edited], {}))
    assert not racing._merge_into(keep, twin)
    record = first.db["articles"].find_one({"_id": twin})
    assert record is not None and record["revisions"], "an edited article was deleted as a twin"
    assert first.db["articles"].count_documents({}) == 2
    assert urls(first, keep) == [KEEP, f"{KEEP}?utm_source=a"] and urls(first, twin) == [TWIN, f"{TWIN}?utm_source=b"]
    assert_each_url_once(first)


def test_the_kept_record_merged_away_meanwhile(writers: tuple[ArticleStore, ArticleStore]) -> None:
    """The other writer merges the kept record into an earlier copy after this one deleted the twin: the write
    to the kept record matches nothing, it is read again and found gone, so the twin is stored again as it
    was, a record of its own (the next merge of the text joins it)."""
    first, second = writers
    keep, twin = twins(first)
    earlier = earlier_copy(first, keep)
    racing = with_step(first, "update_one", lambda: second._merge_into(earlier, keep))
    assert not racing._merge_into(keep, twin)
    assert urls(first, earlier) == [EARLIER, KEEP, f"{KEEP}?utm_source=a"] and urls(first, keep) == []
    assert urls(first, twin) == [TWIN, f"{TWIN}?utm_source=b"]
    assert first.db["articles"].count_documents({}) == 2
    assert_each_url_once(first)


def test_a_new_record_under_the_twins_id_meanwhile(writers: tuple[ArticleStore, ArticleStore]) -> None:
    """As above, and the other writer also stores a new text fetched at the twin's URL (a new record under its
    id) before the twin is stored again: that record takes the twin's URLs instead."""
    first, second = writers
    keep, twin = twins(first)
    earlier = earlier_copy(first, keep)
    fetched = {**doc(1, text("drought"), fetched=FETCHED + timedelta(minutes=5)), "_id": twin, "url": TWIN,
               "urls": [TWIN]}

    def step() -> None:
        second._merge_into(earlier, keep)
        second.write_articles([fetched], {})

    racing = with_step(first, "update_one", step)
    assert not racing._merge_into(keep, twin)
    record = first.db["articles"].find_one({"_id": twin})
    assert record is not None and record["content_hash"] == fetched["content_hash"]
    assert urls(first, twin) == [TWIN, f"{TWIN}?utm_source=b"] and urls(first, keep) == []
    assert_each_url_once(first)


class _StoreLost(Exception):
    """The store gone between a merge's delete and its write (a connection dropped, a server killed)."""


def test_a_merge_that_fails_after_the_delete_stores_the_twin_again(writers: tuple[ArticleStore, ArticleStore]) -> None:
    """The store fails as the kept record is about to take the twin's URLs (the twin already deleted): the error
    goes on, and the twin is stored again first, so its URLs are still listed by a record."""
    first, _ = writers
    keep, twin = twins(first)

    def lost() -> None:
        raise _StoreLost("connection closed")

    racing = with_step(first, "update_one", lost)
    with pytest.raises(_StoreLost):
        racing._merge_into(keep, twin)
    assert urls(first, twin) == [TWIN, f"{TWIN}?utm_source=b"], "the twin's URLs are listed by no record"
    assert urls(first, keep) == [KEEP, f"{KEEP}?utm_source=a"]
    assert_each_url_once(first)


class _AnswerLost(_Collection):
    """A collection whose ``method``'s first call is made, then raises as if its answer were lost on the way back."""

    def __getattr__(self, name: str) -> Any:
        call = getattr(self._collection, name)
        if name != self._method or self._step is None:
            return call

        def made_then_lost(*args: Any, **kwargs: Any) -> Any:
            self._step = None  # type: ignore[assignment]
            call(*args, **kwargs)
            raise _StoreLost("connection closed before the answer")

        return made_then_lost


def answer_lost(store: ArticleStore, method: str) -> ArticleStore:
    """``store`` whose articles' first ``method`` call is made and its answer lost."""
    db = _Database(store.db, method, lambda: None)
    db._articles = _AnswerLost(store.db["articles"], method, lambda: None)
    return ArticleStore(db, store.target)


def test_a_merge_whose_answer_is_lost_is_not_stored_twice(writers: tuple[ArticleStore, ArticleStore]) -> None:
    """The kept record took the twin's URLs but the answer was lost: the error goes on, and the twin is not stored
    again (the kept record holds its URLs), so no URL is listed by two records."""
    first, _ = writers
    keep, twin = twins(first)
    with pytest.raises(_StoreLost):
        answer_lost(first, "update_one")._merge_into(keep, twin)
    assert urls(first, keep) == ALL_URLS and urls(first, twin) == []
    assert_each_url_once(first)


MOVED_TO = f"{BASE}/1-updated/"
MOVED_URLS = [MOVED_TO, f"{MOVED_TO}?utm_source=b"]
OWN_URLS = [KEEP, f"{KEEP}?utm_source=a"]


def moved_pair(store: ArticleStore, edited: bool = False) -> tuple[str, str]:
    """An article stored at ``KEEP`` and a record of its story stored under ``MOVED_TO`` before its move was seen
    (its text, or with ``edited`` a later edit of it); their ids."""
    kept = doc(1, text("flood"), f"{KEEP}?utm_source=a")
    store.write_articles([kept], {})
    record = store.db["articles"].find_one({"_id": kept["_id"]})
    assert record["story_cluster"]
    there = {**record, "_id": url_id(MOVED_TO), "url": MOVED_TO, "urls": MOVED_URLS,
             "first_seen": record["first_seen"] + timedelta(seconds=1), "story_original": False}
    if edited:
        later = doc(1, text("flood", "corrected"), fetched=FETCHED + timedelta(minutes=30))
        there.update({k: later[k] for k in ("body", "content_hash", "minhash", "lsh_bands", "fetched_at")})
    store.db["articles"].insert_one(there)
    return kept["_id"], there["_id"]


def unlocked(racing: ArticleStore) -> ArticleStore:
    """``racing`` without the embedded store's lock around ``mark_checked`` (which keeps the other writer out of it
    there): the other writer's step is made inside it, so each path is taken on both stores, as ``_merge_into`` is
    called directly above."""
    racing._exclusive = contextlib.nullcontext  # type: ignore[method-assign]
    return racing


def moved(keep: str) -> dict[str, Any]:
    """The revisit of ``KEEP`` redirected to ``MOVED_TO``, as the storage writer buffers it."""
    return {"_id": keep, "url": KEEP, "fetched_at": FETCHED + timedelta(hours=1), "gone": False, "reason": None,
            "location": MOVED_TO, "location_id": url_id(MOVED_TO)}


def test_a_move_merges_the_record_stored_where_it_moved(writers: tuple[ArticleStore, ArticleStore]) -> None:
    """No race: the record stored under the new URL is deleted and the moving record takes its URLs."""
    first, _ = writers
    keep, there = moved_pair(first)
    assert first.mark_checked([moved(keep)]) == 1
    assert urls(first, keep) == [*OWN_URLS, *MOVED_URLS] and urls(first, there) == []
    assert first.db["articles"].find_one({"_id": keep})["moved_to"] == MOVED_TO
    assert_each_url_once(first)


def test_the_record_moved_to_edited_meanwhile_stays_whole(writers: tuple[ArticleStore, ArticleStore]) -> None:
    """The other writer stores an edit of the record under the new URL just before this one deletes it: the delete
    matches nothing, so that record stays whole, its URLs its own alone, and the moving record is only checked (its
    move recorded); the next revisit merges them."""
    first, second = writers
    keep, there = moved_pair(first)
    edited = {**doc(1, text("flood", "corrected"), fetched=FETCHED + timedelta(minutes=5)),
              "_id": there, "url": MOVED_TO, "urls": [MOVED_TO]}
    racing = unlocked(with_step(first, "delete_one", lambda: second.write_articles([edited], {})))
    assert racing.mark_checked([moved(keep)]) == 1
    record = first.db["articles"].find_one({"_id": there})
    assert record is not None and record["revisions"], "an edited article was deleted in a move"
    assert urls(first, keep) == OWN_URLS and urls(first, there) == MOVED_URLS
    assert first.db["articles"].find_one({"_id": keep})["moved_to"] == MOVED_TO
    assert_each_url_once(first)


def test_the_move_merged_by_the_other_writer_first(writers: tuple[ArticleStore, ArticleStore]) -> None:
    """The other writer records the same revisit just before this one's delete: the delete matches nothing, this
    writer's check of the moving record (changed since read) matches nothing either; the URLs are there once."""
    first, second = writers
    keep, there = moved_pair(first)
    racing = unlocked(with_step(first, "delete_one", lambda: second.mark_checked([moved(keep)])))
    racing.mark_checked([moved(keep)])
    assert urls(first, keep) == [*OWN_URLS, *MOVED_URLS] and urls(first, there) == []
    assert first.db["articles"].count_documents({}) == 1
    assert_each_url_once(first)


def test_the_moving_record_given_a_url_meanwhile(writers: tuple[ArticleStore, ArticleStore]) -> None:
    """The other writer stores a new fetch of the moving article (a URL more) after this one deleted the record
    under the new URL: the write to the moving record matches nothing, and the deleted record's URLs join it as it
    is now."""
    first, second = writers
    keep, there = moved_pair(first)
    fetched_again = doc(1, text("flood"), f"{KEEP}?utm_source=c", fetched=FETCHED + timedelta(minutes=5))
    racing = unlocked(with_step(first, "bulk_write", lambda: second.write_articles([fetched_again], {})))
    assert racing.mark_checked([moved(keep)]) == 1
    assert urls(first, keep) == [*OWN_URLS, f"{KEEP}?utm_source=c", *MOVED_URLS] and urls(first, there) == []
    assert first.db["articles"].count_documents({}) == 1
    assert_each_url_once(first)


def test_an_edit_under_the_new_url_is_stored_again_when_the_moving_record_changed(
    writers: tuple[ArticleStore, ArticleStore],
) -> None:
    """As above, the record under the new URL holding a later edit: the moving record does not take that version
    (it changed since read), so the deleted record is stored again as it was, a record of its own."""
    first, second = writers
    keep, there = moved_pair(first, edited=True)
    before = first.db["articles"].find_one({"_id": there})
    fetched_again = doc(1, text("flood"), f"{KEEP}?utm_source=c", fetched=FETCHED + timedelta(minutes=5))
    racing = unlocked(with_step(first, "bulk_write", lambda: second.write_articles([fetched_again], {})))
    racing.mark_checked([moved(keep)])
    record = first.db["articles"].find_one({"_id": there})
    assert record is not None and record["content_hash"] == before["content_hash"]
    assert urls(first, keep) == [*OWN_URLS, f"{KEEP}?utm_source=c"] and urls(first, there) == MOVED_URLS
    assert_each_url_once(first)


def test_a_move_whose_write_fails_after_the_delete_stores_the_record_again(
        writers: tuple[ArticleStore, ArticleStore]) -> None:
    """The store fails as the moving record is written, the record under the new URL already deleted: the error
    goes on, and that record is stored again first, whole, its URLs its own."""
    first, _ = writers
    keep, there = moved_pair(first)

    def lost() -> None:
        raise _StoreLost("connection closed")

    with pytest.raises(_StoreLost):
        with_step(first, "bulk_write", lost).mark_checked([moved(keep)])
    assert urls(first, there) == MOVED_URLS, "the record under the new URL is gone"
    assert urls(first, keep) == OWN_URLS
    assert_each_url_once(first)
