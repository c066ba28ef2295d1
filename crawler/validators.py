"""A response's cache validators (``ETag``, ``Last-Modified``), as stored for conditional revisits.

They are the server's to send and are sent back to it unchanged; but they are stored on each record and in the
sources' state, and exported. A header that is no validator (escape sequences, a clipboard write, kilobytes of
padding) is junk a hostile site would have put in every record: it is not kept, and the next revisit is
unconditional, as for a server that sends none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.utils import parsedate_tz
from typing import Any

from scrapy.http import Response

# RFC 9110's entity tag (an opaque quoted string, weak or strong), unquoted as some servers send it, of printable
# ASCII without spaces: real ones are hashes, inode-size-time triples or version numbers, well under the cap.
_ETAG = re.compile(r'(?:W/)?"[\x21\x23-\x7e]{0,200}"|[\x21\x23-\x7e]{1,200}')
_HTTP_DATE = re.compile(r"[\x20-\x7e]{1,64}")  # "Sun, 06 Nov 1994 08:49:37 GMT" and its obsolete forms


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def valid_etag(value: object) -> str | None:
    """``value`` when it is an entity tag (spaces around it dropped), else None: a header or a stored one."""
    value = value.strip() if isinstance(value, str) else None
    return value if value and _ETAG.fullmatch(value) else None


def valid_last_modified(value: object) -> str | None:
    """``value`` when it is an HTTP date (spaces around it dropped), else None: a header or a stored one."""
    value = value.strip() if isinstance(value, str) else None
    return value if value and _HTTP_DATE.fullmatch(value) and parsedate_tz(value) else None


def etag(response: Response) -> str | None:
    """The response's ``ETag`` when it is one, else None."""
    return valid_etag(_header(response, b"ETag"))


def last_modified(response: Response) -> str | None:
    """The response's ``Last-Modified`` when it is a date, else None."""
    return valid_last_modified(_header(response, b"Last-Modified"))


def conditional_headers(stored: Mapping[str, Any]) -> dict[str, str]:
    """The ``If-None-Match``/``If-Modified-Since`` headers of a revisit from ``stored``'s validators, leaving out
    what is no validator (junk a site sent before validators were checked)."""
    headers = {"If-None-Match": valid_etag(stored.get("etag")),
               "If-Modified-Since": valid_last_modified(stored.get("last_modified"))}
    return {name: value for name, value in headers.items() if value}
