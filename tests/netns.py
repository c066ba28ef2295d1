"""Network namespaces for tests: host names that resolve to loopback, servers inside the namespace.

``ip netns exec NAME cmd`` runs ``cmd`` in the namespace with ``/etc/netns/NAME/hosts`` and
``resolv.conf`` mounted over ``/etc``; :meth:`Netns.call` runs a function in a thread that joined
the namespace, so a server's listening socket opened there lives in the namespace while the test
reads its state directly.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import pytest

from crawler.bench.replica_server import serve

T = TypeVar("T")
CLONE_NEWNET = 0x40000000
NETNS_REASON = "needs root and iproute2's `ip` to create a network namespace"
needs_netns = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("ip") is None, reason=NETNS_REASON)


@dataclass(frozen=True)
class Netns:
    name: str
    etc: Path  # /etc/netns/<name>: hosts and resolv.conf seen by `ip netns exec`

    @property
    def exec(self) -> list[str]:
        return ["ip", "netns", "exec", self.name]

    def run(self, *command: str) -> str:
        return subprocess.run([*self.exec, *command], check=True, capture_output=True, text=True).stdout

    def call(self, function: Callable[[], T]) -> T:
        """``function()`` run in a thread inside the namespace (sockets it opens stay there)."""
        box: dict[str, Any] = {}

        def enter_and_run() -> None:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns failed")
                box["value"] = function()
            except BaseException as exc:  # handed to the caller's thread
                box["error"] = exc
            finally:
                os.close(fd)

        thread = threading.Thread(target=enter_and_run)
        thread.start()
        thread.join()
        if "error" in box:
            raise box["error"]
        return box["value"]  # type: ignore[no-any-return]

    @contextmanager
    def serve(self, root: Path, host: str = "127.0.0.1", port: int = 0) -> Iterator[ThreadingHTTPServer]:
        """The replica server of ``root``, listening on ``host`` inside the namespace."""
        context = serve(root, port=port, host=host)
        server = self.call(context.__enter__)
        try:
            yield server
        finally:
            context.__exit__(None, None, None)


@contextmanager
def network_namespace(hosts: str = "127.0.0.1 localhost\n", resolv_conf: str = "") -> Iterator[Netns]:
    """A fresh namespace with loopback up and the given ``/etc/hosts`` (and ``resolv.conf``); removed after."""
    name = f"egress-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    etc = Path("/etc/netns") / name
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        etc.mkdir(parents=True)
        (etc / "hosts").write_text(hosts)
        (etc / "resolv.conf").write_text(resolv_conf or "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        netns = Netns(name, etc)
        netns.run("ip", "link", "set", "lo", "up")
        yield netns
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)
        shutil.rmtree(etc, ignore_errors=True)
