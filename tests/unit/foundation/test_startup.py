"""Start-up cost: the CLI and every process import the platform, so nothing in that import
may build something expensive it does not use. rfc3987-syntax (a dependency of
stix2-validator) builds a grammar of about 3 s when jsonschema imports it; the platform
marks it absent before that can happen."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_cli_does_not_load_rfc3987_syntax() -> None:
    probe = (
        "import sys, clearinghouse.cli, jsonschema;"
        "print(sys.modules.get('rfc3987_syntax', 'absent'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "None"
