"""Typed errors of the clocks package.

Each names what was wrong and where, so that an operator editing a regime file or an
event file can fix it without reading code. All are :class:`InvalidInput`: the edges map
them to 422 / exit code 2.
"""

from __future__ import annotations

from clearinghouse.errors import InvalidInput


class RegimeError(InvalidInput):
    """A regime definition (a YAML file or an inline mapping) is not valid.

    ``file`` is the path or label of the definition, ``field`` the dotted location of the
    first offending field (empty when the whole document is unreadable).
    """

    code = "regime-invalid"
    title = "The regime definition is not valid"

    def __init__(self, file: str, field: str, message: str) -> None:
        where = f"{file}: field {field!r}" if field else file
        super().__init__(f"{where}: {message}", file=file, field=field)
        self.file = file
        self.field = field


class EventError(InvalidInput):
    """An event, or a set of events, breaks an invariant (naive instant, dangling
    ``supersedes``, duplicate id, missing submission data)."""

    code = "clock-event-invalid"
    title = "The clock event is not valid"


class DocumentError(InvalidInput):
    """A what-if event document does not follow the documented format."""

    code = "clock-document-invalid"
    title = "The clock event document is not valid"


class SubmissionError(InvalidInput):
    """A submission draft was asked for with a regime that does not match the obligation."""

    code = "clock-submission-invalid"
    title = "The submission draft cannot be made"
