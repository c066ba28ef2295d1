"""A loopback relay to a MongoDB server that answers every write command as MongoDB answers a user whose role only
allows reads (``Unauthorized``, code 13), and relays the rest: nx-27017 has no users or roles to test that with."""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading

import bson

from tests.relay import Relay, pump

OP_MSG = 2013
WRITES = frozenset(
    {
        "insert",
        "update",
        "delete",
        "findAndModify",
        "createIndexes",
        "create",
        "drop",
        "dropIndexes",
        "dropDatabase",
        "collMod",
        "renameCollection",
    }
)
_ids = itertools.count(1_000_000)


class ReadOnlyRole(Relay):
    """Listens on ``port``; ``refused`` lists the write commands it answered ``Unauthorized``. Without
    ``may_list``, ``listCollections`` is refused too (a role granted ``find`` on the collections only)."""

    def __init__(self, upstream: tuple[str, int], may_list: bool = True) -> None:
        self.denied = WRITES if may_list else WRITES | {"listCollections"}
        self.refused: list[str] = []
        super().__init__(upstream)

    def serve(self, client: socket.socket) -> None:
        server = socket.create_connection(self.upstream)
        lock = threading.Lock()  # the replies of the server and this relay's refusals share the client's socket
        threading.Thread(target=pump, args=(server, client, lock), daemon=True).start()
        with contextlib.suppress(OSError), client, server:
            while message := _message(client):
                command = _denied_command(message, self.denied)
                if command is None:
                    server.sendall(message)
                    continue
                self.refused.append(command)
                with lock:
                    client.sendall(_unauthorized(message, command))


def _message(sock: socket.socket) -> bytes:
    """One whole wire-protocol message (its length first), or b"" once the peer closed."""
    header = _exactly(sock, 4)
    return header + _exactly(sock, int.from_bytes(header, "little") - 4) if header else b""


def _exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return b""
        data += chunk
    return data


def _denied_command(message: bytes, denied: frozenset[str]) -> str | None:
    """The command name of an OP_MSG command in ``denied`` (the first key of its body section), else None."""
    if int.from_bytes(message[12:16], "little") != OP_MSG or message[20] != 0:
        return None
    size = int.from_bytes(message[21:25], "little")
    name = next(iter(bson.decode(message[21 : 21 + size])))
    return name if name in denied else None


def _unauthorized(request: bytes, command: str) -> bytes:
    reply = bson.encode(
        {
            "ok": 0.0,
            "code": 13,
            "codeName": "Unauthorized",
            "errmsg": f"not authorized to execute command {{ {command}: ... }}",
        }
    )
    body = (0).to_bytes(4, "little") + b"\x00" + reply
    header = (16 + len(body)).to_bytes(4, "little") + next(_ids).to_bytes(4, "little") + request[4:8]
    return header + OP_MSG.to_bytes(4, "little") + body
