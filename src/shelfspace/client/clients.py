"""The two clients: the same calls, sent with httpx's sync or async client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

from shelfspace.client.api import Call, list_page

DEFAULT_TIMEOUT = 10.0
# Tracking URLs count only real browsers and players; a server relaying an event for one
# passes the person's own user agent (a library's is counted as a bot).
USER_AGENT = "shelfspace-python-client"


class ApiError(Exception):
    """An error answer: `{"error": {"code", "message", "fields"}}`, with its HTTP status."""

    def __init__(self, status: int, code: str, message: str, fields: dict[str, str]) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.fields = status, code, message, fields


def _result(call: Call, response: httpx.Response) -> Any:
    if response.status_code >= 400:
        try:
            error = response.json()["error"]
            fields = {f["field"]: f["message"] for f in error.get("fields", [])}
            raise ApiError(response.status_code, error["code"], error["message"], fields)
        except (ValueError, KeyError, TypeError):
            raise ApiError(response.status_code, "http_error", response.text[:200], {}) from None
    if call.binary and response.status_code != 204:
        return response.content
    if not call.expect_json or response.status_code == 204:
        return response.text
    return response.json()


def _request(call: Call) -> dict[str, Any]:
    return {
        "method": call.method,
        "url": call.path,
        "params": dict(call.params),
        "json": call.json,
        "content": call.content,
        "headers": dict(call.headers),
    }


def _relative(url: str) -> str:
    """A tracking URL's path: the client already knows the server."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Shelfspace:
    def __init__(
        self,
        base_url: str,
        key: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        http: httpx.Client | None = None,
    ) -> None:
        headers = {"User-Agent": USER_AGENT} | ({"Authorization": f"Bearer {key}"} if key else {})
        self.http = http or httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
        self.http.headers.update(headers)

    def send(self, call: Call) -> Any:
        return _result(call, self.http.request(**_request(call)))

    def all(self, resource: str, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every object of a resource, page after page."""
        cursor: str | None = None
        while True:
            page = self.send(list_page(resource, cursor=cursor, **filters))
            yield from page["data"]
            cursor = page.get("next_cursor")
            if not page.get("has_more") or not cursor:
                return

    def track(self, url: str, *, user_agent: str | None = None) -> int:
        """Call a tracking URL (impression, viewable, click, video) for a person; the status."""
        headers = {"User-Agent": user_agent} if user_agent else {}
        return self.http.get(_relative(url), headers=headers, follow_redirects=False).status_code

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Shelfspace:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class AsyncShelfspace:
    def __init__(
        self,
        base_url: str,
        key: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        headers = {"User-Agent": USER_AGENT} | ({"Authorization": f"Bearer {key}"} if key else {})
        self.http = http or httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout)
        self.http.headers.update(headers)

    async def send(self, call: Call) -> Any:
        return _result(call, await self.http.request(**_request(call)))

    async def all(self, resource: str, **filters: Any) -> AsyncIterator[dict[str, Any]]:
        cursor: str | None = None
        while True:
            page = await self.send(list_page(resource, cursor=cursor, **filters))
            for item in page["data"]:
                yield item
            cursor = page.get("next_cursor")
            if not page.get("has_more") or not cursor:
                return

    async def track(self, url: str, *, user_agent: str | None = None) -> int:
        headers = {"User-Agent": user_agent} if user_agent else {}
        return (await self.http.get(_relative(url), headers=headers, follow_redirects=False)).status_code

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> AsyncShelfspace:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
