"""Scrapy's feed exports (``scrapy crawl SITE -O items.jsonl``) in the shape of ``scrapy export``: what one
run yielded, each item as the exported record (:mod:`.records`): dates as ISO 8601 UTC with a ``T``, no
page HTML and no dedup signature, CSV cells flat. ``FEED_EXPORT_FIELDS`` still picks fields, and may name
``html`` (the page as the store keeps it, made inert: extraction hands it over so when pages are stored),
``minhash`` and ``lsh_bands``.

Named in ``FEED_EXPORTERS`` (``crawler.settings``) for json, jsonlines/jsonl/jl and csv.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.exporters import CsvItemExporter, JsonItemExporter, JsonLinesItemExporter

from crawler.export.records import HTML_FIELD, csv_row, export_record
from crawler.sanitize import inert_html


def _record(item: Any, fields: Any, csv: bool = False) -> dict[str, Any]:
    """The exported record of a yielded item; every field, when ``fields`` names some."""
    doc = ItemAdapter(item).asdict()
    full = fields is not None
    html = doc.pop("raw_html", None)
    doc[HTML_FIELD] = inert_html(html, doc.get("url")) if html and full else None
    return csv_row(doc, with_html=full) if csv else export_record(doc, with_html=full)


class JsonLinesArticleExporter(JsonLinesItemExporter):
    def export_item(self, item: Any) -> None:
        super().export_item(_record(item, self.fields_to_export))


class JsonArticleExporter(JsonItemExporter):
    def export_item(self, item: Any) -> None:
        super().export_item(_record(item, self.fields_to_export))


class CsvArticleExporter(CsvItemExporter):
    def export_item(self, item: Any) -> None:
        super().export_item(_record(item, self.fields_to_export, csv=True))

