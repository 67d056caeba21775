"""Helpers shared by the renderers: the header line, and values made safe to write into a
configuration file (a malformed value raises ValueError rather than corrupting the file)."""

from __future__ import annotations

import ipaddress
import re

from native.drivers.network.base import RouterConfig

DNS_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def header(config: RouterConfig, *, mark: str = "#") -> str:
    """The first comment line of every file: which router and generation it belongs to."""
    return (
        f"{mark} {printable(config.name)} generation {config.generation}: "
        "rendered by Alto, do not edit"
    )


def printable(text: str) -> str:
    """`text` with anything that could end a comment line (or is not printable) replaced."""
    return "".join(char if char.isprintable() else "?" for char in text)


def address(text: str) -> str:
    """An IPv4 address in canonical form; ValueError if `text` is not one."""
    return str(ipaddress.IPv4Address(text.strip()))


def network(text: str) -> ipaddress.IPv4Network:
    """An IPv4 network (host bits ignored); ValueError if `text` is not one."""
    return ipaddress.IPv4Network(text.strip(), strict=False)


def is_hostname(text: str) -> bool:
    """Whether `text` is one DNS label (a VM's host name)."""
    return DNS_LABEL.fullmatch(text) is not None


def is_domain(text: str) -> bool:
    """Whether `text` is a DNS domain name (labels separated by dots)."""
    return len(text) <= 253 and all(is_hostname(label) for label in text.split("."))
