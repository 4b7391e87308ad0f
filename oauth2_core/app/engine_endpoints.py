"""The engine's machine endpoints (token, revocation, introspection, userinfo) as plain ASGI.

These endpoints take bytes and give bytes: the request is a method, a target, headers and a
bounded body; the response is the engine's status, headers and body. Answering them ahead of
Starlette's router skips the route matching and the ``Request``/``Response`` objects, which
under a bearer-validation load took about a sixth of the worker's CPU (py-spy, issue 9).
Pages, login and consent stay with Starlette. This middleware sits inside Starlette's
``ServerErrorMiddleware``, so an unexpected exception still ends as a logged 500.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oauth2_core.integrations._common import asgi_target, engine_request
from oauth2_core.requests import MAX_BODY_BYTES, OAuth2Request
from oauth2_core.responses import OAuth2Response

__all__ = ["EngineEndpoint", "EngineEndpoints"]

EngineEndpoint = Callable[[OAuth2Request], Awaitable[OAuth2Response]]
_NO_BODY = frozenset({204, 304})


class EngineEndpoints:
    """Serve ``endpoints`` (path -> handler) directly; pass every other request to ``app``."""

    def __init__(self, app: ASGIApp, endpoints: Mapping[str, EngineEndpoint]) -> None:
        self.app = app
        self.endpoints = dict(endpoints)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.endpoints.get(_route_path(scope)) if scope["type"] == "http" else None
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        request = await _read_request(scope, receive)
        if request is not None:
            await _send_response(send, await endpoint(request))


def _route_path(scope: Scope) -> str:
    """The path a router matches: without the prefix the app is mounted under."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root):] or "/" if root and path.startswith(root) else path


async def _read_request(scope: Scope, receive: Receive) -> OAuth2Request | None:
    """The engine's request; None when the client went away before its body arrived."""
    body = b""
    while True:
        message: Message = await receive()
        if message["type"] != "http.request":
            return None  # http.disconnect
        body += message.get("body", b"")
        if not message.get("more_body", False) or len(body) > MAX_BODY_BYTES:
            break  # an oversized body: the engine answers invalid_request
    headers = [(name.decode("latin-1"), value.decode("latin-1"))
               for name, value in scope["headers"]]
    return engine_request(scope["method"], *asgi_target(scope), headers, body)


async def _send_response(send: Send, response: OAuth2Response) -> None:
    body = response.body
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in response.headers
    ]
    if response.status >= 200 and response.status not in _NO_BODY:
        headers.append((b"content-length", str(len(body)).encode("ascii")))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
