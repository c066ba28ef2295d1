"""Every key a shared crawl's Lua script touches is one its caller gave it in ``KEYS`` (Redis' scripting rule, and what
Redis Cluster needs to route a script). Checked on a real ``redis-server``: its ``MONITOR`` feed shows each command a
script runs, and ``COMMAND GETKEYS`` names the keys of each. The heartbeat of a worker revived after a silence and
those a new version's worker checks before dropping an abandoned crawl were built inside the scripts."""

from __future__ import annotations

import codecs
import re
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
import redis
from redis.commands.core import Script

from crawler.frontier.shared import ArgsConflict, FrontierConfig, SharedCrawl

pytestmark = pytest.mark.e2e  # a redis-server of its own
END = b"end-of-the-monitored-work"
_LINE = re.compile(rb"\+[\d.]+ \[\d+ ([^\]]+)\] (.*)\r\n")
_ARG = re.compile(rb'"((?:[^"\\]|\\.)*)"')


def monitored(url: str, work: Callable[[], None]) -> list[tuple[bool, list[bytes]]]:
    """The commands Redis ran while ``work`` ran, in order: whether a script ran it, and its arguments."""
    address = urlsplit(url)
    with socket.create_connection((address.hostname, address.port)) as sock:
        sock.sendall(b"MONITOR\r\n")
        lines = sock.makefile("rb")
        assert lines.readline() == b"+OK\r\n"
        work()
        with redis.Redis.from_url(url) as client:
            client.echo(END)
        commands = []
        for line in lines:
            found = _LINE.fullmatch(line)
            assert found, line
            args = [codecs.escape_decode(arg)[0] for arg in _ARG.findall(found.group(2))]
            if args == [b"ECHO", END]:
                return commands
            commands.append((found.group(1) == b"lua", args))
    raise AssertionError("the monitor feed ended early")


def undeclared(client: redis.Redis, commands: list[tuple[bool, list[bytes]]]) -> tuple[list[str], set[bytes]]:
    """Each key a script touched that its call did not give it; the scripts (their SHA1) that ran."""
    wrong, ran, given = [], set(), set[bytes]()
    for by_script, args in commands:
        if not by_script:
            if args[0].upper() in (b"EVAL", b"EVALSHA"):
                ran.add(args[1])
                given = set(args[3:3 + int(args[2])])
            continue
        try:
            keys = [key if isinstance(key, bytes) else key.encode() for key in client.command_getkeys(*args)]
        except redis.ResponseError:  # TIME: no key
            keys = []
        wrong += [f"{args[0].decode()} {key.decode()}" for key in keys if key not in given]
    return wrong, ran


def every_script(client: redis.Redis) -> None:
    """Each script of a shared crawl, each branch that touches a key: pops, their undoing, admission, a beat after a
    silence reviving a peer, a dead peer's requests pushed back, a new version refused by a live crawl then dropping it
    once none lives, a pointer to a crawl whose keys are gone, the run record's last part, leaving."""
    config = FrontierConfig()
    first, second = SharedCrawl(client, "site", config), SharedCrawl(client, "site", config)
    first.join({"v": 1})
    second.join({"v": 1})
    for n in range(3):
        first.push({"url": f"https://site.kg/{n}/"}, 0)
    assert first.admit_article("a:1", 10, max_queued=5) == 1
    assert second.pop(1) is not None and second.undo_pop(1) == 1
    assert second.pop(2) is not None
    taken = first.pop(1)
    assert taken is not None
    first.finished(taken[0])
    seconds, micros = client.time()
    long_ago = seconds * 1000 + micros // 1000 - 60_000  # the whole crawl silent for a minute, both alive before it
    client.set(first.key("pulse"), long_ago)
    client.hset(first.key("beats"), mapping={first.worker: long_ago, second.worker: long_ago})
    client.delete(second.key("hb", second.worker))
    first.beat(busy=False)
    assert client.exists(second.key("hb", second.worker))  # revived: a timeout to beat again
    client.delete(second.key("hb", second.worker))
    assert first.recover() == 1
    with pytest.raises(ArgsConflict):
        SharedCrawl(client, "site", config).join({"v": 2})
    client.delete(first.key("hb", first.worker))
    newer = SharedCrawl(client, "site", config)
    newer.join({"v": 2})
    assert newer.seeder
    client.delete(newer.key("args"))
    newest = SharedCrawl(client, "site", config)
    newest.join({"v": 2})
    assert newest.seeder and newest.crawl_id != newer.crawl_id
    assert newest.recorded()
    newest.leave(ended=True)


def test_every_key_a_frontier_script_touches_is_given_to_it(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    wrong, ran = undeclared(client, monitored(redis_url, lambda: every_script(client)))
    assert wrong == []
    scripts = {value.sha.encode() for value in vars(SharedCrawl(client, "site", FrontierConfig())).values()
               if isinstance(value, Script)}
    assert scripts <= ran, "a script of SharedCrawl was not run"
