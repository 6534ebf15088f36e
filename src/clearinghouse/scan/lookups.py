"""Log4Shell-style lookup injection, decoded the way Log4j would read it.

:func:`jndi_payloads` takes the text from a candidate ``${`` (in any encoding) to the end
of its line, the whole of it, and answers the JNDI lookups it would perform. Two steps, each
linear in the text (the nesting bound is a constant factor):

1. :func:`normalise` undoes transport encodings until nothing changes (at most
   ``MAX_ROUNDS``): percent-encoding (so double encoding takes two rounds), ``\\uXXXX``
   and ``\\xXX`` escapes, HTML character references.
2. :func:`expand` evaluates nested lookups innermost first, like Log4j's StrSubstitutor:
   ``${name:-default}`` splits at the first ``:-``; ``lower``, ``upper``, ``date`` (quoted
   literals) and ``base64`` are evaluated; any other lookup (``env``, ``sys``, ``::``...)
   resolves to its default when it has one and stays as written otherwise; the prefix is
   compared case-insensitively. A lookup whose prefix resolves to ``jndi`` is an attempt.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from dataclasses import dataclass
from typing import Final

MAX_ROUNDS: Final = 6  # nested encodings undone
MAX_DEPTH: Final = 200  # lookups inside lookups
MAX_PAYLOAD: Final = 2048  # characters kept of one decoded payload

_PERCENT = re.compile(r"%(?:u([0-9A-Fa-f]{4})|([0-9A-Fa-f]{2}))")
# From the first backslash of a run only: "\\+" tried from inside a run is the same try
# again and re-reads the rest of the run (a line of n backslashes: n²/2 steps). The whole
# run is replaced, as before.
_BACKSLASH = re.compile(r"(?<!\\)\\+(?:[uU]([0-9A-Fa-f]{4})|[xX]([0-9A-Fa-f]{2}))")
# A decimal character reference with more digits than a code point has: html.unescape
# would give int() all of them, which refuses more than 4,300 digits (ValueError).
_LONG_DECIMAL = re.compile(r"&#([0-9]{8,})")
_QUOTED = re.compile(r"'([^']*)'")
_SPECIAL = re.compile(r"\$\{|\}")
# Text that holds no attempt: anything but "$", and lookups with no "$" in them that do not
# name jndi or base64 (``${x}``, ``${env:HOME}``, ``${foo:-bar}``): their value is a piece of
# their text, or a case of it, so no lookup. Possessive: one pass, no backtracking.
_INERT = re.compile(r"(?:\$\{(?![^$}]*?(?i:jndi|base64))[^$}]*+\}|[^$]++)*+")


@dataclass(frozen=True, slots=True)
class JndiPayload:
    decoded: str  # "${jndi:ldap://host:1389/a}", lookups inside it resolved
    protocol: str | None
    host: str | None
    port: int | None


def _percent(match: re.Match[str]) -> str:
    return chr(int(match.group(1) or match.group(2), 16))


def _backslash(match: re.Match[str]) -> str:
    return chr(int(match.group(1) or match.group(2), 16))


def _long_decimal(match: re.Match[str]) -> str:
    """The same reference with its leading zeros dropped; beyond U+10FFFF, U+FFFD (what
    html.unescape answers for it)."""
    digits = match.group(1).lstrip("0") or "0"
    return "&#" + (digits if len(digits) <= 7 else "65533")


def normalise(text: str) -> str:
    """Undo percent-encoding, backslash escapes and HTML references until stable."""
    for _ in range(MAX_ROUNDS):
        before = text
        if "%" in text:
            text = _PERCENT.sub(_percent, text)
        if "\\" in text:
            text = _BACKSLASH.sub(_backslash, text)
        if "&" in text:
            text = html.unescape(_LONG_DECIMAL.sub(_long_decimal, text))
        if text == before:
            break
    return text


def _date_literal(pattern: str) -> str:
    """What SimpleDateFormat prints for the quoted parts of a pattern (letters elsewhere
    print digits of the date, never a letter an attacker needs)."""
    literals = "".join(_QUOTED.findall(pattern))
    return literals if literals or not pattern else "0"


def _base64(text: str) -> str | None:
    try:
        return base64.b64decode(text.strip(), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None


class _Expander:
    def __init__(self) -> None:
        self.found: list[str] = []

    def evaluate(self, inner: str) -> str:
        """The value of ``${inner}`` (inner already expanded)."""
        name, has_default, default = inner.partition(":-")
        prefix, has_key, key = name.partition(":")
        lookup = prefix.strip().lower()
        if has_key:
            match lookup:
                case "jndi":
                    self.found.append(name.strip()[: MAX_PAYLOAD - 3])
                    return "${" + inner + "}"
                case "lower":
                    return key.lower()
                case "upper":
                    return key.upper()
                case "date":
                    return _date_literal(key)
                case "base64":
                    decoded = _base64(key)
                    if decoded is not None:
                        return decoded
        return default if has_default else "${" + inner + "}"

    def expand_at(self, text: str, start: int) -> tuple[str, int]:
        """Expand the lookup opening at ``text[start:start+2] == "${"``: its value and the
        index after it (unterminated: the text as written, to the end).

        One pass, with a stack of the open lookups' parts instead of recursion. Beyond
        ``MAX_DEPTH`` open lookups a ``${`` is plain text, so only the next ``}`` matters.
        An unterminated lookup and every one open inside it are kept as written, joined
        once (level by level, the rest of a line of ``${`` was copied ``MAX_DEPTH`` times).
        """
        stack: list[list[str]] = [[]]  # the parts read so far of each open lookup
        index = start + 2
        while True:
            if len(stack) > MAX_DEPTH:  # "${" is plain text this deep
                at = text.find("}", index)
                opens = False
            else:
                special = _SPECIAL.search(text, index)
                at = -1 if special is None else special.start()
                opens = special is not None and special.group() == "${"
            if at < 0:
                stack[-1].append(text[index:])
                return "".join(["${" + "".join(parts) for parts in stack]), len(text)
            stack[-1].append(text[index:at])
            if opens:
                stack.append([])
                index = at + 2
                continue
            index = at + 1
            value = self.evaluate("".join(stack.pop()))
            if not stack:
                return value, index
            stack[-1].append(value)


def expand(text: str) -> tuple[str, list[str]]:
    """``text`` with every lookup evaluated, and the JNDI names it would look up."""
    expander = _Expander()
    out: list[str] = []
    index = 0
    while True:
        start = text.find("${", index)
        if start < 0:
            out.append(text[index:])
            break
        out.append(text[index:start])
        value, index = expander.expand_at(text, start)
        out.append(value)
    return "".join(out), expander.found


_NETLOC = re.compile(r"(?:[^@/]*@)?(?P<host>.*?)(?::(?P<port>[0-9]{1,5}))?")


def describe(name: str) -> JndiPayload:
    """Protocol, callback host and port of one JNDI name (``jndi:ldap://h:1389/a``); a host
    that embeds lookups (``${env:USER}.evil.example``) is kept as written."""
    target = name.partition(":")[2].strip()
    protocol, sep, rest = target.partition("://")
    if not sep:
        protocol = target.partition(":")[0] if ":" in target else ""
        return JndiPayload("${" + name + "}", protocol.lower() or None, None, None)
    netloc = _netloc(rest)
    parts = _NETLOC.fullmatch(netloc)
    host = parts.group("host") if parts else netloc
    port_text = parts.group("port") if parts else None
    port = int(port_text) if port_text and int(port_text) <= 65535 else None
    shown = host if "${" in host else host.lower()
    return JndiPayload("${" + name + "}", protocol.lower() or None, shown or None, port)


def _netloc(rest: str) -> str:
    """The authority: up to the first "/", "?" or "#" outside a lookup."""
    depth = 0
    for index, char in enumerate(rest):
        if rest.startswith("${", index):
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        elif char in "/?#" and not depth:
            return rest[:index]
    return rest


def jndi_payloads(text: str) -> list[tuple[int, JndiPayload]]:
    """The JNDI lookups in ``text`` (a line, from its first candidate on), each with the
    ordinal of the ``${`` that opens its outermost lookup (0 for the first ``${`` of the
    normalised text), so the caller can point at the raw candidate it came from.

    Every lookup of the text is read, however far into the line: a decoy ``${x}`` and
    padding in front hide nothing. Lookups are taken left to right, each from where the
    one before it ended, so each character is expanded once (twice for the few whose
    value differs from their text) and the ordinals are counted as the scan goes.
    """
    normal = normalise(text)
    found: list[tuple[int, JndiPayload]] = []
    seen: set[str] = set()
    ordinal = 0
    counted = 0  # the "${" of normal[:counted] are in ordinal
    index = normal.find("${")
    while index >= 0:
        inert = _INERT.match(normal, index)
        if inert is not None and inert.end() > index:
            index = normal.find("${", inert.end())
            continue
        ordinal += normal.count("${", counted, index)
        counted = index
        expander = _Expander()
        resolved, end = expander.expand_at(normal, index)
        names = list(expander.found)
        if not names:
            # a lookup assembled from parts (``${${lower:j}ndi:...}``) shows itself once
            # resolved; an unterminated one (a cut line) is still an attempt. A lookup that
            # resolved to its own text has nothing more to show.
            unchanged = len(resolved) == end - index and normal.startswith(resolved, index)
            again, more = (resolved, []) if unchanged else expand(resolved)
            names = more or _unterminated(again)
        for name in names:
            if name not in seen:
                seen.add(name)
                found.append((ordinal, describe(name)))
        index = normal.find("${", max(end, index + 2))
    return found


_UNTERMINATED = re.compile(r"\$\{\s*(jndi:[^\s\"'}]{1,2000})", re.IGNORECASE)


def _unterminated(text: str) -> list[str]:
    return [m.group(1) for m in _UNTERMINATED.finditer(text)]
