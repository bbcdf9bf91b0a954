"""Where an upstream really leads: resolved addresses, and which listener would take them.

A self-loop has many spellings (``127.1``, ``2130706433``, ``[::ffff:127.0.0.1]``,
``localhost``, ``0.0.0.0``, any local address when the proxy listens on every
interface), so upstreams are resolved and matched as the kernel routes a
connection, never compared as strings.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field

import psutil

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
Address = tuple[IP, int]


def canonical_ip(text: str, connect: bool = True) -> IP:
    """An address as the kernel routes it: no scope id, IPv4-mapped IPv6 as IPv4;
    to ``connect``, the unspecified address is the loopback it reaches."""
    ip = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if connect and ip.is_unspecified:  # connect() to 0.0.0.0 or :: reaches the loopback
        ip = ipaddress.ip_address("127.0.0.1" if ip.version == 4 else "::1")
    return ip


def listener_address(sockname: tuple[object, ...]) -> Address:
    """A listening socket's address, unspecified kept (it means every interface)."""
    return canonical_ip(str(sockname[0]), connect=False), int(str(sockname[1]))


@dataclass(frozen=True)
class Target:
    """One address a connection may go to: as routed (to compare) and as resolved (to dial:
    an IPv6 scope id kept)."""

    address: Address
    dial_host: str


async def resolve(host: str, port: int) -> list[Target]:
    """Every address a connection to ``host:port`` may go to, in the resolver's order."""
    try:
        return [Target((canonical_ip(host), port), host)]  # a literal: no resolver round trip
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host or None, port, type=socket.SOCK_STREAM)
    out: list[Target] = []
    for family, _, _, _, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            target = Target((canonical_ip(str(sockaddr[0])), port), str(sockaddr[0]))
            if target not in out:
                out.append(target)
    return out


@dataclass
class LocalAddresses:
    """This host's addresses, read once per question (interfaces rarely change)."""

    _ips: set[IP] | None = field(default=None)

    def __contains__(self, ip: IP) -> bool:
        if ip.is_loopback:
            return True
        if self._ips is None:
            self._ips = set()
            for addrs in psutil.net_if_addrs().values():
                for addr in addrs:
                    if addr.family in (socket.AF_INET, socket.AF_INET6):
                        try:
                            self._ips.add(canonical_ip(addr.address))
                        except ValueError:
                            continue
        return ip in self._ips


def accepts(listener: Address, target: Address, local: LocalAddresses) -> bool:
    """Whether a connection to ``target`` lands on a socket listening at ``listener``."""
    (listen_ip, listen_port), (ip, port) = listener, target
    if listen_port != port:
        return False
    if listen_ip.is_unspecified:
        # every interface; a dual-stack '::' socket takes IPv4 too, '0.0.0.0' only IPv4
        family_ok = listen_ip.version == 6 or ip.version == 4
        return family_ok and ip in local
    return listen_ip == ip
