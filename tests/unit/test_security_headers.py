"""The middleware's header rule, for responses whose route set headers of its own."""

from __future__ import annotations

from api.middleware import with_security_headers


def test_a_routes_own_headers_never_weaken_the_rule() -> None:
    route = [
        (b"content-type", b"text/html"),
        (b"cache-control", b"max-age=3600"),
        (b"x-frame-options", b"SAMEORIGIN"),
        (b"content-security-policy", b"default-src 'self'; frame-ancestors 'self' ; img-src *"),
    ]
    sent = with_security_headers(route, "rid-1", "/pages/people/A1234BC")
    got = dict(sent)
    assert len(sent) == len(got)  # each header once
    assert got[b"cache-control"] == b"no-store"
    assert got[b"x-frame-options"] == b"DENY"
    assert got[b"content-security-policy"] == (
        b"default-src 'self'; img-src *; frame-ancestors 'none'"
    )
    assert got[b"content-type"] == b"text/html"
    assert got[b"x-request-id"] == b"rid-1"


def test_public_operations_routes_may_be_cached() -> None:
    got = dict(with_security_headers([], "rid-2", "/metrics"))
    assert b"cache-control" not in got
    assert got[b"content-security-policy"] == b"frame-ancestors 'none'"
    assert got[b"x-content-type-options"] == b"nosniff"
