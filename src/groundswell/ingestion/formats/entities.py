"""Decode the HTML entities that tweet and feed sources put in post text, once, at import.

Twitter's API (and the public tweet data sets taken from it) sends ``&``, ``<`` and ``>``
as ``&amp;``, ``&lt;`` and ``&gt;``; feeds escape quotes and numeric characters too. Left
as they are, "Q&amp;A" is what agents read, what search matches and what the models
score. Text is decoded here, at the edge, exactly once: display escapes it again
(Jinja's autoescape), so a decoded ``<`` is never markup.

``html.unescape`` is not used because it also decodes HTML5's legacy entities written
without a semicolon: "&not" in "this&nothing" would become "¬". Only entities closed by a
semicolon are decoded, in a single pass, so "&amp;gt;" becomes "&gt;" and not ">".
"""

from __future__ import annotations

import re

ESCAPING_CHANNELS = frozenset({"twitter"})
"""Channels whose source escapes post text; native records on them are decoded on import."""

_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'", "nbsp": "\u00a0"}
_ENTITY = re.compile(r"&(?:(amp|lt|gt|quot|apos|nbsp)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")


def _decode(match: re.Match[str]) -> str:
    name, decimal, hexadecimal = match.groups()
    if name is not None:
        return _NAMED[name]
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return match.group(0)
    return chr(code)


def decode_entities(text: str) -> str:
    """``text`` with its ``&name;`` and ``&#n;`` entities decoded, in one pass."""
    if "&" not in text:
        return text
    return _ENTITY.sub(_decode, text)
