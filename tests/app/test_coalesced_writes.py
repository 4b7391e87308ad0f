"""``oauth2-core serve`` writes each response once: the writes of one event-loop step leave
together (``oauth2_core.app.coalesced_writes``)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route

from oauth2_core.app.coalesced_writes import CoalescedHttpProtocol, CoalescedTransport


class _Recorder:
    """The transport under a CoalescedTransport: what reached it, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, bytes]] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.events.append(("write", data))

    def close(self) -> None:
        self.events.append(("close", b""))
        self.closing = True

    def abort(self) -> None:
        self.events.append(("abort", b""))
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 5)}.get(name, default)


def _coalesced() -> tuple[CoalescedTransport, _Recorder, asyncio.AbstractEventLoop]:
    recorder = _Recorder()
    loop = asyncio.get_running_loop()
    return CoalescedTransport(recorder, loop), recorder, loop  # type: ignore[arg-type]


async def _next_step() -> None:
    await asyncio.sleep(0)  # one turn of the loop: the flush scheduled by a write runs


def test_writes_of_one_step_reach_the_socket_as_one_write() -> None:
    asyncio.run(_test_writes_of_one_step_reach_the_socket_as_one_write())


async def _test_writes_of_one_step_reach_the_socket_as_one_write() -> None:
    transport, recorder, _ = _coalesced()
    head = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"
    transport.write(head)
    transport.write(b"ok")
    assert recorder.events == []
    assert transport.get_write_buffer_size() == len(head) + 2
    await _next_step()
    assert recorder.events == [("write", head + b"ok")]
    transport.write(b"next")
    await _next_step()
    assert recorder.events[1:] == [("write", b"next")]


def test_close_sends_what_is_pending_first_and_abort_drops_it() -> None:
    asyncio.run(_test_close_sends_what_is_pending_first_and_abort_drops_it())


async def _test_close_sends_what_is_pending_first_and_abort_drops_it() -> None:
    transport, recorder, _ = _coalesced()
    transport.write(b"last words")
    transport.close()
    assert recorder.events == [("write", b"last words"), ("close", b"")]
    await _next_step()
    assert len(recorder.events) == 2  # the scheduled flush finds nothing left

    transport, recorder, _ = _coalesced()
    transport.write(b"never sent")
    transport.abort()
    await _next_step()
    assert recorder.events == [("abort", b"")]


def test_nothing_is_written_to_a_transport_that_closed_meanwhile() -> None:
    asyncio.run(_test_nothing_is_written_to_a_transport_that_closed_meanwhile())


async def _test_nothing_is_written_to_a_transport_that_closed_meanwhile() -> None:
    transport, recorder, _ = _coalesced()
    transport.write(b"too late")
    recorder.closing = True  # the peer went away before the step ended
    await _next_step()
    assert recorder.events == []


def test_a_mutable_buffer_is_copied_at_the_write_and_empty_writes_are_ignored() -> None:
    asyncio.run(_test_a_mutable_buffer_is_copied_at_the_write_and_empty_writes_are_ignored())


async def _test_a_mutable_buffer_is_copied_at_the_write_and_empty_writes_are_ignored() -> None:
    transport, recorder, _ = _coalesced()
    buffer = bytearray(b"abc")
    transport.write(buffer)
    transport.writelines([memoryview(b"de"), b""])
    buffer[:] = b"xyz"
    transport.write(b"")
    await _next_step()
    assert recorder.events == [("write", b"abcde")]
    assert transport.get_extra_info("peername") == ("127.0.0.1", 5)


# -- over a socket, through uvicorn ---------------------------------------------------------
async def _stream(request: Request) -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        for part in (b"one,", b"two,", b"three"):
            await asyncio.sleep(0)
            yield part

    return StreamingResponse(chunks(), media_type="text/plain")


async def _hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"hello {request.query_params.get('n', '')}")


@contextlib.contextmanager
def _served() -> Iterator[int]:
    app = Starlette(routes=[Route("/hello", _hello), Route("/stream", _stream)])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()  # connections wait in the backlog until the server accepts them
    config = uvicorn.Config(app, http=CoalescedHttpProtocol, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        with socket.create_connection(sock.getsockname(), timeout=10) as probe:
            probe.sendall(b"GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            assert _read_all(probe).endswith(b"hello ")
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _read_all(conn: socket.socket) -> bytes:
    data = b""
    while chunk := conn.recv(65536):
        data += chunk
    return data


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with _served() as served_port:
        yield served_port


def test_pipelined_requests_get_whole_responses_in_order(port: int) -> None:
    requests = b"".join(
        f"GET /hello?n={n} HTTP/1.1\r\nHost: t\r\n{'Connection: close' if n == 3 else ''}\r\n\r\n"
        .encode() for n in (1, 2, 3)
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(requests)
        data = _read_all(conn)  # the server closes after the third
    responses = data.split(b"HTTP/1.1 200 OK\r\n")[1:]
    assert [r.rsplit(b"\r\n\r\n", 1)[1] for r in responses] == [b"hello 1", b"hello 2", b"hello 3"]


def test_a_streamed_response_arrives_whole(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"GET /stream HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        data = _read_all(conn)
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head
    assert body == b"4\r\none,\r\n4\r\ntwo,\r\n5\r\nthree\r\n0\r\n\r\n"
