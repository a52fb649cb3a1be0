"""Who is calling, by address: the socket's peer, or what a trusted proxy says it is.

X-Forwarded-For is believed only when the peer is a trusted proxy (ROOST_TRUSTED_PROXIES):
then the client is the right-most address in it that is not itself a trusted proxy (each
proxy appends the address it was called from, so everything left of the last untrusted hop
could be made up by the client). Services get the result as a plain string.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Any

from litestar.types import Scope

Network = IPv4Network | IPv6Network

UNKNOWN = "unknown"  # no peer address (a Unix socket, an in-process test client)
_FORWARDED_FOR = b"x-forwarded-for"


def networks(cidrs: str) -> tuple[Network, ...]:
    """ROOST_TRUSTED_PROXIES: comma-separated CIDRs (a bare address is a /32 or /128)."""
    return tuple(
        ip_network(cidr.strip(), strict=False) for cidr in cidrs.split(",") if cidr.strip()
    )


def client_ip(scope: Scope, trusted: Sequence[Network]) -> str:
    peer = _peer(scope)
    if not trusted or peer == UNKNOWN or not _is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in _forwarded_for(scope).split(",") if hop.strip()]
    client = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        client = str(address)
        if not any(address in network for network in trusted):
            break
    return client


def _peer(scope: Scope) -> str:
    fields: dict[str, Any] = scope  # type: ignore[assignment]
    peer = fields.get("client")
    return str(peer[0]) if peer else UNKNOWN


def _is_trusted(peer: str, trusted: Sequence[Network]) -> bool:
    address = _address(peer)
    return address is not None and any(address in network for network in trusted)


def _address(text: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(text)
    except ValueError:
        return None


def _forwarded_for(scope: Scope) -> str:
    """Every X-Forwarded-For header, in order, as one list."""
    values = [value for name, value in scope["headers"] if name == _FORWARDED_FOR]
    return b",".join(values).decode("latin-1")
