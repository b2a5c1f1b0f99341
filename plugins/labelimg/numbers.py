"""Numbers as annotation files write them."""

from __future__ import annotations

import re

# Digits 0-9 only: Python's float() also reads Arabic-Indic (١٢) and full-width (１２)
# digits and underscores (1_0), which no annotation tool writes — a damaged or
# hand-edited file, to be named rather than read as some number. nan and inf pass here
# and are refused as not finite by the reader, with that message.
_NUMBER = re.compile(
    r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|nan|inf|infinity)", re.ASCII | re.IGNORECASE
)


def number(text: str) -> float:
    """``text`` as a float when it is a plain decimal number; ValueError otherwise."""
    if not _NUMBER.fullmatch(text.strip()):
        raise ValueError(f"not a plain decimal number: {text!r}")
    return float(text)


def integer(text: str) -> int:
    """``text`` as an int when it is plain decimal digits; ValueError otherwise."""
    if not re.fullmatch(r"[+-]?\d+", text.strip(), re.ASCII):
        raise ValueError(f"not a plain decimal integer: {text!r}")
    return int(text)
