"""Text helpers every report renderer shares: one line, clipped, safe in Markdown, fenced."""

from __future__ import annotations

import re


def one_line(text: str) -> str:
    """Whitespace (newlines included) collapsed to single spaces."""
    return " ".join(text.split())


def clip(text: str, room: int) -> str:
    """One line of at most `room` characters, an ellipsis marking a cut."""
    text = one_line(text)
    return text if len(text) <= room else text[: room - 1] + "…"


def md_text(text: str) -> str:
    """Text safe in a Markdown table cell or list item: no table breaks, no raw HTML from a server."""
    return (one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("|", "\\|"))


def fence(text: str) -> str:
    """A code fence longer than any run of backticks inside `text`, so a server's body cannot close it."""
    run = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, run + 1)
