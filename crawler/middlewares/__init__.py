"""Scrapy middlewares of the project."""
