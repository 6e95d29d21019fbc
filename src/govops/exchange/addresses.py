"""Outbound addresses: pull endpoints and webhook targets may not reach internal services.

An address whose host resolves to a loopback, private, link-local or otherwise
non-public IP is refused unless an administrator has allowed that host or network.

Known shortcoming: the name is resolved when checked and again by the HTTP client when
called, so a DNS answer that changes in between (DNS rebinding) is not caught; deployments
that fear it should also block private networks at the egress firewall.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.core.db import now_utc
from govops.core.errors import InvalidRequest, NotFound
from govops.exchange.models import OutboundAddress

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressRefused(InvalidRequest):
    code = "address-refused"
    title = "Outbound address refused"


def allow_address(session: Session, pattern: str, note: str | None = None) -> OutboundAddress:
    pattern = pattern.strip().lower()
    if not pattern or ("/" in pattern and _network(pattern) is None):
        raise InvalidRequest(
            f"'{pattern}' is neither a host name, an IP address nor a CIDR network",
            field="pattern",
        )
    found = session.scalar(select(OutboundAddress).where(OutboundAddress.pattern == pattern))
    if found is not None:
        return found
    entry = OutboundAddress(pattern=pattern, note=note, created_at=now_utc())
    session.add(entry)
    session.flush()
    return entry


def remove_address(session: Session, pattern: str) -> None:
    entry = session.scalar(
        select(OutboundAddress).where(OutboundAddress.pattern == pattern.strip().lower())
    )
    if entry is None:
        raise NotFound(f"'{pattern}' is not on the allowlist", field="pattern")
    session.delete(entry)


def list_addresses(session: Session) -> list[OutboundAddress]:
    return list(session.scalars(select(OutboundAddress).order_by(OutboundAddress.pattern)))


def check_address(session: Session, url: str, *, field: str = "url") -> None:
    """Refuse ``url`` unless it is http(s) to a public address or an allowed one."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused(f"'{url}' must be an http or https address", field=field)
    host = parts.hostname.lower()
    patterns = [entry.pattern for entry in list_addresses(session)]
    if host in patterns:
        return
    for address in _resolve(host, parts.port, url, field):
        if address.is_global:
            continue
        if any(_matches(address, pattern) for pattern in patterns):
            continue
        raise AddressRefused(
            f"'{url}' reaches {address}, a {_kind(address)} address; an administrator must "
            "add it to the outbound allowlist first",
            field=field,
        )


def _resolve(host: str, port: int | None, url: str, field: str) -> list[IpAddress]:
    try:
        answers = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as error:
        raise AddressRefused(
            f"the host of '{url}' does not resolve: {error}", field=field
        ) from error
    return [ipaddress.ip_address(answer[4][0]) for answer in answers]


def _matches(address: IpAddress, pattern: str) -> bool:
    network = _network(pattern)
    return network is not None and address in network


def _network(pattern: str) -> IpNetwork | None:
    try:
        return ipaddress.ip_network(pattern, strict=False)
    except ValueError:
        return None


def _kind(address: IpAddress) -> str:
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_private:
        return "private"
    return "non-public"
