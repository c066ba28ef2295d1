"""Throwaway servers on loopback for tests and benchmarks: a free port, nx-27017 (a MongoDB-compatible server),
a ``redis-server`` without persistence, each SIGKILLed after. Whether one answers is asked in its own wire protocol,
so no database or Redis client is imported here (only the storage and frontier layers import those)."""

from __future__ import annotations

import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ping_message() -> bytes:
    """A MongoDB OP_MSG ``{ping: 1, $db: "admin"}``, built by hand: waiting for a server needs no driver (the
    storage layer alone imports one)."""
    db = b"admin\x00"
    body = (b"\x10ping\x00" + struct.pack("<i", 1) + b"\x02$db\x00" + struct.pack("<i", len(db)) + db)
    document = struct.pack("<i", len(body) + 5) + body + b"\x00"
    payload = struct.pack("<I", 0) + b"\x00" + document
    return struct.pack("<iiii", 16 + len(payload), 1, 0, 2013) + payload


def _answers_ping(port: int) -> bool:
    """Whether a MongoDB server on loopback ``port`` answers a ping with ``ok: 1``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(_ping_message())
            reply = b""
            while len(reply) < 4 or len(reply) < struct.unpack("<i", reply[:4])[0]:
                chunk = connection.recv(65536)
                if not chunk:
                    return False
                reply += chunk
    except OSError:
        return False
    ok = b"\x01ok\x00" + struct.pack("<d", 1.0)
    return struct.unpack("<i", reply[12:16])[0] == 2013 and (ok in reply or b"\x10ok\x00\x01\x00\x00\x00" in reply)


def _wait_for_mongo(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nx-27017 exited: {log.read_text(errors='replace')[-2000:]}")
        if _answers_ping(port):
            return
        time.sleep(0.1)
    raise RuntimeError("nx-27017 did not answer within 30 s")


def start_nx27017(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    """Start an nx-27017 server on ``port`` with its data under ``workdir``; returns once it answers."""
    executable = shutil.which("nx-27017") or str(Path(sys.executable).parent / "nx-27017")
    log = workdir / "server.log"
    process = subprocess.Popen(
        [executable, "--data-dir", str(workdir / "data"), "-p", str(port),
         "--pid-file", str(workdir / "pid"), "--log-file", str(log)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    try:
        _wait_for_mongo(port, process, log)
    except RuntimeError:
        kill(process)
        raise
    return process


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)  # nx-27017 may ignore SIGTERM while busy
    process.wait()


def _redis_answers(port: int) -> bool:
    """Whether a Redis server on loopback ``port`` answers PING (in its wire protocol: no client needed)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(port: int, directory: Path | None = None) -> subprocess.Popen[bytes]:
    """A ``redis-server`` on loopback ``port`` without persistence, once it answers. ``directory``: where an explicit
    ``SHUTDOWN SAVE`` writes its snapshot, which a server started again on it loads (a restart that keeps its data);
    else the current directory, never written to unless asked."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    where = ["--dir", str(directory)] if directory is not None else []
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no", *where], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               stdin=subprocess.DEVNULL)
    for _ in range(100):
        if _redis_answers(port):
            break
        time.sleep(0.05)
    return process


@contextmanager
def running_redis(directory: Path | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A throwaway ``redis-server`` on a free loopback port (no persistence; ``directory``: see :func:`start_redis`),
    SIGKILLed after: its URL and process."""
    port = free_port()
    process = start_redis(port, directory)
    try:
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        kill(process)
