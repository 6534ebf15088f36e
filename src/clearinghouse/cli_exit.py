"""Run a typer app as a command: typed errors become a message and their documented exit
code (README, "Exit codes"). Light on purpose (no platform imports), so that
``python -m clearinghouse.scan`` starts fast; ``clearinghouse.cli.main`` uses it too."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from rich.console import Console

from clearinghouse.errors import ClearinghouseError

EXIT_CHECK_FAILED = 1
EXIT_INTERNAL = 70


def run(app: typer.Typer) -> NoReturn:
    err = Console(stderr=True, soft_wrap=True)
    try:
        # Without standalone mode, click returns (not raises) the code of typer.Exit.
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except ClearinghouseError as exc:
        err.print(f"error: {exc.detail}")
        sys.exit(exc.exit_code)
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", getattr(exc, "code", 0))
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Abort:
        err.print("aborted")
        sys.exit(EXIT_CHECK_FAILED)
    except Exception as exc:  # noqa: BLE001 (the CLI's last resort: a message, not a trace)
        # click's (or typer's bundled click's) usage errors: print and exit with their code
        show = getattr(exc, "show", None)
        exit_code = getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            sys.exit(exit_code)
        err.print(f"internal error: {type(exc).__name__}: {exc}")
        sys.exit(EXIT_INTERNAL)
