"""Benchmarks that print numbers: extraction quality, crawl speed."""
