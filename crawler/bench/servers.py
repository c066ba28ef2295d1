"""Throwaway servers on loopback for tests and benchmarks: a free port, nx-27017 (a MongoDB-compatible server),
a ``redis-server`` without persistence, each SIGKILLed after. Their clients are imported where they are asked
(``pymongo``, ``redis``), so a script that starts neither never loads them."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_mongo(uri: str, process: subprocess.Popen[bytes], log: Path) -> None:
    import pymongo

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nx-27017 exited: {log.read_text(errors='replace')[-2000:]}")
        client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(uri, serverSelectionTimeoutMS=300)
        try:
            client.admin.command("ping")
            return
        except pymongo.errors.PyMongoError:
            time.sleep(0.1)
        finally:
            client.close()
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
        _wait_for_mongo(f"mongodb://127.0.0.1:{port}", process, log)
    except RuntimeError:
        kill(process)
        raise
    return process


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)  # nx-27017 may ignore SIGTERM while busy
    process.wait()


@contextmanager
def running_redis() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A throwaway ``redis-server`` on a free loopback port (no persistence), SIGKILLed after: its URL and process."""
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        client = redis.Redis(port=port, socket_connect_timeout=0.5)
        for _ in range(100):
            with suppress(redis.ConnectionError):
                if client.ping():
                    break
            time.sleep(0.05)
        client.close()
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        kill(process)
