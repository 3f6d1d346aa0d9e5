"""Text clean-up shared by training and inference, so the model sees posts one way.

Handles and links become placeholders (their letters say nothing about sentiment and
would spend the token budget), control characters go, and the commonest emoji become
words: the base model's vocabulary has no emoji, so "😡" would otherwise be an unknown
token indistinguishable from "😍".
"""

from __future__ import annotations

import re
import unicodedata

MAX_CHARS = 1_000
"""Characters kept before tokenising; far past the token limit for any real text."""

_HANDLE = re.compile(r"(?<!\w)@\w+")
_LINK = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]")

EMOJI_WORDS: dict[str, str] = {
    "😂": "laughing",
    "🤣": "laughing",
    "😊": "happy",
    "😀": "happy",
    "😃": "happy",
    "😄": "happy",
    "😁": "grinning",
    "🙂": "smile",
    "😍": "love",
    "🥰": "love",
    "😘": "kiss",
    "❤": "love",
    "♥": "love",
    "💕": "love",
    "💙": "love",
    "👍": "good",
    "👏": "applause",
    "🙌": "hooray",
    "🎉": "celebrate",
    "🔥": "fire",
    "💯": "hundred",
    "✨": "sparkle",
    "😉": "wink",
    "😎": "cool",
    "🙏": "please",
    "😢": "sad",
    "😭": "crying",
    "😞": "disappointed",
    "😔": "sad",
    "😩": "weary",
    "😫": "tired",
    "😒": "annoyed",
    "🙄": "eyeroll",
    "😤": "frustrated",
    "😠": "angry",
    "😡": "angry",
    "🤬": "furious",
    "👎": "bad",
    "💩": "crap",
    "🤮": "disgusting",
    "😱": "shocked",
    "😳": "embarrassed",
    "🤔": "thinking",
    "😐": "meh",
    "😑": "meh",
    "😴": "sleepy",
    "✈": "plane",
    "⏰": "clock",
}
_EMOJI = re.compile("|".join(re.escape(e) for e in sorted(EMOJI_WORDS, key=len, reverse=True)))


_ASCII_CONTROLS = {c: " " for c in [*range(0x20), 0x7F]}


def _drop_controls(text: str) -> str:
    """Control, format, surrogate and private-use characters become spaces (not the
    zero-width joiner, which holds emoji sequences together).

    A printable text has none of them, and most others only ASCII controls (line
    breaks): both are settled in C; the rest go character by character.
    """
    if text.isprintable():
        return text
    simple = text.translate(_ASCII_CONTROLS)
    if simple.isprintable():
        return simple
    return "".join(
        " " if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co") and c != "\u200d" else c
        for c in text
    )


def normalize(text: str) -> str:
    """The text the model reads: placeholders, emoji words, no control characters."""
    text = text[:MAX_CHARS].replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    text = _LINK.sub(" http ", _HANDLE.sub(" @user ", text))
    text = _EMOJI.sub(lambda m: f" {EMOJI_WORDS[m.group(0)]} ", _drop_controls(text))
    return _SPACE.sub(" ", text).strip()


def has_words(text: str) -> bool:
    """Whether ``text`` holds a letter or digit (not only emoji, symbols or space)."""
    return _WORD.search(text) is not None


def strip_names(text: str) -> str:
    """``text`` without @handles and links, whose letters are not the author's words."""
    return _LINK.sub(" ", _HANDLE.sub(" ", text[:MAX_CHARS]))
