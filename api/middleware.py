"""One pure ASGI middleware for every request: request id, size and content-type limits,
security headers, and metrics. Pure ASGI keeps it off the hot path's latency."""

from __future__ import annotations

import os
import re
import time
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics import Metrics

SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
CSP, NO_FRAMING = b"content-security-policy", b"frame-ancestors 'none'"
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (CSP, NO_FRAMING),
    (b"referrer-policy", b"no-referrer"),
]
PUBLIC_PATHS = ("/health", "/ready", "/metrics")
# The pages' stylesheets, scripts, fonts and images: the same for everyone, so cacheable.
STATIC_PATHS = ("/assets/", "/ui/static/")
# The pages post plain HTML forms.
FORM_PATHS = "/ui/"
FORM_TYPE = "application/x-www-form-urlencoded"
# The server itself sets no limit on header size: a client could otherwise send megabytes of
# headers on every request. Browsers and proxies keep well under these.
HEADERS_LIMIT = 16 * 1024
TARGET_LIMIT = 8 * 1024


class TooLarge(Exception):
    pass


# Data loads arrive as files in their own formats, and may be large.
UPLOADS = {"/imports"}
UPLOAD_TYPES = {"application/json", "application/x-ndjson", "application/jsonl", "text/csv"}


class Guard:
    def __init__(self, app: ASGIApp, metrics: Metrics, max_body: int, max_upload: int) -> None:
        self.app, self.metrics = app, metrics
        self.max_body, self.max_upload = max_body, max_upload
        self.series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def limit(self, scope: Scope) -> int:
        return self.max_upload if scope["path"] in UPLOADS else self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers, size = wanted_headers(scope["headers"])
        given = headers.get("x-request-id", "")
        rid = given if SAFE_ID.match(given) else os.urandom(16).hex()
        scope.setdefault("state", {})["request_id"] = rid
        refusal = self.refusal(scope, headers, size)
        started, status = time.perf_counter(), 500
        if refusal is not None:
            status = refusal[0]
            await problem(
                send, rid, scope["path"], status=refusal[0], code=refusal[1], detail=refusal[2]
            )
            self.observe(scope, status, started)
            return
        received, over, responded = 0, False, False

        async def limited_receive() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit(scope):
                    over = True
                    raise TooLarge
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal status, responded
            if over:
                return  # the app's answer to a body it could not finish is replaced by 413
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
                message["headers"] = with_security_headers(
                    message.get("headers", []), rid, scope["path"]
                )
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except TooLarge:
            pass
        finally:
            if over and not responded:
                status = 413
                await problem(
                    send,
                    rid,
                    scope["path"],
                    status=413,
                    code="too-large",
                    detail=f"the body is larger than {self.limit(scope)} bytes",
                )
            self.observe(scope, status, started)

    def refusal(
        self, scope: Scope, headers: dict[str, str], size: int
    ) -> tuple[int, str, str] | None:
        if size > HEADERS_LIMIT:
            return 431, "headers-too-large", f"the headers are larger than {HEADERS_LIMIT} bytes"
        if len(scope.get("raw_path") or b"") + len(scope["query_string"]) > TARGET_LIMIT:
            return 414, "uri-too-long", f"the path and query are longer than {TARGET_LIMIT} bytes"
        length = headers.get("content-length")
        limit = self.limit(scope)
        if length is not None and (not length.isdigit() or int(length) > limit):
            return 413, "too-large", f"the body is larger than {limit} bytes"
        # A chunked body has no length but is a body all the same.
        has_body = length not in {None, "0"} or "transfer-encoding" in headers
        if scope["method"] in {"POST", "PUT", "PATCH"} and has_body:
            kind = headers.get("content-type", "").split(";")[0].strip().lower()
            if scope["path"] in UPLOADS:
                if kind not in UPLOAD_TYPES:
                    allowed = ", ".join(sorted(UPLOAD_TYPES))
                    return 415, "unsupported-media-type", f"send the file as one of {allowed}"
            elif scope["path"].startswith(FORM_PATHS) and kind == FORM_TYPE:
                return None
            elif kind != "application/json":
                return 415, "unsupported-media-type", "send the body as application/json"
        return None

    def observe(self, scope: Scope, status: int, started: float) -> None:
        template = getattr(scope.get("route"), "path", "unmatched")
        key = (scope["method"], template, status)
        series = self.series.get(key)
        if series is None:  # the labelled children, looked up once per route and status
            series = self.series[key] = (
                self.metrics.requests.labels(scope["method"], template, str(status)),
                self.metrics.latency.labels(scope["method"], template),
            )
        series[0].inc()
        series[1].observe(time.perf_counter() - started)


# The request headers the guard reads.
WANTED = frozenset({b"x-request-id", b"content-length", b"content-type", b"transfer-encoding"})


def wanted_headers(raw: list[tuple[bytes, bytes]]) -> tuple[dict[str, str], int]:
    """The headers the guard reads, by lower-case name (the first of each), and the size of
    all the request's headers together."""
    found: dict[str, str] = {}
    size = 0
    for name, value in raw:
        size += len(name) + len(value)
        lower = name.lower()
        if lower in WANTED and lower.decode() not in found:
            found[lower.decode()] = value.decode("latin-1")
    return found, size


def with_security_headers(
    headers: list[tuple[bytes, bytes]], rid: str, path: str
) -> list[tuple[bytes, bytes]]:
    """Every response, whatever route or page made it: the security headers replace any the
    route set itself, and anything but the public operations routes is never cached. A page's
    own content security policy is kept, its framing rule replaced by "never framed"."""
    extra = [*SECURITY_HEADERS, (b"x-request-id", rid.encode())]
    if not path.startswith((*PUBLIC_PATHS, *STATIC_PATHS)):
        extra.append((b"cache-control", b"no-store"))
    own = [v for k, v in headers if k.lower() == CSP]
    if own:
        kept = [d.strip() for d in own[0].split(b";") if d.strip()]
        kept = [d for d in kept if not d.lower().startswith(b"frame-ancestors")]
        policy = b"; ".join([*kept, NO_FRAMING])
        extra = [(k, policy if k == CSP else v) for k, v in extra]
    names = {name for name, _ in extra}
    return [(k, v) for k, v in headers if k.lower() not in names] + extra


async def problem(send: Send, rid: str, path: str, *, status: int, code: str, detail: str) -> None:
    body: dict[str, Any] = {
        "type": f"https://journey.example/problems/{code}",
        "title": code.replace("-", " ").capitalize(),
        "status": status,
        "detail": detail,
        "instance": path,
        "request_id": rid,
    }
    payload = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(payload)).encode()),
                *SECURITY_HEADERS,
                (b"x-request-id", rid.encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
