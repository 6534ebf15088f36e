"""Clearinghouse benchmarks: speed measured against a peer in the same run.

Run them all with ``python -m bench`` (``make bench``), or one with
``python -m bench.<name> --help``. Each prints a table and writes
``bench/out/<name>.json``. ``docs/benchmarks.md`` says what each one measures and why
its figures are medians and ratios rather than lone times.
"""
