"""E-mail addresses people give the platform (issue #9, item 9): addresses with NUL,
bidirectional overrides or zero-width characters were accepted and stored."""

from __future__ import annotations

import pytest

from clearinghouse.accounts.addresses import checked_email
from clearinghouse.errors import InvalidInput


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("psirt@vendor.example", "psirt@vendor.example"),
        ("  Security@Logging.Apache.test ", "security@logging.apache.test"),
        ("chen.zhaojun+log4j@alibaba-inc.example", "chen.zhaojun+log4j@alibaba-inc.example"),
        ("用户@例子.广告", "用户@例子.广告"),  # SMTPUTF8 and an internationalised domain
    ],
)
def test_addresses_are_kept_in_one_form(given: str, stored: str) -> None:
    assert checked_email(given) == stored


@pytest.mark.parametrize(
    "given",
    [
        "admin\x00@operator.example",  # NUL
        "admin@operator.example\x00.evil.example",
        "ad\u202emin@operator.example",  # RIGHT-TO-LEFT OVERRIDE
        "admin@opera\u202etor.example",
        "ad\u2066min@operator.example",  # LEFT-TO-RIGHT ISOLATE
        "ad\u200bmin@operator.example",  # ZERO WIDTH SPACE
        "ad\u200dmin@operator.example",  # ZERO WIDTH JOINER
        "admin@operator\u200c.example",  # ZERO WIDTH NON-JOINER
        "\ufeffadmin@operator.example",  # ZERO WIDTH NO-BREAK SPACE (BOM)
        "ad\nmin@operator.example",
        "ad\tmin@operator.example",
        "admin",
        "admin@",
        "@operator.example",
        "admin@@operator.example",
        "admin@localhost",
        "admin@operator.invalid",
        '"ad min"@operator.example',
        "admin@[127.0.0.1]",
        "Admin <admin@operator.example>",
        "a" * 250 + "@x.example",
    ],
)
def test_what_is_not_an_address_is_refused(given: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_email(given, field="contact_email")
    assert refused.value.extensions.get("field") == "contact_email"
