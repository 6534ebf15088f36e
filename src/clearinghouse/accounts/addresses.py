"""E-mail addresses people give the platform (users, organisation contacts, invited
vendors, finders): checked by ``email-validator`` and kept in one form.

Refused: anything that is not an address by RFC 5322/6531 as the library reads it
(quoted local parts, IP literals and display names included), and every character that
could make one address look like another or hide in a log: NUL and other controls,
bidirectional overrides (U+202E), zero-width characters. No DNS is asked (an address is
checked for its form, not its mailbox); the reserved ``.test`` domain is accepted, other
special-use names (``localhost``, ``.invalid``) are not. Stored in lower case, as lookups
compare them.

Not imported by the pure cores (an import-linter contract): ``email-validator`` brings
a DNS client with it.
"""

from __future__ import annotations

from typing import Final

from email_validator import EmailNotValidError, validate_email

from clearinghouse.errors import InvalidInput

MAX_LENGTH: Final = 254  # RFC 5321's path limit, less the angle brackets


def checked_email(text: str, *, field: str = "email") -> str:
    """``text`` as the platform stores an address, or :class:`InvalidInput` naming why."""
    candidate = text.strip()
    if len(candidate) > MAX_LENGTH:
        raise InvalidInput(f"an e-mail address has at most {MAX_LENGTH} characters", field=field)
    try:
        checked = validate_email(
            candidate,
            check_deliverability=False,
            test_environment=True,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
        )
    except EmailNotValidError as exc:
        raise InvalidInput(f"not an e-mail address: {exc}", field=field) from None
    return checked.normalized.lower()
