"""Generic body fallback for pages the site rules do not cover.

trafilatura is the strongest maintained open-source main-text extractor; it is
only called when the site's selectors find no body, since it costs about
20 ms a page.
"""

from __future__ import annotations

import trafilatura

from crawler.text import normalize_text


def generic_paragraphs(html: str, url: str) -> list[str]:
    """Main-text paragraphs found by trafilatura, or an empty list."""
    text = trafilatura.extract(
        html,
        url=url,
        output_format="txt",
        include_comments=False,
        include_tables=False,
        include_images=False,
        favor_precision=True,
        deduplicate=False,
    )
    if not text:
        return []
    # trafilatura marks list items with "- "; the site rules keep items without it.
    return [p for p in (normalize_text(line).removeprefix("- ") for line in text.splitlines()) if p]
