"""Form errors as the pages show them: a summary at the top linking to each field, and
the message beside the field (the GOV.UK pattern).

Messages are the viewer's language. A domain error names its field and says in English
what is wrong with the value; the page shows a translated sentence for the field, and
the domain's own words after it (marked ``lang="en"``) where they add a detail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from pydantic import ValidationError

from clearinghouse.errors import ClearinghouseError

Translate = Callable[[str], str]  # a viewer's gettext

GENERAL: Final = "form"  # an error that belongs to no one field


def N_(message: str) -> str:  # noqa: N802 (gettext's name for "translate later")
    """Marks a message for the catalogues; translated where it is shown."""
    return message


@dataclass
class FieldError:
    field: str
    message: str  # in the viewer's language
    detail: str | None = None  # the domain's words (English)


@dataclass
class FieldErrors:
    items: list[FieldError] = field(default_factory=list)

    def add(self, name: str, message: str, detail: str | None = None) -> None:
        self.items.append(FieldError(name, message, detail))

    def of(self, name: str) -> FieldError | None:
        return next((e for e in self.items if e.field == name), None)

    def __bool__(self) -> bool:
        return bool(self.items)


_CHECK: Final = N_("Check this answer.")
_BY_CODE: Final = {
    "pgp-key-invalid": N_("This is not an OpenPGP public key."),
    "pgp-key-is-secret": N_("This is a private key: never share it. Paste your public key."),
    "pgp-key-cannot-encrypt": N_("Replies cannot be encrypted to this key."),
    "pgp-too-large": N_("This key is too large."),
    "payload-too-large": N_("A file is too large."),
    "conflict": N_("This cannot be done now."),
    "rate-limited": N_("Too many reports from your address. Wait an hour, or sign in."),
}


def errors_of(translate: Translate, exc: ClearinghouseError) -> FieldErrors:
    """A domain error as the form's errors (its field, or the form as a whole)."""
    name = str(exc.extensions.get("field") or GENERAL)
    message = _BY_CODE.get(exc.code, _CHECK)
    errors = FieldErrors()
    errors.add(name.split(".")[0], translate(message), exc.detail)
    return errors


def validation_errors(translate: Translate, exc: ValidationError) -> FieldErrors:
    errors = FieldErrors()
    for item in exc.errors():
        location = [str(p) for p in item.get("loc", ())]
        name = location[0] if location else GENERAL
        if errors.of(name) is None:
            errors.add(name, translate(_CHECK), str(item.get("msg", "")))
    return errors
