"""``python -m clearinghouse.scan jars|logs``: the scanners alone, for agents on the hosts
they scan (starts in a fraction of the full command line's time: no platform imports)."""

from clearinghouse.cli_exit import run
from clearinghouse.scan.cli import app

if __name__ == "__main__":
    run(app)
