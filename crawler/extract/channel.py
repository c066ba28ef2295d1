"""A socket on the asyncio event loop that speaks ``multiprocessing.connection``'s frames to a blocking peer.

The crawl's end of an extraction worker's socket pair (:mod:`crawler.extract.pool`): the worker reads and writes
with a plain :class:`~multiprocessing.connection.Connection`; here the loop reads each answer as it arrives
(a reader on the socket, no thread waiting) and a page that does not fit the socket's buffer at once is
written as the worker reads it, never blocking the loop.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import pickle
import socket
import struct
from collections import deque
from multiprocessing.reduction import ForkingPickler
from typing import Any

_SIZE = struct.Struct("!i")  # Connection's frame: a signed 32-bit length, or -1 and an unsigned 64-bit one
_LONG_SIZE = struct.Struct("!Q")
_READ = 1 << 18

logger = logging.getLogger(__name__)


def frame(obj: Any) -> bytes:
    """``obj`` pickled and framed as ``Connection.send`` frames it."""
    payload = ForkingPickler.dumps(obj)
    size = len(payload)
    header = _SIZE.pack(size) if size <= 0x7FFFFFFF else _SIZE.pack(-1) + _LONG_SIZE.pack(size)
    return header + payload


class Channel:
    """Messages to and from the peer of ``sock``, on the running loop from the first :meth:`send` or
    :meth:`receive` on. Before that (a pool made outside any loop) :meth:`send_blocking` writes."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inbox = bytearray()
        self._messages: deque[Any] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._unsent = memoryview(b"")
        self.ended = False  # the peer closed its end (or the socket failed, or was closed here)

    def send_blocking(self, obj: Any) -> None:
        """Write ``obj`` before the channel is on a loop."""
        assert self._loop is None
        self.sock.sendall(frame(obj))

    def send(self, obj: Any) -> None:
        """Write ``obj``: what the socket takes now, the rest as the peer reads (OSError when the peer is gone)."""
        loop = self._attached()
        if self.ended:
            raise EOFError
        self._unsent = memoryview(bytes(self._unsent) + frame(obj)) if self._unsent else memoryview(frame(obj))
        self._write()
        if self._unsent:
            loop.add_writer(self.sock.fileno(), self._writable)

    async def receive(self, timeout: float) -> Any:
        """The next message; TimeoutError when none came within ``timeout`` seconds, EOFError when none will."""
        loop = self._attached()
        if not self._messages and not self.ended:
            self._waiter = loop.create_future()
            try:
                async with asyncio.timeout(timeout):
                    await self._waiter  # woken by a whole message or the end, not by each part of one
            finally:
                self._waiter = None
        if self._messages:
            return self._messages.popleft()
        raise EOFError

    def close(self) -> None:
        """Stop watching the socket, close it, and wake a :meth:`receive` waiting on it to its end of file."""
        loop, self.ended = self._loop, True
        if self.sock.fileno() == -1:  # closed already
            return
        if loop is not None and not loop.is_closed():
            loop.remove_reader(self.sock.fileno())
            loop.remove_writer(self.sock.fileno())
            self._wake()
        self.sock.close()

    def _attached(self) -> asyncio.AbstractEventLoop:
        if self.sock.fileno() == -1:  # closed: never watch a number the system may have given to another file
            raise OSError(errno.EBADF, "the channel is closed")
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self.sock.setblocking(False)  # this end only: the peer's stays blocking
            self._loop.add_reader(self.sock.fileno(), self._readable)
        return self._loop

    def _readable(self) -> None:
        try:
            data = self.sock.recv(_READ)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if data:
            self._inbox += data
            try:
                self._unframe()
            except Exception as exc:  # a frame no pickle reads: nothing after it can be trusted
                logger.error("Unreadable answer from an extraction worker: %(error)r", {"error": exc})
                data = b""
            else:
                if not self._messages:
                    return
        if not data:
            self.ended = True
            assert self._loop is not None
            self._loop.remove_reader(self.sock.fileno())
        self._wake()

    def _unframe(self) -> None:
        """Move each whole message received to the queue."""
        while len(self._inbox) >= _SIZE.size:
            (size,), start = _SIZE.unpack_from(self._inbox), _SIZE.size
            if size == -1:
                if len(self._inbox) < _SIZE.size + _LONG_SIZE.size:
                    return
                (size,), start = _LONG_SIZE.unpack_from(self._inbox, _SIZE.size), _SIZE.size + _LONG_SIZE.size
            if len(self._inbox) < start + size:
                return
            with memoryview(self._inbox) as view:
                self._messages.append(pickle.loads(view[start:start + size]))
            del self._inbox[:start + size]

    def _write(self) -> None:
        try:
            sent = self.sock.send(self._unsent)
        except (BlockingIOError, InterruptedError):
            sent = 0
        self._unsent = self._unsent[sent:]

    def _writable(self) -> None:
        try:
            self._write()
        except OSError:  # the peer died mid-page: its end of file wakes the page's receive
            self._unsent = memoryview(b"")
        if not self._unsent:
            assert self._loop is not None
            self._loop.remove_writer(self.sock.fileno())

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
