"""The hot routes, served without the framework's per-request machinery.

Every page view asks for a decision and sends tracking beacons. Going through FastAPI's
router, its request and response wrapping and its dependency solver cost more per request
than the decision itself (the profile is in docs/performance.md), so the hot routes are
taken here, in front of the app: a request whose path and method match one of them goes
straight to its endpoint; everything else goes on to FastAPI unchanged (a hot path with
another method too, so a 405 is still FastAPI's).

The routes stay declared on their routers: /openapi.json documents them as before, the
same endpoint functions answer both ways, and `scope["route"]` is set to the declared
route so the metrics label the request by its template. A hot endpoint takes the request
alone and reads its parameters through `http/params.py`, which validates them as FastAPI
would; errors are rendered by the app's own exception handlers.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

HotEndpoint = Callable[[Request], Awaitable[Response]]
ExceptionHandlers = Mapping[Any, Callable[[Request, Exception], Any]]


@dataclass(frozen=True, slots=True)
class HotRoute:
    route: APIRoute  # the declared route: template, methods, path parameter convertors
    prefix: str  # the template's literal start, checked before the regular expression

    @classmethod
    def of(cls, route: APIRoute) -> HotRoute:
        parameters = list(inspect.signature(route.endpoint).parameters.values())
        if not inspect.iscoroutinefunction(route.endpoint) or [p.annotation for p in parameters] not in (
            [Request],
            ["Request"],
        ):
            raise TypeError(f"{route.path}: a hot endpoint is `async def f(request: Request) -> Response`")
        return cls(route, route.path.split("{", 1)[0])


def hot_routes(routes: Iterable[Any], endpoints: Iterable[HotEndpoint] | None = None) -> list[HotRoute]:
    """The declared routes (of `endpoints`, if given) as hot routes."""
    chosen = None if endpoints is None else set(endpoints)
    return [
        HotRoute.of(route)
        for route in routes
        if isinstance(route, APIRoute) and (chosen is None or route.endpoint in chosen)
    ]


class FastLane:
    """ASGI middleware: the hot routes straight to their endpoints, the rest to the app."""

    def __init__(self, app: ASGIApp, routes: list[HotRoute], handlers: ExceptionHandlers) -> None:
        self.app = app
        self.routes = routes
        self.handlers = handlers  # the app's own, by exception class
        self.prefixes = tuple({r.prefix for r in routes})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefixes):
            for hot in self.routes:
                if not scope["path"].startswith(hot.prefix):
                    continue
                match, child = hot.route.matches(scope)
                if match is Match.FULL:
                    scope.update(child)
                    scope["route"] = hot.route
                    await self._serve(hot, scope, receive, send)
                    return
        await self.app(scope, receive, send)

    async def _serve(self, hot: HotRoute, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response: Response = await hot.route.endpoint(request)
        except Exception as error:
            handler = self._handler_for(error)
            if handler is None:
                raise  # unexpected: the server error middleware logs it and answers 500
            response = handler(request, error)
            if inspect.isawaitable(response):
                response = await response
        await response(scope, receive, send)

    def _handler_for(self, error: Exception) -> Callable[[Request, Exception], Any] | None:
        for kind in type(error).__mro__:
            if kind is Exception:
                return None
            if kind in self.handlers:
                return self.handlers[kind]
        return None
