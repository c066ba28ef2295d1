"""A bound on a response's header section, which DOWNLOAD_MAXSIZE (a body's bound) never covers.

Twisted refuses a header line over 16 KiB, but takes any number of them, and any number of folded lines
continuing one header, and any number of 1xx answers before the real one: a server that never ends its
headers was read (and held in memory) at the network's speed until DOWNLOAD_TIMEOUT. The parser here drops
the connection once the status and header lines of an answer (its 1xx answers included) pass
``DOWNLOAD_MAX_HEADER_BYTES``: the download fails as a megabyte header line does (``download/failed/bad_response``).
The default is Chromium's own limit (``kMaxHeaderBufSize``, 256 KiB): a browser shows no page past it either.

Scrapy's handler picks its parser the same way (``_LenientHTTP11ClientProtocol`` sets the parser's class after
``HTTP11ClientProtocol.request`` built it); the parser here is Scrapy's lenient one with the count added.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from scrapy.core.downloader.handlers.http11 import (
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
    _LenientHTTPClientParser,
)
from twisted.internet.defer import Deferred
from twisted.web._newclient import HTTP11ClientProtocol
from twisted.web.iweb import IResponse

logger = logging.getLogger(__name__)
DEFAULT_MAX_HEADER_BYTES = 256 * 1024


class BoundedHeaderParser(_LenientHTTPClientParser):
    """Scrapy's lenient response parser that drops the connection past ``header_budget`` bytes of lines."""

    header_budget = DEFAULT_MAX_HEADER_BYTES  # set per parser by the protocol
    header_bytes = 0

    def lineReceived(self, line: bytes) -> None:
        if self.header_bytes > self.header_budget:
            return  # the connection is closing: the rest of what was buffered is not read
        self.header_bytes += len(line) + 1
        if self.header_bytes > self.header_budget:
            logger.debug("Dropping a response whose header section passed %(budget)d bytes",
                         {"budget": self.header_budget})
            # Twisted's answer to a line past its limit: drop the connection
            self.lineLengthExceeded(line)  # type: ignore[no-untyped-call]
            return
        super().lineReceived(line)


class BoundedHeaderProtocol(_LenientHTTP11ClientProtocol):
    """Scrapy's client protocol, parsing each response with :class:`BoundedHeaderParser`."""

    header_budget = DEFAULT_MAX_HEADER_BYTES

    def request(self, request: Any) -> Deferred[IResponse]:
        answer = super().request(request)
        parser = self._parser
        assert parser is not None  # built by request(), as Scrapy's protocol relies on too
        parser.__class__ = BoundedHeaderParser
        cast(BoundedHeaderParser, parser).header_budget = self.header_budget
        return answer


def bounded_factory(budget: int) -> type[_LenientHTTP11ClientFactory]:
    """A connection pool's protocol factory class whose protocols bound header sections to ``budget`` bytes."""

    class Factory(_LenientHTTP11ClientFactory):
        def buildProtocol(self, addr: Any) -> HTTP11ClientProtocol:
            protocol = BoundedHeaderProtocol(self._quiescentCallback)  # type: ignore[no-untyped-call]
            protocol.header_budget = budget
            return protocol

    return Factory
