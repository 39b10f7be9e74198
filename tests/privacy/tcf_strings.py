"""TCF v2 core strings for tests: the bit layout of the IAB's "TC String" format, written
out field by field so a test can say which purposes a person granted."""

from __future__ import annotations

import base64


def _bits(value: int, width: int) -> str:
    return format(value, f"0{width}b")


def _letters(text: str) -> str:
    return "".join(_bits(ord(ch) - ord("A"), 6) for ch in text)


def tc_string(purposes: set[int], vendors: set[int] = frozenset({1}), max_vendor: int = 10) -> str:  # type: ignore[assignment]
    deciseconds = 16_000_000_000
    fields = [
        _bits(2, 6),
        _bits(deciseconds, 36),
        _bits(deciseconds, 36),
        _bits(7, 12),
        _bits(1, 12),
        _bits(1, 6),
        _letters("EN"),
        _bits(100, 12),
        _bits(4, 6),
        "1",
        "0",
        _bits(0, 12),
        "".join("1" if p in purposes else "0" for p in range(1, 25)),
        _bits(0, 24),
        "0",
        _letters("GB"),
        _bits(max_vendor, 16),
        "0",
        "".join("1" if v in vendors else "0" for v in range(1, max_vendor + 1)),
        _bits(max_vendor, 16),
        "0",
        "0" * max_vendor,
        _bits(0, 12),
    ]
    bits = "".join(fields)
    bits += "0" * (-len(bits) % 8)
    raw = int(bits, 2).to_bytes(len(bits) // 8, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
