"""One pure ASGI middleware for every request: request id, size and content-type limits,
control characters in text, security headers, problem details for any failure, and metrics.
Pure ASGI keeps it off the hot path's latency."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

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


# Control characters (C0, DEL, C1) have no place in a path, a query or a name, and some
# stores refuse them outright (PostgreSQL text cannot hold NUL). Free text sent in a body may
# still break lines and indent.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
BODY_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
NO_CONTROL = "must not contain control characters"
# A query or path holding none of these cannot decode to a control character.
MAYBE_CONTROL = re.compile(rb"[\x00-\x1f\x7f-\xff%]")


class TooLarge(Exception):
    pass


# Data loads arrive as files in their own formats, and may be large.
UPLOADS = {"/imports"}
UPLOAD_TYPES = {"application/json", "application/x-ndjson", "application/jsonl", "text/csv"}


class Exchange:
    """One request's passage through the guard: its body counted against the limit (or read
    whole first, to be checked), its answer given the security headers, and its status."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, rid: str, limit: int) -> None:
        self.scope, self.rid, self.limit = scope, rid, limit
        self.upstream, self.downstream = receive, send
        self.received, self.over, self.responded, self.status = 0, False, False, 500
        self.buffered: list[Message] = []

    async def receive(self) -> Message:
        if self.buffered:
            return self.buffered.pop(0)
        message = await self.upstream()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.over = True
                raise TooLarge
        return message

    async def read_body(self) -> bytes:
        """The whole body, kept to be received again by the application."""
        chunks = []
        while True:
            message = await self.receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        self.buffered.append({"type": "http.request", "body": body, "more_body": False})
        return body

    async def send(self, message: Message) -> None:
        if self.over:
            return  # the app's answer to a body it could not finish is replaced by 413
        if message["type"] == "http.response.start":
            self.status, self.responded = message["status"], True
            message["headers"] = with_security_headers(
                message.get("headers", []), self.rid, self.scope["path"]
            )
        await self.downstream(message)

    async def problem(self, **fields: Any) -> None:
        """Answer with problem details, unless an answer has begun."""
        if self.responded:
            return
        self.status, self.responded = fields["status"], True
        await problem(self.downstream, self.rid, self.scope["path"], **fields)


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
        started = time.perf_counter()
        refusal = self.refusal(scope, headers, size)
        if refusal is not None:
            await problem(send, rid, scope["path"], **refusal)
            self.observe(scope, refusal["status"], started)
            return
        exchange = Exchange(scope, receive, send, rid, self.limit(scope))
        try:
            bad = control_in_target(scope)
            if bad is None and checks_body(scope, headers):
                bad = control_in_body(await exchange.read_body(), headers)
            if bad is not None:
                await exchange.problem(**invalid(bad))
                return
            await self.app(scope, exchange.receive, exchange.send)
        except TooLarge:
            pass
        except Exception:
            # Whatever failed, the client gets problem details with the security headers;
            # the error goes on up to the server, which logs it.
            if not exchange.over:
                await exchange.problem(
                    status=500,
                    code="internal-error",
                    detail="the request failed unexpectedly; the error is logged under its id",
                )
            raise
        finally:
            if exchange.over:
                await exchange.problem(
                    status=413,
                    code="too-large",
                    detail=f"the body is larger than {exchange.limit} bytes",
                )
            self.observe(scope, exchange.status, started)

    def refusal(self, scope: Scope, headers: dict[str, str], size: int) -> dict[str, Any] | None:
        """A request refused before the application sees it: the problem's fields."""
        found = self.refused(scope, headers, size)
        return (
            None if found is None else dict(zip(("status", "code", "detail"), found, strict=True))
        )

    def refused(
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
            kind = media_type(headers)
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


def control_in_target(scope: Scope) -> str | None:
    """The query parameter (or `path`) whose decoded text holds a control character."""
    if CONTROL.search(scope["path"]):
        return "path"
    raw: bytes = scope["query_string"]
    if not MAYBE_CONTROL.search(raw):
        return None
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    return first_bad(pairs, CONTROL, "query")


def checks_body(scope: Scope, headers: dict[str, str]) -> bool:
    """A JSON or form body, read whole before the route sees it (it is within the body
    limit); uploaded files are read by their own parsers, line by line."""
    if scope["method"] not in {"POST", "PUT", "PATCH"} or scope["path"] in UPLOADS:
        return False
    return media_type(headers) in {"application/json", FORM_TYPE}


def control_in_body(body: bytes, headers: dict[str, str]) -> str | None:
    """The field of a JSON or form body whose text holds a control character."""
    if media_type(headers) == FORM_TYPE:
        pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
        return first_bad(pairs, BODY_CONTROL, "body")
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None  # the route refuses it, saying why
    return next(json_fields(document, ""), None)


def first_bad(pairs: list[tuple[str, str]], pattern: re.Pattern[str], whole: str) -> str | None:
    """The first field whose value holds a character `pattern` finds (`whole` when a name
    itself holds a control character)."""
    for name, value in pairs:
        if CONTROL.search(name):
            return whole
        if pattern.search(value):
            return name
    return None


def json_fields(value: Any, at: str) -> Iterator[str]:
    """Where in a JSON document a key or string holds a control character."""
    if isinstance(value, str):
        if BODY_CONTROL.search(value):
            yield at or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{at}.{key}" if at else key
            if CONTROL.search(key):
                yield at or "body"
            yield from json_fields(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from json_fields(item, f"{at}.{index}" if at else str(index))


def invalid(field: str) -> dict[str, Any]:
    return {
        "status": 422,
        "code": "invalid-request",
        "detail": f"{field}: {NO_CONTROL}",
        "extra": {"field": field, "reason": NO_CONTROL},
    }


def media_type(headers: dict[str, str]) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


async def problem(
    send: Send,
    rid: str,
    path: str,
    *,
    status: int,
    code: str,
    detail: str,
    extra: dict[str, Any] | None = None,
) -> None:
    body: dict[str, Any] = {
        "type": f"https://journey.example/problems/{code}",
        "title": code.replace("-", " ").capitalize(),
        "status": status,
        "detail": detail,
        "instance": path,
        "request_id": rid,
        **(extra or {}),
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
