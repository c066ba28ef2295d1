"""Loopback TCP relays that stand between a command and its server (MongoDB, Redis) and misbehave as a test needs:
:class:`Relay` listens on ``port`` and hands each client to ``serve`` in a thread of its own; :class:`CuttingRelay`
drops the connection a marker passes through, and every later one; :class:`RefusingRelay` drops only that one and
refuses every later one, until restored."""

from __future__ import annotations

import contextlib
import socket
import threading


class Relay:
    """Listens on 127.0.0.1:``port`` for clients of the server at ``upstream``; a subclass serves each."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):  # the listener closed
            while True:
                client, _ = self.listener.accept()
                threading.Thread(target=self.serve, args=(client,), daemon=True).start()

    def serve(self, client: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.listener.close()


def pump(source: socket.socket, sink: socket.socket, lock: threading.Lock | None = None) -> None:
    """Copy what ``source`` sends to ``sink`` (under ``lock``, where another thread writes to ``sink`` too) until
    either closes."""
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            with lock or contextlib.nullcontext():
                sink.sendall(data)


class CuttingRelay(Relay):
    """Relays until a client message carries ``marker``, then drops that connection and every later one (``cut``
    set): the store was reachable when opened and fails at the first such query."""

    def __init__(self, upstream: tuple[str, int], marker: bytes) -> None:
        self.marker, self.cut = marker, threading.Event()
        super().__init__(upstream)

    def serve(self, client: socket.socket) -> None:
        if self.cut.is_set():
            client.close()
            return
        server = socket.create_connection(self.upstream)
        threading.Thread(target=self._copy, args=(server, client, False), daemon=True).start()
        self._copy(client, server, True)

    def _copy(self, source: socket.socket, sink: socket.socket, watch: bool) -> None:
        seen = b""
        with contextlib.suppress(OSError), source, sink:
            while data := source.recv(65536):
                seen = seen[-len(self.marker) :] + data
                if (watch and self.marker in seen) or self.cut.is_set():
                    self.cut.set()
                    return
                sink.sendall(data)


class RefusingRelay(CuttingRelay):
    """:class:`CuttingRelay`, but the connections opened before the marker passed keep relaying: only the one it
    passed through is dropped and every later one refused (a process out of descriptors: its open sockets work), until
    :meth:`restore` (descriptors freed): later connections relay, the marker passing. ``refused`` counts them."""

    def __init__(self, upstream: tuple[str, int], marker: bytes) -> None:
        self.refused, self.restored = 0, threading.Event()
        super().__init__(upstream, marker)

    def restore(self) -> None:
        self.restored.set()

    def serve(self, client: socket.socket) -> None:
        if self.cut.is_set() and not self.restored.is_set():
            self.refused += 1
            client.close()
            return
        server = socket.create_connection(self.upstream)
        threading.Thread(target=self._copy, args=(server, client, False), daemon=True).start()
        self._copy(client, server, not self.restored.is_set())

    def _copy(self, source: socket.socket, sink: socket.socket, watch: bool) -> None:
        seen = b""
        with contextlib.suppress(OSError), source, sink:
            while data := source.recv(65536):
                seen = seen[-len(self.marker) :] + data
                if watch and self.marker in seen:
                    self.cut.set()
                    return
                sink.sendall(data)
