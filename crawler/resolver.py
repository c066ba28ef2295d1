"""DNS resolver that hands Scrapy's downloads no private address (SSRF through DNS, DNS rebinding).

Installed with ``TWISTED_DNS_RESOLVER = "crawler.resolver.EgressResolver"``: Scrapy's
``CachingThreadedResolver`` (``DNSCACHE_ENABLED``, ``DNSCACHE_SIZE``, ``DNS_TIMEOUT``) whose every
answer is checked on its way to the connection, so the address checked is the address connected
to. A name that resolves to a private address (``crawler.hosts.is_private_address``) yields no
address and the download fails before anything is connected; the name then stays refused for the
life of the process, so a rebinding name cannot flip back to a public answer. IP literals written
canonically (``127.0.0.1``) pass unchanged: nothing is resolved, and the egress filter has ruled on
them by name. Names an operator chose, the mirror of ``-a base_url`` (told by the egress filter)
and the proxies of ``http_proxy``/``https_proxy``, may resolve to private addresses.
"""

from __future__ import annotations

import ipaddress
import logging
import sys
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies

from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.datatypes import LocalCache
from twisted.internet import defer
from twisted.internet.base import ReactorBase
from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure

from crawler.hosts import is_private_address, normalize_host
from crawler.sitelog import in_caller_context

logger = logging.getLogger(__name__)


class PrivateAddressError(DNSLookupError):
    """A host name resolved to a private address; it is not handed to the connection."""


class EgressResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing names that resolve to private addresses."""

    def __init__(self, reactor: ReactorBase, cache_size: int, timeout: float) -> None:
        super().__init__(reactor, cache_size, timeout)
        self._operator_names: set[str] = set()
        self._refused: LocalCache[str, str] = LocalCache(10000)  # name -> the private address it gave
        for name, proxy in getproxies().items():
            if name != "no":
                self.allow(urlsplit(proxy if "//" in proxy else f"//{proxy}").hostname or "")

    def allow(self, host: str) -> None:
        """Let ``host``, a name the operator chose, resolve to private addresses."""
        if host:
            self._operator_names.add(normalize_host(host))

    def _trusted(self, name: str) -> bool:
        """Operator-chosen names, and canonical IP literals (the egress filter rules on those by name)."""
        try:
            ipaddress.ip_address(name)
            return True
        except ValueError:
            return normalize_host(name) in self._operator_names

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> defer.Deferred[str]:
        """The address ``name`` resolves to; fails with PrivateAddressError for a private one."""
        if not self._trusted(name) and name in self._refused:
            return defer.fail(PrivateAddressError(f"{name} resolves to {self._refused[name]}, a private address"))
        # Answered on a thread: handed on in the asking crawl's context (crawler.sitelog), as is the check's warning.
        return in_caller_context(super().getHostByName(name, timeout)).addCallback(self._checked, name)

    def _checked(self, address: str, name: str) -> str:
        if self._trusted(name) or not is_private_address(address):
            return address
        self._refused[name] = address
        logger.warning("Refused to connect to %(name)s: it resolves to %(address)s, a private address",
                       {"name": name, "address": address})
        raise PrivateAddressError(f"{name} resolves to {address}, a private address")

    def private_address(self, name: str) -> defer.Deferred[str | None]:
        """The private address ``name`` resolves to (it is then refused from now on), else None.

        For the egress filter, which refuses such a request (counted, in one line) before it is
        downloaded; a lookup that fails yields None and the download reports the DNS error.
        """
        if self._trusted(name):
            return defer.succeed(None)
        if name in self._refused:
            return defer.succeed(self._refused[name])

        def check(address: str) -> str | None:
            if not is_private_address(address):
                return None
            self._refused[name] = address
            return address

        def failed(failure: Failure) -> None:
            return None  # the download meets the same error and reports it

        return in_caller_context(super().getHostByName(name)).addCallbacks(check, failed)


def installed_resolver() -> EgressResolver | None:
    """The reactor's EgressResolver, when ``TWISTED_DNS_RESOLVER`` installed one."""
    reactor: Any = sys.modules.get("twisted.internet.reactor")
    resolver = getattr(reactor, "resolver", None)
    return resolver if isinstance(resolver, EgressResolver) else None
