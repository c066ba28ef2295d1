"""The frontier shared by crawl workers through Redis (the only package that imports redis)."""
