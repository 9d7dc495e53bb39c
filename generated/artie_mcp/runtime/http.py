"""One HTTP request to the upstream API and its answer: authentication, timeouts,
retries, size limits. The request itself is built from the arguments in ``request``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

import anyio

from .errors import ToolError
from .operation import Auth
from .ratelimit import retry_after_seconds
from .request import Request, header_problem
from .retry import RETRY_STATUSES, RetryPolicy

if TYPE_CHECKING:
    import httpx


# Before a retry: True retries, False gives up, a response is the final answer.
StateCheck = Callable[[], Awaitable["httpx.Response | bool"]]


def _final(failure: httpx.Response | ToolError) -> httpx.Response:
    if isinstance(failure, ToolError):
        raise failure
    return failure


def too_large(status: int, limit: int, declared: int | None) -> ToolError:
    size = f"{declared} bytes" if declared is not None else "more than that"
    return ToolError(
        "response_too_large",
        f"upstream's answer (HTTP {status}) is {size}, over the limit of {limit} bytes "
        "(--max-response-bytes): reading stopped there and nothing of it is returned. Ask for less "
        "(a filter, a smaller page) or have the operator raise the limit.",
        status=status,
    )


def auth_headers(auth: Auth, key: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Headers and query pairs that carry the API key."""
    if auth.kind == "none" or not key:
        return {}, []
    problem = header_problem(key) if auth.kind != "query" else None
    if problem:
        raise ToolError(
            "unauthorized",
            f"the API key cannot be sent: it goes in an HTTP header, which {problem}; "
            "check the key for stray characters (a copied quote, a trailing newline); nothing was sent",
        )
    if auth.kind in ("bearer", "oauth2"):
        return {"Authorization": f"Bearer {key}"}, []
    if auth.kind == "basic":
        import base64

        token = base64.b64encode(key.encode()).decode() if ":" in key else key
        return {"Authorization": f"Basic {token}"}, []
    if auth.kind == "header":
        return {auth.name: key}, []
    if auth.kind == "query":
        return {}, [(auth.name, key)]
    if auth.kind == "cookie":
        return {"Cookie": f"{auth.name}={key}"}, []
    return {}, []


def _reason(exc: BaseException) -> str:
    """What went wrong, even when the exception says nothing (a reset connection's ReadError)."""
    seen: BaseException | None = exc
    while seen is not None:
        text = str(seen).strip()
        if text:
            return text
        seen = seen.__cause__ or seen.__context__
    import httpx

    if isinstance(exc, (httpx.ReadError, httpx.RemoteProtocolError)):
        return "the connection was closed or reset before the answer came (the request may have arrived)"
    if isinstance(exc, httpx.WriteError):
        return "the connection was closed or reset while the request was being sent"
    if isinstance(exc, httpx.ConnectError):
        return "the connection could not be opened"
    return "no detail given"


class Upstream:
    """One pooled ``httpx.AsyncClient`` per process, created on first use."""

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
        user_agent: str = "mcp-server",
        max_response_bytes: int = 10 * 1024 * 1024,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_response_bytes = max_response_bytes
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.transport = transport
        self.user_agent = user_agent
        self._client: httpx.AsyncClient | None = None

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            timeout = httpx.Timeout(self.read_timeout, connect=self.connect_timeout)
            self._client = httpx.AsyncClient(
                timeout=timeout,
                transport=self.transport,
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
                headers={"User-Agent": self.user_agent},
            )
        return self._client

    async def send(
        self,
        request: Request,
        extra_headers: Mapping[str, str],
        extra_query: list[tuple[str, str]],
        retry: RetryPolicy | None = None,
        check: StateCheck | None = None,
    ) -> httpx.Response:
        """Send once, or under ``retry`` until success, a final answer or the budget ends.

        The one retry loop. ``check`` runs before each retry and decides it: True
        retries, False stops with the failure, a response is the final answer
        (a read showed the first try took effect).
        """
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            failure: httpx.Response | ToolError
            try:
                response = await self._send_once(request, extra_headers, extra_query)
            except ToolError as exc:
                if retry is None or exc.type != "network":
                    raise
                failure, retry_after = exc, None
            else:
                if retry is None or response.status_code not in RETRY_STATUSES:
                    return response
                failure = response
                retry_after = retry_after_seconds(response.headers.get("retry-after"))
            wait = retry.delay(attempt, retry_after)
            if attempt >= retry.attempts or time.monotonic() - started + wait > retry.max_seconds:
                return _final(failure)
            if check is not None:
                verdict = await check()
                if verdict is False:
                    return _final(failure)
                if verdict is not True:
                    return verdict
            if not isinstance(failure, ToolError):
                await failure.aclose()
            await anyio.sleep(wait)

    async def _send_once(
        self, request: Request, extra_headers: Mapping[str, str], extra_query: list[tuple[str, str]]
    ) -> httpx.Response:
        import httpx

        url = self.base_url + request.path
        query: list[tuple[str, str | int | float | bool | None]] = [*request.query, *extra_query]
        headers = {"Accept": "application/json", **request.headers, **extra_headers}
        client = self.client()
        try:
            sent = client.build_request(
                request.method, url, params=query or None, headers=headers, content=request.content
            )
            response = await client.send(sent, stream=True)
            try:
                return await self._read(response)
            finally:
                await response.aclose()
        except httpx.TimeoutException as exc:
            raise ToolError(
                "timeout", f"upstream did not answer in time ({type(exc).__name__})"
            ) from None
        except httpx.HTTPError as exc:
            raise ToolError(
                "network", f"could not reach upstream: {type(exc).__name__}: {_reason(exc)}"
            ) from None

    async def _read(self, response: httpx.Response) -> httpx.Response:
        """The whole answer, read up to ``max_response_bytes`` (decoded): past that,
        reading stops and the call fails, so one huge answer cannot take the
        server's memory or time."""
        import httpx

        limit = self.max_response_bytes
        declared = response.headers.get("content-length", "")
        if (
            declared.isdigit()
            and int(declared) > limit
            and "content-encoding" not in response.headers
        ):
            raise too_large(response.status_code, limit, int(declared))
        chunks: list[bytes] = []
        total = 0
        async for chunk in response.aiter_bytes():
            total += len(chunk)
            if total > limit:
                raise too_large(response.status_code, limit, None)
            chunks.append(chunk)
        headers = [
            (k, v)
            for k, v in response.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=b"".join(chunks),
            request=response.request,
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
