"""The client's address: the socket's peer, unless a trusted proxy forwarded the request."""

from __future__ import annotations

from typing import Any

import pytest

from roost.entrypoints.rest.client_ip import UNKNOWN, client_ip, networks

PROXIES = networks("10.0.0.0/8, 192.168.1.1")


def scope(peer: str | None, *forwarded: str) -> Any:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return {"type": "http", "client": (peer, 40000) if peer else None, "headers": headers}


def test_the_peer_is_the_client_when_no_proxy_is_trusted() -> None:
    assert client_ip(scope("203.0.113.7", "198.51.100.1"), ()) == "203.0.113.7"


def test_forwarded_for_is_ignored_from_an_untrusted_peer() -> None:
    assert client_ip(scope("203.0.113.7", "198.51.100.1"), PROXIES) == "203.0.113.7"


def test_a_trusted_peer_names_the_client() -> None:
    assert client_ip(scope("10.1.2.3", "198.51.100.1"), PROXIES) == "198.51.100.1"


def test_the_right_most_untrusted_hop_is_the_client() -> None:
    # The client wrote the first address itself; the proxies appended the rest.
    forged = scope("10.1.2.3", "1.2.3.4, 198.51.100.1, 192.168.1.1")
    assert client_ip(forged, PROXIES) == "198.51.100.1"


def test_several_headers_read_as_one_list() -> None:
    assert client_ip(scope("10.1.2.3", "1.2.3.4", "198.51.100.1"), PROXIES) == "198.51.100.1"


def test_when_every_hop_is_trusted_the_left_most_is_the_client() -> None:
    assert client_ip(scope("10.1.2.3", "10.9.9.9, 10.5.5.5"), PROXIES) == "10.9.9.9"


@pytest.mark.parametrize("garbage", ["not-an-ip", "1.2.3.4:5678", "unknown"])
def test_a_malformed_hop_stops_the_walk_at_the_last_trusted_one(garbage: str) -> None:
    assert client_ip(scope("10.1.2.3", f"198.51.100.1, {garbage}"), PROXIES) == "10.1.2.3"


def test_ipv6_addresses_are_written_canonically() -> None:
    trusted = networks("::1/128")
    assert client_ip(scope("::1", "2001:DB8:0:0::1"), trusted) == "2001:db8::1"


def test_no_peer_is_unknown() -> None:
    assert client_ip(scope(None, "198.51.100.1"), PROXIES) == UNKNOWN


def test_trusted_proxies_parse_from_comma_separated_cidrs() -> None:
    parsed = networks(" 127.0.0.1/32,10.0.0.1/8 ,")
    assert [str(network) for network in parsed] == ["127.0.0.1/32", "10.0.0.0/8"]
    assert networks("") == ()
