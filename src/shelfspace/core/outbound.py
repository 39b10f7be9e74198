"""The one rule for every HTTP call the server makes to someone else: only to public
addresses, with timeouts, never following a redirect.

Demand partners name the URLs the server calls (their bid endpoint, and the `nurl` and
`burl` of each bid), so without this rule anyone who can become, or impersonate, a
partner can make Shelfspace call its own loopback, the cloud's metadata service or any
machine on the private network (server-side request forgery). The rule:

- http or https only, with a host;
- the host is resolved, and EVERY address it resolves to must be global (`ipaddress`'s
  `is_global`, and not multicast; an IPv4 address mapped into IPv6 is judged as the IPv4
  address it carries): loopback, private, link-local, shared, reserved, multicast and
  unspecified addresses are refused;
- the connection goes to an address that was checked, never to a second resolution of
  the name: the check lives in the connection itself (`GuardedBackend`, the network
  backend of the client's connection pool), so a name whose DNS answer changes between
  a check and the connection (DNS rebinding) still reaches only a checked address. TLS
  is verified against the name, as usual.

An operator may allow private addresses (`SHELFSPACE_OUTBOUND_ALLOW_PRIVATE`), for a
partner on the same private network or the test suite's fake partner on 127.0.0.1; the
scheme, timeouts and the no-redirect rule still hold then.

Every caller gets its client from `async_client` and checks a URL it is about to store
with `refusal_of_url`; nothing else in `src/` builds an outbound client for the server.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx

DEFAULT_TIMEOUT_SECONDS = 5.0
DEFAULT_LIMITS = httpx.Limits()  # httpx's own pool sizes
WEB_SCHEMES = frozenset({"http", "https"})
# RFC 2606 / 6761 names that public DNS never answers: not looked up when a URL is stored.
NEVER_IN_PUBLIC_DNS = (".example", ".test", ".invalid")
DEFAULT_PORTS = {"http": 80, "https": 443}

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refusal(StrEnum):
    """Why an outbound call was not made."""

    NOT_WEB = "not_web"  # not an http(s) URL, or no host in it
    UNRESOLVED = "unresolved"  # the name resolves to nothing
    NOT_PUBLIC = "not_public"  # an address it resolves to is not a public one


class OutboundRefused(httpcore.ConnectError):
    """Raised by the guarded connection instead of connecting. httpx reports it as an
    `httpx.ConnectError` whose cause is this; `refusal_in` finds the reason again."""

    def __init__(self, reason: Refusal, host: str, detail: str) -> None:
        super().__init__(f"outbound call to {host!r} refused ({reason}): {detail}")
        self.reason = reason
        self.host = host
        self.explanation = f"{host!r}: {detail}"


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    """Whether private addresses may be called (`SHELFSPACE_OUTBOUND_ALLOW_PRIVATE`)."""

    allow_private: bool = False


NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: an IPv4 address in the last 32 bits


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, NAT64, 6to4, Teredo), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def is_public(address: IpAddress) -> bool:
    """Whether the server may call `address`: global unicast only, and an IPv6 address that
    carries an IPv4 one (::ffff:127.0.0.1) only if that one is public too."""
    if isinstance(address, ipaddress.IPv6Address):
        carried = embedded_ipv4(address)
        if carried is not None and not is_public(carried):
            return False
        if address.ipv4_mapped is not None:
            return True  # judged as the IPv4 address it is (the prefix itself is not "global")
    return address.is_global and not address.is_multicast


def _addresses(infos: Iterable[tuple[object, ...]]) -> list[IpAddress]:
    found: list[IpAddress] = []
    for info in infos:
        sockaddr = info[4]
        assert isinstance(sockaddr, tuple)
        # An IPv6 scope (fe80::1%eth0) is not part of the address.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


def checked_addresses(host: str, addresses: list[IpAddress], policy: OutboundPolicy) -> list[IpAddress]:
    """`addresses` if the host may be called at all of them, else `OutboundRefused`."""
    if not addresses:
        raise OutboundRefused(Refusal.UNRESOLVED, host, "it resolves to no address")
    if not policy.allow_private:
        private = [str(a) for a in addresses if not is_public(a)]
        if private:
            raise OutboundRefused(
                Refusal.NOT_PUBLIC,
                host,
                f"it resolves to {', '.join(private)}, not a public "
                "address (SHELFSPACE_OUTBOUND_ALLOW_PRIVATE allows it)",
            )
    return addresses


def resolve(host: str, port: int) -> list[IpAddress]:
    """Blocking resolution, for synchronous callers (a `def` route, a thread)."""
    try:
        return _addresses(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
    except (socket.gaierror, UnicodeError):
        return []


def refusal_of_url(url: str, policy: OutboundPolicy) -> OutboundRefused | None:
    """Why `url` may not be called (None: it may, as far as its DNS answers now). Blocking:
    call it off the event loop. A name that does not resolve yet is not refused here (a
    partner may be declared before its DNS is live); the connection checks again anyway."""
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in WEB_SCHEMES or not host:
        return OutboundRefused(Refusal.NOT_WEB, host or url, "only http and https URLs with a host are called")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        return OutboundRefused(Refusal.NOT_WEB, host, "the port is not a number from 0 to 65535")
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: always the loopback
        return (
            None
            if policy.allow_private
            else OutboundRefused(Refusal.NOT_PUBLIC, host, "a localhost name is the loopback, not a public address")
        )
    if name.endswith(NEVER_IN_PUBLIC_DNS):  # nothing to ask a resolver (the connection checks anyway)
        return None
    addresses = resolve(host, port)
    if not addresses:
        return None
    try:
        checked_addresses(host, addresses, policy)
    except OutboundRefused as refused:
        return refused
    return None


def refusal_in(error: BaseException) -> Refusal | None:
    """The reason an httpx error was a refusal by this module, or None if it was not."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OutboundRefused):
            return seen.reason
        seen = seen.__cause__ or seen.__context__
    return None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, resolving and checking each host before it connects,
    then connecting to the checked address itself (no second lookup to rebind)."""

    def __init__(self, policy: OutboundPolicy, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.policy = policy
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError as error:
            raise httpcore.ConnectTimeout(f"resolving {host!r} took longer than {timeout}s") from error
        except (socket.gaierror, UnicodeError):
            infos = []
        addresses = checked_addresses(host, _addresses(infos), self.policy)
        last: Exception | None = None
        for address in addresses:  # in the resolver's order, as a plain connection would
            try:
                return await self.inner.connect_tcp(
                    str(address), port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except httpcore.ConnectError as error:
                last = error
        assert last is not None
        raise last

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise OutboundRefused(Refusal.NOT_WEB, path, "unix sockets are never called")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, its connection pool built on `GuardedBackend`.

    httpx has no public way to hand its pool a network backend, so the pool is replaced
    after construction (`_pool`, the attribute every httpx 0.2x transport keeps it in);
    tests/demand/test_outbound.py proves through a real client that the guard is the one
    connecting, so an httpx that stopped honouring this would fail there, not silently."""

    def __init__(self, policy: OutboundPolicy, limits: httpx.Limits = DEFAULT_LIMITS) -> None:
        super().__init__(limits=limits, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy),
        )


def async_client(policy: OutboundPolicy, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> httpx.AsyncClient:
    """The client for outbound calls: guarded addresses, a timeout on every step, no
    redirects (a redirect could point anywhere), no proxies or credentials from the
    environment."""
    return httpx.AsyncClient(
        transport=GuardedTransport(policy), timeout=timeout, follow_redirects=False, trust_env=False
    )
