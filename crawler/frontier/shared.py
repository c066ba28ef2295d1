"""The keys of one shared crawl of a site in Redis, and every call on them (blocking, loopback-fast).

``<prefix>:<site>:crawl`` names the running crawl (its id, taken with ``SET NX`` by the worker that
seeds it); the crawl's own keys are ``<prefix>:<site>:<id>:...``: ``queue`` (a sorted set of
serialized requests, highest priority first), ``seen`` (article keys and request fingerprints),
``workers``, ``args`` (the seeder's ``-a since/limit/sources``, config and code, JSON: a worker with others is
refused while a worker of the crawl lives; once none does, it drops the crawl and starts its own),
``articles`` (article requests admitted, against ``-a limit`` for the whole crawl; a newly discovered one is admitted
only while ``queue`` holds fewer than ``DISCOVERY_MAX_QUEUED_ARTICLES`` requests, in the same script), ``recording``
(a sorted set of the workers whose run record part is not written yet, by when it is due: never while the worker is
a member of ``workers``, ``worker_timeout`` after it left; one that left and missed it writes none; the last to write
judges and alerts, once: ``judged``), and per
worker ``hb:<w>`` (its heartbeat, expiring), ``busy:<w>`` (its engine has work), ``inflight:<w>`` (requests it took
and has not finished), ``pop:<w>`` (its last pop and highest undone one, so that a pop whose answer it never read
can be undone) and
``done:<w>`` (requests it finished in the last ``settle`` seconds, whose items may still sit in its storage batch).
A worker whose heartbeat lapsed has its in-flight and done requests pushed back to the queue by whoever notices
(judged in the script that pushes them back). ``pulse`` is Redis's time of the crawl's last beat, ``beats`` each
worker's last: a beat that finds the whole crawl silent for half a worker timeout or more (Redis out of reach, or
restarted with its data) gives every worker that was alive when the silence began a fresh heartbeat first, so the
first worker back never takes its peers, waiting out the same outage, for dead, and a worker dead before it is still
recovered. Every key expires ``key_ttl`` after the last live worker's last beat (``pop:<w>`` ``key_ttl`` after the
worker's last pop). Requests are stored without credentials. Each script is given every key it touches in ``KEYS``
(per-worker heartbeats too, named by the caller); the keys share no hash tag, so a Redis Cluster would still refuse
the scripts (one slot per script): a single Redis (or a replicated one) is what this supports.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any

import redis

logger = logging.getLogger(__name__)

ID_LENGTH = 16  # hex characters of the id that starts every queued entry (entries are unique)
SECRET_HEADERS = (b"Authorization", b"Proxy-Authorization", b"Cookie")

# Atomically take the best entry to this worker's in-flight hash (its score kept for a requeue), unless the pop ARGV[2]
# (the worker's token for it, increasing) is at or below the worker's highest undone pop (``floor`` of KEYS[3]: undone
# already, or older than one that was); ``last`` of KEYS[3] is the worker's last pop, ``<token>|<id>``.
_POP = """
if tonumber(ARGV[2]) <= tonumber(redis.call('HGET', KEYS[3], 'floor') or '0') then return false end
local entry = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #entry == 0 then return false end
redis.call('ZREM', KEYS[1], entry[1])
local id = string.sub(entry[1], 1, tonumber(ARGV[1]))
redis.call('HSET', KEYS[2], id, entry[2] .. '|' .. entry[1])
redis.call('HSET', KEYS[3], 'last', ARGV[2] .. '|' .. id)
redis.call('EXPIRE', KEYS[3], ARGV[3])
return entry[1]
"""
# Undo the pop ARGV[1] whose answer the worker never read: its entry goes back to the queue (KEYS[3]) if Redis ran it
# (it is the worker's last pop, ``last`` of KEYS[1], and still in its in-flight hash, KEYS[2]; a peer may have recovered
# it), and a pop Redis has not run yet never will, nor will any older one (``floor``: a paused Redis, or a connection
# the worker gave up on, may deliver it after this); how many went back.
_UNDO_POP = """
local last = redis.call('HGET', KEYS[1], 'last')
local mark = ARGV[1] .. '|'
local n = 0
if last and string.sub(last, 1, #mark) == mark then
  local id = string.sub(last, #mark + 1)
  local value = redis.call('HGET', KEYS[2], id)
  if value then
    local bar = string.find(value, '|', 1, true)
    redis.call('ZADD', KEYS[3], tonumber(string.sub(value, 1, bar - 1)), string.sub(value, bar + 1))
    redis.call('HDEL', KEYS[2], id)
    n = 1
  end
end
if tonumber(ARGV[1]) > tonumber(redis.call('HGET', KEYS[1], 'floor') or '0') then
  redis.call('HSET', KEYS[1], 'floor', ARGV[1])
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return n
"""
# Push a worker's in-flight and recently done entries back to the queue; forget the worker.
_PUSH_BACK = """
local n = 0
for _, value in ipairs(redis.call('HVALS', KEYS[2])) do
  local bar = string.find(value, '|', 1, true)
  redis.call('ZADD', KEYS[1], tonumber(string.sub(value, 1, bar - 1)), string.sub(value, bar + 1))
  n = n + 1
end
for _, value in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  local bar = string.find(value, '|', 1, true)
  redis.call('ZADD', KEYS[1], tonumber(string.sub(value, 1, bar - 1)), string.sub(value, bar + 1))
  n = n + 1
end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[5])
redis.call('SREM', KEYS[4], ARGV[1])
"""
_REQUEUE = _PUSH_BACK + "return n"
# The same for a worker taken for dead, unless its heartbeat (KEYS[6]) lives: -1. Judged in the script, so a worker
# that beats between a peer's look and the push keeps its requests; a dead worker writes no run record part (KEYS[7]).
_RECOVER = ("if redis.call('EXISTS', KEYS[6]) == 1 then return -1 end" + _PUSH_BACK
            + "redis.call('ZREM', KEYS[7], ARGV[1])\nreturn n")
# A beat of the crawl at Redis's time (``pulse``, KEYS[1], milliseconds), before the beating worker's own heartbeat and
# any judgement: after the whole crawl was silent longer than ARGV[2] ms, every member (KEYS[2]) alive when the silence
# began (its last beat, in KEYS[3], within a timeout of the crawl's last) gets a heartbeat of ARGV[1] ms to beat
# again; how many did. A member dead before it is not revived: a lone worker whose beats come more than ARGV[2] apart
# (a loaded host) found every beat "after a silence", and kept a dead peer alive for good. Then the beating worker's
# (ARGV[4]) last beat is recorded. Redis's clock, so the workers' clocks do not matter. The members are known only in
# the script, and a script may touch only the keys it is given: the caller names workers in ARGV[5...] and gives their
# heartbeat keys in KEYS[4...], in the same order; a member to revive that it did not name makes the script do nothing
# and answer -1 (the caller reads the members and calls again). A beat names none: only one after a silence needs them.
_PULSE = """
local time = redis.call('TIME')
local now = tonumber(time[1] .. string.sub(string.format('%06d', tonumber(time[2])), 1, 3))
local last = tonumber(redis.call('GET', KEYS[1]))
local timeout = tonumber(ARGV[1])
local due = {}
if last and now - last > tonumber(ARGV[2]) then
  local heartbeats = {}
  for i = 5, #ARGV do heartbeats[ARGV[i]] = KEYS[i - 1] end
  for _, worker in ipairs(redis.call('SMEMBERS', KEYS[2])) do
    local beat = tonumber(redis.call('HGET', KEYS[3], worker))
    if beat and last - beat < timeout then
      if not heartbeats[worker] then return -1 end
      due[#due + 1] = heartbeats[worker]
    end
  end
end
redis.call('SET', KEYS[1], now, 'EX', ARGV[3])
for _, heartbeat in ipairs(due) do redis.call('SET', heartbeat, 1, 'PX', timeout) end
redis.call('HSET', KEYS[3], ARGV[4], now)
redis.call('EXPIRE', KEYS[3], ARGV[3])
return #due
"""
STALE_MEMBERS = -1  # _PULSE's answer when a member it had to revive was not named (joined since the caller looked)
# Admit an article key new to the crawl unless ``-a limit`` (ARGV[2], 0: none) articles were admitted or, for a newly
# discovered one, the queue (KEYS[3]) holds ARGV[4] requests (0: no cap): 1 admitted, 0 seen already, -1 over the limit,
# -2 the queue full. A browser re-render (ARGV[5] 0) neither counts nor meets the limit. One script, so two workers
# never both take the last place, and a dropped article is not taken for seen.
_ADMIT_ARTICLE = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 0 end
local counted = ARGV[5] == '1'
local limit = tonumber(ARGV[2])
if counted and limit > 0 and tonumber(redis.call('GET', KEYS[2]) or '0') >= limit then return -1 end
local most = tonumber(ARGV[4])
if most > 0 and redis.call('ZCARD', KEYS[3]) >= most then return -2 end
redis.call('SADD', KEYS[1], ARGV[1])
if counted then
  redis.call('INCR', KEYS[2])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
return 1
"""
# Delete the site's pointer only while it still names the crawl ARGV[1] (a new crawl may have replaced it).
_DROP_POINTER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_NOW_MS = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
"""
# This worker's run record part is written: 1 when it was the last awaited and the crawl is not judged yet (it now
# is, ``judged``: a worker re-added to ``recording`` after the judgement never judges it a second time), else 0; 2 when
# a worker still in the crawl is awaited (it writes later and judges, unless it leaves without writing). A worker that
# left without writing in time (its Redis out of reach, its run health failed) is no longer awaited; while only workers
# that left are awaited, the number (below 0) of milliseconds until the first is due: the caller asks again then.
_RECORDED = _NOW_MS + """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCOUNT', KEYS[1], '+inf', '+inf') > 0 then return 2 end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #first > 0 then return math.min(-1, now - tonumber(first[2])) end
if redis.call('SET', KEYS[2], 1, 'NX', 'EX', ARGV[2]) then return 1 end
return 0
"""
# Await this worker's part again (taken for dead, it lives) unless the crawl was judged already.
_AWAIT_PART = """
if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('ZADD', KEYS[1], '+inf', ARGV[1]) end
return 0
"""
# This worker left the crawl: its part, if still awaited, is due within ARGV[2] ms (Redis's time).
_PART_DUE = _NOW_MS + """
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
return 0
"""
# Delete the site's pointer while it still names the crawl ARGV[1] and none of its workers (KEYS[2]) has a heartbeat:
# 1 dropped, 0 a worker lives, -1 the pointer changed. The caller names the workers in ARGV[2...] and gives their
# heartbeat keys in KEYS[3...] (a script touches only the keys it is given); a member it did not name (it joined since
# the caller looked, beating) answers -2 unless a named one lives. One script, so a worker joining the crawl or another
# new worker dropping it first never sees a half-done drop.
_DROP_ABANDONED = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local heartbeats = {}
for i = 2, #ARGV do heartbeats[ARGV[i]] = KEYS[i + 1] end
local unnamed = false
for _, worker in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local heartbeat = heartbeats[worker]
  if not heartbeat then unnamed = true
  elseif redis.call('EXISTS', heartbeat) == 1 then return 0 end
end
if unnamed then return -2 end
redis.call('DEL', KEYS[1])
return 1
"""
UNNAMED_MEMBER = -2  # _DROP_ABANDONED's answer when a member it found was not named (joined since the caller looked)
LAST, NOT_LAST, MEMBER_AWAITED = 1, 0, 2  # _RECORDED's answers (below 0: workers that left are awaited)
MEMBER_TRIES = 3  # calls of a script naming the members, read again each time; a member joins rarely


class CrawlGone(redis.RedisError):
    """The shared crawl's keys vanished from a live Redis (restarted without persistence, or flushed): its
    queue and seen set are lost, so an empty frontier no longer means the crawl is done."""

    def __init__(self, crawl_id: str) -> None:
        super().__init__(f"the shared crawl {crawl_id} is gone from Redis (restarted or flushed): its queue is lost")


class UnreadableEntry(Exception):
    """A popped entry that is no request's dict (corrupt, or pickled by another version whose classes are gone):
    ``request_id`` (bytes: it may not even be text) is still in this worker's in-flight hash."""

    def __init__(self, request_id: bytes, error: BaseException) -> None:
        super().__init__(f"{type(error).__name__}: {str(error)[:200]}")
        self.request_id = request_id


class ArgsConflict(Exception):
    """A worker's spider arguments differ from those the shared crawl was started with."""

    def __init__(self, crawl_args: dict[str, Any]) -> None:
        super().__init__(json.dumps(crawl_args, sort_keys=True))
        self.crawl_args = crawl_args


@dataclass(frozen=True)
class FrontierConfig:
    """How a worker takes part in a shared crawl (settings ``FRONTIER_*``)."""

    prefix: str = "news"
    idle_seconds: float = 10.0  # the whole cluster idle this long: the crawl is over
    worker_timeout: float = 15.0  # a worker silent this long is dead: its requests go back
    settle_seconds: float = 30.0  # a finished request's item is stored by then (storage flush)
    key_ttl: float = 3600.0  # keys live this long after the last beat
    redis_wait: float = 60.0  # a worker out of work waits this long for a lost Redis before it ends


def worker_id() -> str:
    """This process, as other workers see it (host, pid, a random part)."""
    return f"{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:6]}"


def without_secrets(data: dict[str, Any]) -> dict[str, Any]:
    """A request's dict without credential headers or a proxy's password (never written to Redis)."""
    headers = {k: v for k, v in (data.get("headers") or {}).items()
               if (k.encode() if isinstance(k, str) else k).lower() not in {h.lower() for h in SECRET_HEADERS}}
    meta = {k: v for k, v in (data.get("meta") or {}).items() if k != "proxy" and "auth" not in k.lower()}
    return {**data, "headers": headers, "meta": meta}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


class SharedCrawl:
    """One worker's handle on the shared crawl of ``site``."""

    def __init__(self, client: redis.Redis, site: str, config: FrontierConfig, worker: str | None = None,
                 writes_part: bool = True) -> None:
        self.client = client
        self.writes_part = writes_part  # this worker writes a run record part (its run health is on): awaited
        self.site = site
        self.config = config
        self.worker = worker or worker_id()
        self.pointer = f"{config.prefix}:{site}:crawl"
        self.crawl_id = ""
        self.seeder = False
        self._pop = client.register_script(_POP)
        self._undo_pop = client.register_script(_UNDO_POP)
        self._admit_article = client.register_script(_ADMIT_ARTICLE)
        self._requeue = client.register_script(_REQUEUE)
        self._recover = client.register_script(_RECOVER)
        self._pulse = client.register_script(_PULSE)
        self._drop_pointer = client.register_script(_DROP_POINTER)
        self._drop_abandoned = client.register_script(_DROP_ABANDONED)
        self._recorded = client.register_script(_RECORDED)
        self._await_part = client.register_script(_AWAIT_PART)
        self._part_due = client.register_script(_PART_DUE)

    def on(self, client: redis.Redis) -> SharedCrawl:
        """This worker's handle on the same crawl, its calls made through ``client`` (other timeouts)."""
        handle = SharedCrawl(client, self.site, self.config, self.worker, self.writes_part)
        handle.crawl_id, handle.seeder = self.crawl_id, self.seeder
        return handle

    def key(self, name: str, worker: str | None = None) -> str:
        """A key of this crawl (``name``, or ``name:<worker>``)."""
        return f"{self.config.prefix}:{self.site}:{self.crawl_id}:{name}" + (f":{worker}" if worker else "")

    # -- joining and beating ------------------------------------------------------------------------
    def join(self, args: dict[str, Any] | None = None) -> None:
        """Start the site's crawl (this worker seeds it, its ``args`` become the crawl's) or join the running
        one; raises ArgsConflict, without joining, when ``args`` differ from those of a crawl a live worker holds."""
        ttl = int(self.config.key_ttl)
        wanted = json.dumps(args or {}, sort_keys=True)
        while not self.crawl_id:
            candidate = uuid.uuid4().hex[:12]
            # The args first: a joiner that finds the pointer always finds the crawl's args too.
            args_key = f"{self.config.prefix}:{self.site}:{candidate}:args"
            self.client.set(args_key, wanted, ex=ttl)
            if self.client.set(self.pointer, candidate, nx=True, ex=ttl):
                self.crawl_id, self.seeder = candidate, True
            else:
                self.client.delete(args_key)
                current = self.client.get(self.pointer)
                if current is None:
                    continue  # gone meanwhile: try again
                self.crawl_id = _text(current)
                crawl_args = self.client.get(self.key("args"))
                if crawl_args is None:  # a pointer to a crawl whose keys are gone (evicted, flushed): drop it
                    self._drop_pointer(keys=[self.pointer], args=[current])
                    self.crawl_id = ""
                elif _text(crawl_args) != wanted:
                    if not self._abandoned(current):
                        self.crawl_id = ""
                        raise ArgsConflict(json.loads(crawl_args))
                    self.crawl_id = ""  # dropped: try again (this worker, or another new one, starts the crawl)
        self.beat(busy=True)  # its heartbeat with its membership, at once: never a member taken for dead

    def _abandoned(self, current: bytes | str) -> bool:
        """Drop the pointer to the crawl ``current`` when no worker of it lives (stopped by SIGTERM, killed: it left
        without ending the crawl); whether the pointer is no longer to it. Its queue is not taken over: it was
        filled under other arguments or code (a request the new code cannot read would be lost)."""
        queued = self.client.zcard(self.key("queue"))
        dropped = UNNAMED_MEMBER
        for _ in range(MEMBER_TRIES):
            names, heartbeats = self._members()
            dropped = int(self._drop_abandoned(keys=[self.pointer, self.key("workers"), *heartbeats],
                                               args=[current, *names]))
            if dropped != UNNAMED_MEMBER:
                break
        if dropped == 1:
            logger.warning("The shared crawl %(id)s of %(site)s has no live worker (stopped before it ended) and "
                           "other arguments or code: starting a new one, its %(n)d queued requests abandoned",
                           {"id": self.crawl_id, "site": self.site, "n": queued})
        return dropped not in (0, UNNAMED_MEMBER)  # a member that joined meanwhile lives

    def _members(self) -> tuple[list[str], list[str]]:
        """The crawl's workers and their heartbeat keys, for a script that must be given every key it touches."""
        names = sorted(_text(raw) for raw in self.client.smembers(self.key("workers")))
        return names, [self.key("hb", name) for name in names]

    def beat(self, busy: bool) -> None:
        """Say this worker lives (and whether its engine has work); keep the crawl's keys alive. Raises
        CrawlGone when the crawl's ``args`` (set at its start, kept alive by every beat) are gone."""
        ttl = int(self.config.key_ttl)
        with self.client.pipeline() as pipe:
            pipe.exists(self.key("args"))
            self._beat_crawl([], client=pipe)
            timeout = int(self.config.worker_timeout * 1000)
            pipe.set(self.key("hb", self.worker), 1, px=timeout)
            # Taken for dead while Redis was out of reach (its heartbeat lapsed there, then the others' came first):
            # alive, it is again a worker whose work counts and whose run record part is awaited.
            pipe.sadd(self.key("workers"), self.worker)
            if self.writes_part:
                self._await_part(keys=[self.key("recording"), self.key("judged")], args=[self.worker], client=pipe)
            if busy:
                pipe.set(self.key("busy", self.worker), 1, px=timeout)
            else:
                pipe.delete(self.key("busy", self.worker))
            pipe.zremrangebyscore(self.key("done", self.worker), "-inf", f"({time.time() - self.config.settle_seconds}")
            for name in ("queue", "seen", "workers", "args", "articles", "recording", "judged"):
                pipe.expire(self.key(name), ttl)
            pipe.expire(self.key("inflight", self.worker), ttl)
            pipe.expire(self.key("done", self.worker), ttl)
            alive, pulse = pipe.execute()[:2]
        if not alive:
            raise CrawlGone(self.crawl_id)
        for _ in range(MEMBER_TRIES):  # after a silence: the members to revive must be named (a rare second call)
            if pulse != STALE_MEMBERS:
                break
            pulse = self._beat_crawl(self._members()[0])
        if self.client.get(self.pointer) == self.crawl_id.encode():
            self.client.expire(self.pointer, ttl)

    def _beat_crawl(self, members: list[str], client: redis.client.Pipeline | None = None) -> Any:
        """The crawl's pulse (``_PULSE``) naming ``members``, on ``client`` (a pipeline) or this handle's client."""
        timeout = int(self.config.worker_timeout * 1000)
        return self._pulse(keys=[self.key("pulse"), self.key("workers"), self.key("beats"),
                                 *(self.key("hb", member) for member in members)],
                           args=[timeout, timeout // 2, int(self.config.key_ttl), self.worker, *members],
                           client=client)

    # -- requests -----------------------------------------------------------------------------------
    def admit(self, key: str) -> bool:
        """Whether ``key`` (an article or a request fingerprint) is new to the whole crawl (it is now seen)."""
        return bool(self.client.sadd(self.key("seen"), key))

    def admit_article(self, key: str, limit: int | None, max_queued: int = 0, counted: bool = True) -> int:
        """Admit an article ``key`` to the crawl: 1 admitted, 0 seen already, -1 the crawl's ``limit`` is reached
        (only a ``counted`` one: not a browser re-render), -2 ``max_queued`` (0: no cap) requests are queued."""
        return int(self._admit_article(keys=[self.key("seen"), self.key("articles"), self.key("queue")],
                                       args=[key, limit or 0, int(self.config.key_ttl), max_queued, int(counted)]))

    def articles(self) -> int:
        """Article requests the whole crawl admitted so far."""
        return int(self.client.get(self.key("articles")) or 0)

    def push(self, data: dict[str, Any], priority: int) -> None:
        """Queue a serialized request (a dict of ``Request.to_dict``)."""
        entry = uuid.uuid4().hex[:ID_LENGTH].encode() + pickle.dumps(without_secrets(data), protocol=5)
        self.client.zadd(self.key("queue"), {entry: -priority})

    def pop(self, token: int) -> tuple[str, dict[str, Any]] | None:
        """The best queued request (its id and dict), now in this worker's in-flight hash; None when empty, or when
        this worker undid the pop ``token`` (one of its pops' increasing tokens) or a later one (:meth:`undo_pop`).
        Raises UnreadableEntry for an entry that is no request's dict (:meth:`discard` it)."""
        entry = self._pop(keys=[self.key("queue"), self.key("inflight", self.worker), self.key("pop", self.worker)],
                          args=[ID_LENGTH, token, int(self.config.key_ttl)])
        if not entry:
            return None
        try:  # written by workers of this crawl, unless corrupt or by another version whose classes are gone
            request_id, data = entry[:ID_LENGTH].decode(), pickle.loads(entry[ID_LENGTH:])
        except Exception as exc:  # pickle raises nearly anything on bad bytes (EOFError, ImportError, KeyError...)
            raise UnreadableEntry(entry[:ID_LENGTH], exc) from None
        if not isinstance(data, dict):
            raise UnreadableEntry(entry[:ID_LENGTH], TypeError(f"a {type(data).__name__}, not a request's dict"))
        return request_id, data

    def discard(self, request_id: bytes | str) -> None:
        """Forget this worker's in-flight entry ``request_id`` for good: no request can be made of it, and as a done
        one it would go back to the queue if this worker died within ``settle`` seconds."""
        self.client.hdel(self.key("inflight", self.worker), request_id)

    def undo_pop(self, token: int) -> int:
        """Undo this worker's pop ``token``, whose answer it never read: its request back in the queue if Redis ran
        it, never run if not yet (a paused Redis runs what it had read once resumed); how many went back (0 or 1)."""
        return int(self._undo_pop(keys=[self.key("pop", self.worker), self.key("inflight", self.worker),
                                        self.key("queue")], args=[token, int(self.config.key_ttl)]))

    def finished(self, request_id: str) -> None:
        """A request left the downloader: done, kept ``settle`` seconds in case this worker dies before storing."""
        inflight, done = self.key("inflight", self.worker), self.key("done", self.worker)
        value = self.client.hget(inflight, request_id)
        if value is not None:
            with self.client.pipeline() as pipe:
                pipe.zadd(done, {_bytes(value): time.time()})
                pipe.hdel(inflight, request_id)
                pipe.execute()

    def queued(self) -> int:
        """Requests waiting in the shared queue."""
        return int(self.client.zcard(self.key("queue")))

    # -- the cluster --------------------------------------------------------------------------------
    def requeue(self, worker: str) -> int:
        """Push ``worker``'s in-flight and recently done requests back to the queue and forget it."""
        return int(self._requeue(keys=[self.key("queue"), self.key("inflight", worker), self.key("done", worker),
                                       self.key("workers"), self.key("busy", worker)], args=[worker]))

    def recover(self) -> int:
        """Requeue the requests of every worker whose heartbeat lapsed; how many went back."""
        recovered = 0
        for raw in self.client.smembers(self.key("workers")):
            worker = _text(raw)
            if worker != self.worker:
                recovered += max(0, int(self._recover(
                    keys=[self.key("queue"), self.key("inflight", worker), self.key("done", worker),
                          self.key("workers"), self.key("busy", worker), self.key("hb", worker),
                          self.key("recording")], args=[worker])))
        return recovered

    def busy(self) -> bool:
        """Whether the crawl has work: queued requests, or a live worker with requests in flight or work in hand."""
        if self.queued():
            return True
        for raw in self.client.smembers(self.key("workers")):
            worker = _text(raw)
            if worker != self.worker and (self.client.exists(self.key("busy", worker))
                                          or self.client.hlen(self.key("inflight", worker))):
                return True
        return bool(self.client.hlen(self.key("inflight", self.worker)))

    def recorded(self) -> int:
        """This worker's run record part is written: LAST when it was the last of the crawl's workers to write (it
        judges the crawl), NOT_LAST when not, MEMBER_AWAITED when a worker still in the crawl is (it judges, unless it
        leaves without writing: ask again); below 0, only workers that left are awaited, the first due in that many
        milliseconds: ask again then (written by then, it judged; else it is awaited no longer)."""
        return int(self._recorded(keys=[self.key("recording"), self.key("judged")],
                                  args=[self.worker, int(self.config.key_ttl)]))

    def leave(self, ended: bool) -> int:
        """Leave the crawl: unfinished requests go back (a stopped worker never wipes the queue); when the
        crawl ended, the site's pointer to it goes so the next ``scrapy crawl`` starts a new one."""
        with self.client.pipeline() as pipe:
            pipe.delete(self.key("hb", self.worker))
            pipe.delete(self.key("done", self.worker))  # the storage pipeline has flushed by now
            # Its part is due within a worker's timeout: one that never comes no longer holds the crawl's judgement.
            self._part_due(keys=[self.key("recording")], args=[self.worker, int(self.config.worker_timeout * 1000)],
                           client=pipe)
            pipe.execute()
        requeued = self.requeue(self.worker)
        if ended and self.client.get(self.pointer) == self.crawl_id.encode():
            self.client.delete(self.pointer)
        return requeued
