"""Host names read the way browsers and the C resolver read them, and which addresses are private.

``ip_literal`` turns an IP literal in any spelling a browser (WHATWG URL) or
``inet_aton`` accepts into its address: ``2130706433``, ``0x7f000001``,
``0177.0.0.1``, ``127.1``, ``[::ffff:7f00:1]``, trailing dots, percent-encoded
or full-width digits. ``is_private_host`` and ``is_private_address`` say whether
a host or address is one the crawler must never reach (loopback, link-local,
private, shared, reserved, multicast, unspecified).
"""

from __future__ import annotations

import ipaddress
import unicodedata
from urllib.parse import unquote, urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
# Dots that IDNA maps to "." (browsers split host labels on all of them).
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def normalize_host(host: str) -> str:
    """``host`` as a browser reads it: no brackets, percent-decoded, NFKC, lower case, no trailing dot."""
    host = unquote(host.strip().strip("[]"))
    return unicodedata.normalize("NFKC", host).translate(_DOTS).lower().rstrip(".")


def _ipv4_number(part: str) -> int | None:
    """One dotted part: ``0x`` hex, a leading ``0`` octal, else decimal (as inet_aton and browsers)."""
    if part[:2] in ("0x", "0X"):
        digits, base = part[2:], 16
    elif len(part) > 1 and part.startswith("0"):
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if not digits:
        return 0 if base == 16 else None  # browsers read a bare "0x" as 0
    if not digits.isascii() or not digits.isalnum():
        return None
    try:
        return int(digits, base)
    except ValueError:
        return None


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address of a literal in 1 to 4 dotted parts (``127.1``, ``0x7f.1``, ``2130706433``), or None."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()  # one trailing dot is allowed
    if not 1 <= len(parts) <= 4 or "" in parts:
        return None
    numbers = [_ipv4_number(part) for part in parts]
    if any(n is None for n in numbers):
        return None
    *head, last = [n for n in numbers if n is not None]
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for index, n in enumerate(head):
        value += n << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def ip_literal(host: str) -> Address | None:
    """The address an IP-literal host names, in any spelling; None for a host name."""
    host = normalize_host(host)
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)  # with or without a zone id (fe80::1%eth0)
        except ValueError:
            return None
    return parse_ipv4(host)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64, IPv4-compatible), if any."""
    if address.ipv4_mapped or address.sixtofour:
        return address.ipv4_mapped or address.sixtofour
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_private_address(address: Address | str) -> bool:
    """True for any address that is not globally reachable unicast (or that wraps one in IPv6)."""
    if isinstance(address, str):
        address = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_private_address(embedded)
    return not address.is_global or address.is_multicast or address.is_reserved or address.is_unspecified


def is_private_host(host: str) -> bool:
    """True for ``localhost`` names and for IP literals, in any spelling, of private addresses."""
    name = normalize_host(host)
    if name in LOCAL_NAMES or name.endswith(".localhost"):
        return True
    address = ip_literal(name)
    return address is not None and is_private_address(address)


# Names only a private network resolves: mDNS (RFC 6762), ICANN's private-use TLD (``metadata.google.internal``),
# RFC 8375's home networks, and the suffixes routers and intranets use, which ICANN will never delegate.
_NETWORK_SUFFIXES = tuple(
    f".{suffix}" for suffix in ("local", "internal", "home.arpa", "localdomain", "lan", "corp", "home", "intranet")
)


def is_network_name(host: str) -> bool:
    """True for a host name a private network resolves: one label (``intranet``, ``metadata``), or under a suffix
    no public name has (``printer.local``, ``metadata.google.internal``, ``router.lan``)."""
    name = normalize_host(host)
    return "." not in name or name.endswith(_NETWORK_SUFFIXES)


def is_public_web_url(url: str) -> bool:
    """True for an http(s) URL of a host that is not private (an image a reader's browser can load), not for
    ``javascript:``, ``data:``, ``file:``, a private address or network name, or a port no browser connects to."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        port = parts.port  # raises ValueError on a port past 65535 or that is no number
    except ValueError:  # and on a bracketed host that is no address
        return False
    if parts.scheme.lower() not in ("http", "https") or not host or port == 0:
        return False
    return not is_private_host(host) and (ip_literal(normalize_host(host)) is not None or not is_network_name(host))
