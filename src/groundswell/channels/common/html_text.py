"""Plain text from the small HTML fragments networks send as post bodies (Mastodon's
``content``, feed summaries). Keeps line breaks, drops tags and scripts, unescapes entities.
The result is still hostile text: it is escaped again wherever it is shown."""

from __future__ import annotations

from html.parser import HTMLParser

_BREAKS = {"br", "p", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"}
_SKIP = {"script", "style", "template"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skipping += 1
        elif tag in _BREAKS and self.parts:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)
