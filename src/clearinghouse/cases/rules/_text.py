"""Small text checks shared by the rules: required reasons, bounded free text.

Every rule that records a human decision (a report transition, an override, an embargo
activation) needs the same guarantee: a non-empty reason of bounded size with no control
characters that would corrupt a timeline or an e-mail. Keeping that in one place keeps
the limits and the messages identical everywhere.
"""

from __future__ import annotations

import re

from clearinghouse.errors import InvalidInput

REASON_MAX = 2000
"""Longest reason accepted for a recorded decision (characters)."""

# C0 controls except TAB, LF, CR; DEL; C1 controls. They have no place in human text and
# some (NUL) break storage or mail headers.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class InvalidText(InvalidInput):
    """A free-text field is missing, too long or holds control characters."""

    code = "invalid-text"
    title = "A text field is not valid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field=field)
        self.field = field


def clean_text(
    value: object,
    *,
    field: str,
    max_len: int,
    required: bool,
    single_line: bool = False,
) -> str | None:
    """Strip ``value`` and check it; return ``None`` for an absent optional value.

    Raises :class:`InvalidText` naming ``field`` when the value is not a string, is empty
    but required, is longer than ``max_len`` characters, holds control characters, or
    (``single_line``) holds a line break.
    """
    if value is None:
        if required:
            raise InvalidText(field, "is required")
        return None
    if not isinstance(value, str):
        raise InvalidText(field, f"must be text, not {type(value).__name__}")
    text = value.strip()
    if not text:
        if required:
            raise InvalidText(field, "is required and may not be blank")
        return None
    if len(text) > max_len:
        raise InvalidText(field, f"is {len(text)} characters long; the limit is {max_len}")
    if _CONTROL.search(text):
        raise InvalidText(field, "holds control characters; remove them")
    if single_line and ("\n" in text or "\r" in text):
        raise InvalidText(field, "must be a single line")
    return text


def require_reason(value: object, *, field: str = "reason", max_len: int = REASON_MAX) -> str:
    """A required reason: non-blank, at most ``max_len`` characters (default 2000)."""
    text = clean_text(value, field=field, max_len=max_len, required=True)
    if text is None:  # pragma: no cover - clean_text raises for a required blank value
        raise InvalidText(field, "is required")
    return text
