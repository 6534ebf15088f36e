"""Agent scanners (``clearinghouse scan jars|logs``): the detector cores are pure (no web
framework, no database); only :mod:`clearinghouse.scan.cli` and the OSV client talk HTTP.
``docs/scanners.md`` describes what each finds, its limits and its outputs."""
