"""The crawl's end of an extraction worker's socket (crawler.extract.channel) against a real blocking peer:
answers arrive whole whatever their size, and an answer that cannot be read ends the channel at once (the
page fails as its worker's death would) instead of leaving the page to wait out its budget."""

from __future__ import annotations

import asyncio
import socket
import threading
from multiprocessing.connection import Connection

import pytest

from crawler.extract.channel import Channel


def pair() -> tuple[Channel, Connection]:
    ours, theirs = socket.socketpair()
    return Channel(ours), Connection(theirs.detach())


def test_answers_of_any_size_arrive_whole_and_in_order() -> None:
    channel, peer = pair()
    answers = [("ok", "x" * size) for size in (0, 10, 1 << 20, 5)]

    async def main() -> list[object]:
        channel.send("page")  # attaches the channel to this loop
        threading.Thread(target=lambda: [peer.send(answer) for answer in answers], daemon=True).start()
        return [await channel.receive(10) for _ in answers]

    assert asyncio.run(main()) == answers
    assert peer.recv() == "page"
    channel.close()


@pytest.mark.parametrize("payload", [b"not a pickled answer", b"\x80\x05\x95garbage"])
def test_an_answer_that_cannot_be_read_ends_the_channel_at_once(payload: bytes) -> None:
    channel, peer = pair()

    async def main() -> None:
        channel.send("page")
        peer.send_bytes(payload)
        await channel.receive(30)

    loop_errors: list[object] = []

    async def watched() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, context: loop_errors.append(context))
        await main()

    with pytest.raises(EOFError):
        asyncio.run(asyncio.wait_for(watched(), 5))
    assert loop_errors == []
    assert channel.ended
    channel.close()
