"""Scrapy project that crawls Central Asian news sites into clean article records."""
