"""Article extraction: HTML in, a typed :class:`~crawler.extract.result.Extraction` (fields with
provenance, the body as found) out; :mod:`crawler.cleaning` cleans it once, downstream.

Pure code with no Scrapy import, so it runs on stored HTML as well as in the
spider. Entry point: :func:`crawler.extract.article.extract_article`.
"""
