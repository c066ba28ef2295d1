"""Re-extraction of stored articles from their stored HTML (after a parser or site-rule fix).

Each stored page goes through the crawl's own steps (extraction with the site's current
config, then :func:`~crawler.cleaning.clean` and :func:`~crawler.validation.validate` under the
crawl's :class:`~crawler.rules.RecordRules`); a record is replaced only when a
field a reader sees changed, with the earlier hash and the changed field names added to
its ``revisions``. Identity, fetch and dedup fields (URLs, first seen, story cluster) stay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from crawler.cleaning import clean
from crawler.extract.article import extract_article
from crawler.items import article_item
from crawler.rules import RecordRules
from crawler.sites import SiteConfig
from crawler.storage.config import to_document
from crawler.storage.store import with_revision
from crawler.validation import Invalid, validate

# Fields whose change makes a revision; the derived ones below are replaced along with them.
CONTENT_FIELDS = ("title", "lead", "paragraphs", "published", "modified", "authors", "section", "tags", "images",
                  "language", "script", "attribution", "translations")
DERIVED_FIELDS = ("body", "published_raw", "modified_raw", "language_declared", "sources", "content_hash",
                  "minhash", "lsh_bands", "schema_version")


@dataclass(frozen=True)
class Reextractor:
    """Re-extraction under the crawl's record rules (``RecordRules.from_settings``, as the pipelines read them)."""

    rules: RecordRules = field(default_factory=RecordRules)

    def fresh_document(self, old: dict[str, Any], html: str, site: SiteConfig,
                       now: datetime | None = None) -> dict[str, Any] | None:
        """The record the crawl would store today (``now``) for ``old``'s page; None when it would drop it."""
        fetched_at = _aware(old["fetched_at"])
        extraction = extract_article(html, old["url"], site, fetched_at, self.rules.limits)
        item = article_item(extraction, url=old["url"], urls=old.get("urls") or [old["url"]], site=old["site"],
                            edition=old.get("edition"), fetched_at=fetched_at, http_status=old.get("http_status"),
                            etag=old.get("etag"), last_modified=old.get("last_modified"))
        item, _ = clean(item, self.rules.limits)
        try:
            item, _ = validate(item, self.rules.validation, now or datetime.now(UTC))
        except Invalid:
            return None
        return to_document(item)[0]


def changed_fields(new: dict[str, Any], old: dict[str, Any]) -> list[str]:
    return [name for name in CONTENT_FIELDS if _comparable(new.get(name)) != _comparable(old.get(name))]


def revised(new: dict[str, Any], old: dict[str, Any], changed: list[str], now: datetime) -> dict[str, Any]:
    """``old`` with the re-extracted fields, the change recorded in ``revisions``."""
    fresh = {name: new.get(name) for name in (*CONTENT_FIELDS, *DERIVED_FIELDS)}
    return {**old, **fresh, "reextracted_at": now,
            "revisions": with_revision(old, reextracted_at=now, changed=changed)}


def _aware(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _comparable(value: Any) -> Any:
    """Stores hand back dates with or without a zone and lists as lists: compare like with like."""
    if isinstance(value, datetime):
        return _aware(value).astimezone(UTC).replace(microsecond=value.microsecond // 1000 * 1000)
    if isinstance(value, (list, tuple)):
        return [_comparable(v) for v in value]
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if v is not None}
    return value
