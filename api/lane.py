"""The command lane: a command's request, when it is well formed and its caller admitted, goes
straight to its route's endpoint, without the framework's per-request routing over every
included router and its dependency resolution (together about a third of a command's CPU).

The lane resolves the very values the framework would (the route's own path, header and body
fields validate them, the route's own role check admits the caller) and calls the route's own
endpoint. Anything it would not answer exactly so (no or a refused token, a role the route
does not admit, a malformed header or body) it hands back, body and all, to the framework's
routing, so every refusal is the framework's own.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterable
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Response
from fastapi._compat import ModelField
from fastapi._compat.shared import field_annotation_is_sequence
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import (
    _get_param_aliases,
    _get_param_model,
    request_body_to_args,
    request_params_to_args,
)
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from starlette._utils import get_route_path
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.routing import BaseRoute, Match
from starlette.types import Message, Receive, Scope, Send

from api.auth import Forbidden, Unauthenticated

HANDED_BACK = "journey.lane.handed_back"  # scope key: the framework's routing takes over
JSON_TYPE = "application/json"


@dataclass(frozen=True)
class Lane:
    """One route the lane answers, with what its endpoint takes."""

    route: APIRoute
    check: Dependant  # the route's one dependency: its role check, on the bearer token
    bearer: HTTPBearer
    embed: bool  # whether the body is read as fields by name (several body parameters)
    headers: tuple[tuple[ModelField, str], ...]  # each header field and the header it reads

    async def values(self, request: Request, body: bytes) -> dict[str, Any] | None:
        """The endpoint's arguments as the framework would resolve them, or None when the
        request is not one the lane answers exactly so."""
        who = await self.admitted(request)
        if who is None or media_type(request) != JSON_TYPE or not body:
            return None
        dependant = self.route.dependant
        path, path_errors = request_params_to_args(
            dependant.path_params, request.scope["path_params"]
        )
        headers = self.header_values(request.headers)
        fields = await self.fields(body)
        if path_errors or headers is None or fields is None:
            return None
        assert dependant.request_param_name and self.check.name
        given = {dependant.request_param_name: request, self.check.name: who}
        return path | headers | fields | given

    def header_values(self, given: Headers) -> dict[str, Any] | None:
        """The header fields as the framework reads a single-valued header: the first given,
        validated by its field, or the field's default when absent; None if refused."""
        values: dict[str, Any] = {}
        for field, name in self.headers:
            raw = given.get(name)
            if raw is None:
                if field.field_info.is_required():
                    return None
                values[field.name] = deepcopy(field.default)
                continue
            value, errors = field.validate(raw, values, loc=("header", name))
            if errors:
                return None
            values[field.name] = value
        return values

    async def fields(self, body: bytes) -> dict[str, Any] | None:
        """The body's fields, validated by the route's own body field; None if refused."""
        try:
            document = json.loads(body)  # as the framework reads a JSON body
        except ValueError:
            return None
        fields, errors = await request_body_to_args(
            self.route.dependant.body_params, document, embed_body_fields=self.embed
        )
        return None if errors else fields

    async def admitted(self, request: Request) -> Any:
        """The caller the route's own role check admits, or None."""
        credentials = await self.bearer(request)
        if credentials is None:
            return None
        assert self.check.call and self.check.request_param_name
        [token] = self.check.dependencies
        arguments = {self.check.request_param_name: request, str(token.name): credentials}
        try:
            return await self.check.call(**arguments)
        except (Unauthenticated, Forbidden):
            return None


class CommandLane(BaseRoute):
    """Placed first among the application's routes; matches only the routes it was given, and
    only for a request the framework's own routing would give to the same route."""

    def __init__(self, lanes: Iterable[Lane]) -> None:
        # Looked up by the path's last segment: one regex match per request, not one per route.
        self.by_tail: dict[str, list[Lane]] = {}
        for lane in lanes:
            self.by_tail.setdefault(lane.route.path.rsplit("/", 1)[1], []).append(lane)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] != "POST" or HANDED_BACK in scope:
            return Match.NONE, {}
        path = get_route_path(scope)
        for lane in self.by_tail.get(path.rsplit("/", 1)[-1], ()):
            found = lane.route.path_regex.match(path)
            if found:
                convert = lane.route.param_convertors
                params = {k: convert[k].convert(v) for k, v in found.groupdict().items()}
                return Match.FULL, {"route": lane.route, "lane": lane, "path_params": params}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        lane: Lane = scope.pop("lane")
        request = Request(scope, receive)
        body = await request.body()
        values = await lane.values(request, body)
        if values is None:
            scope[HANDED_BACK] = True
            await scope["router"].app(scope, replayed(body, receive), send)
            return
        response: Response = await lane.route.endpoint(**values)
        await response(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        raise NotImplementedError  # the routes themselves are named, in the framework's routing


def replayed(body: bytes, receive: Receive) -> Receive:
    """The request's body, already read, given again to whoever reads it next."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def again() -> Message:
        return pending.pop() if pending else await receive()

    return again


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def lane_for(route: APIRoute) -> Lane | None:
    """The lane for a route of the shape it answers exactly: POST, a coroutine endpoint
    answering with a Response, path and header parameters, one JSON body, the request, and
    one dependency (a role check taking the request and a bearer token)."""
    dependant = route.dependant
    if route.methods != {"POST"} or not inspect.iscoroutinefunction(route.endpoint):
        return None
    answers = inspect.signature(route.endpoint).return_annotation
    plain = not (dependant.query_params or dependant.cookie_params)
    if answers not in {Response, "Response"} or not plain or len(dependant.dependencies) != 1:
        return None
    [check] = dependant.dependencies
    if not (getattr(check.call, "roles", None) and len(check.dependencies) == 1):
        return None
    bearer = check.dependencies[0].call
    if not isinstance(bearer, HTTPBearer) or len(dependant.body_params) != 1:
        return None
    extras = (
        dependant.response_param_name,
        dependant.background_tasks_param_name,
        dependant.security_scopes_param_name,
    )
    headers = [single_header(field) for field in dependant.header_params]
    if any(extras) or dependant.request_param_name is None or None in headers:
        return None
    found = tuple(h for h in headers if h is not None)
    return Lane(route, check, bearer, route._embed_body_fields, found)


def single_header(field: ModelField) -> tuple[ModelField, str] | None:
    """A header field read from one header of one name, with the header's name; None for
    any other kind (lists, models, alias choices), which the lane leaves to the framework."""
    aliases = _get_param_aliases(field)
    if _get_param_model(field) or field_annotation_is_sequence(field.field_info.annotation):
        return None
    if len(aliases) != 1 or field.field_info.validate_default:
        return None
    return field, aliases[0][1]


def install(app: FastAPI, routes: Iterable[BaseRoute]) -> list[Lane]:
    """Put the lane first in the application's routing, for those of `routes` it can answer."""
    found = (lane_for(r) for r in routes if isinstance(r, APIRoute))
    lanes = [lane for lane in found if lane is not None]
    app.router.routes.insert(0, CommandLane(lanes))
    return lanes
