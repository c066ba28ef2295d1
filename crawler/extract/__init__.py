"""Article extraction: HTML in, article fields with provenance out.

Pure code with no Scrapy import, so it runs on stored HTML as well as in the
spider. Entry point: :func:`crawler.extract.article.extract_article`.
"""
