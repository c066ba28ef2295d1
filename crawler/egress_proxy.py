"""A SOCKS5 proxy on loopback for Chromium: every connection the browser opens passes the egress
policy here, whatever asked for it (a subresource, fetch/XHR, a frame, a worker, a redirect hop,
a WebSocket), including the ones ``page.route`` never sees.

Chromium hands host names to a SOCKS5 proxy unresolved (remote resolution), so names reach the proxy,
which resolves them, refuses a name with any private address and connects to the very address it
checked: a DNS answer cannot change between the check and the connection. (Playwright's own
``--host-resolver-rules`` flag reaches this Chromium quoted and is ignored; resource hints such as
``dns-prefetch`` sent no query in a net-log check, and ``tests/test_browser_egress.py`` serves them.)
The operator's mirror is connected to as named.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import struct
from collections.abc import Awaitable, Callable
from typing import Protocol

from crawler.middlewares.egress import host_port, is_private_host

logger = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT = 10.0  # seconds for a client to say where it wants to go
_CHUNK = 64 * 1024
# SOCKS5 reply codes (RFC 1928, section 6)
SUCCEEDED, GENERAL_FAILURE, NOT_ALLOWED, HOST_UNREACHABLE, CONNECTION_REFUSED = 0, 1, 2, 4, 5
COMMAND_NOT_SUPPORTED, ADDRESS_NOT_SUPPORTED = 7, 8

Resolver = Callable[[str, int], Awaitable[list[str]]]


class DestinationPolicy(Protocol):
    def refusal(self, host: str, port: int) -> str | None: ...
    def is_mirror(self, host: str, port: int) -> bool: ...


class Refused(Exception):
    def __init__(self, reason: str, code: int = NOT_ALLOWED) -> None:
        super().__init__(reason)
        self.reason, self.code = reason, code


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver, off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class EgressProxy:
    """Listens on 127.0.0.1 from construction (so Chromium can be pointed at it at once) and
    serves once :meth:`start` is awaited. ``policy()`` is asked per connection (None: no policy,
    everything passes); ``on_refused(reason, "host:port")`` is told of each refusal."""

    def __init__(self, policy: Callable[[], DestinationPolicy | None], on_refused: Callable[[str, str], None],
                 connect_timeout: float = 30.0, resolver: Resolver = resolve) -> None:
        self.policy, self.on_refused = policy, on_refused
        self.connect_timeout, self.resolver = connect_timeout, resolver
        self._socket: socket.socket | None = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"socks5://127.0.0.1:{self.port}"

    async def start(self) -> None:
        if self._socket is not None:
            self._server = await asyncio.start_server(self._serve, sock=self._socket)
            self._socket = None

    async def close(self) -> None:
        """Stop listening and cut every open tunnel."""
        if self._socket is not None:
            self._socket.close()
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            upstream = await self._handshake(reader, writer)
            if upstream is not None:
                await _tunnel(reader, writer, *upstream)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
            pass  # a client that went away or spoke nonsense: nothing to forward
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _handshake(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                         ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """Read the client's CONNECT, check and open the destination, answer; the upstream streams or None."""
        async with asyncio.timeout(HANDSHAKE_TIMEOUT):
            version, methods = await reader.readexactly(2)
            await reader.readexactly(methods)
            if version != 5:
                raise ValueError("not SOCKS5")
            writer.write(b"\x05\x00")  # no authentication: only loopback clients reach us
            version, command, _, address_type = await reader.readexactly(4)
            host = await _read_host(reader, address_type)
            (port,) = struct.unpack("!H", await reader.readexactly(2))
        try:
            if command != 1 or host is None:
                raise Refused("unsupported", COMMAND_NOT_SUPPORTED if command != 1 else ADDRESS_NOT_SUPPORTED)
            upstream = await self._connect(host, port)
        except Refused as refused:
            if refused.code == NOT_ALLOWED:
                self.on_refused(refused.reason, host_port(host or "", port))
            _reply(writer, refused.code)
            return None
        _reply(writer, SUCCEEDED)
        return upstream

    async def _connect(self, host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Open the connection the policy allows, to an address checked here; :class:`Refused` if none."""
        policy = self.policy()
        reason = policy.refusal(host, port) if policy else None
        if reason:
            raise Refused(reason)
        if policy is None or policy.is_mirror(host, port):
            addresses = [host]  # as named by the operator (the mirror is often on loopback)
        else:
            try:
                addresses = await self.resolver(host, port)
            except OSError:
                raise Refused("dns", HOST_UNREACHABLE) from None
            if not addresses or any(is_private_host(address) for address in addresses):
                raise Refused("private")
        for address in addresses:
            with contextlib.suppress(OSError, TimeoutError):
                return await asyncio.wait_for(asyncio.open_connection(address, port), self.connect_timeout)
        raise Refused("connect", CONNECTION_REFUSED)


async def _read_host(reader: asyncio.StreamReader, address_type: int) -> str | None:
    """The destination host of a SOCKS5 request (an IP literal or a name), None for an unknown type."""
    if address_type == 1:
        return str(ipaddress.IPv4Address(await reader.readexactly(4)))
    if address_type == 4:
        return str(ipaddress.IPv6Address(await reader.readexactly(16)))
    if address_type == 3:
        (length,) = await reader.readexactly(1)
        return (await reader.readexactly(length)).decode("ascii").lower()  # Chromium sends punycode
    return None


def _reply(writer: asyncio.StreamWriter, code: int) -> None:
    writer.write(bytes([5, code, 0, 1, 0, 0, 0, 0, 0, 0]))  # the bound address is not told


async def _tunnel(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                  up_reader: asyncio.StreamReader, up_writer: asyncio.StreamWriter) -> None:
    """Copy bytes both ways until either side closes."""
    try:
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
    finally:
        up_writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()  # the other direction's reader then ends too
