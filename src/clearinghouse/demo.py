"""Demonstration data for ``make demo``: the platform operator, its administrator and the
Log4Shell replay (see docs/demo.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from clearinghouse.accounts import service as accounts
from clearinghouse.accounts.models import Organisation, OrgKind, Role
from clearinghouse.accounts.principal import SYSTEM
from clearinghouse.runtime import Runtime

OPERATOR_SLUG = "nvdb"
OPERATOR_NAME = "MIIT Cybersecurity Threat and Vulnerability Information Sharing Platform (NVDB)"
ADMIN_EMAIL = "admin@nvdb.example"


@dataclass
class DemoResult:
    created: bool
    base_url: str
    accounts: list[tuple[str, str, str]] = field(default_factory=list)  # email, org, role
    password: str = ""

    def summary(self) -> str:
        head = "demo data loaded" if self.created else "demo data already present (left as it is)"
        lines = [head, "", f"Open {self.base_url} and sign in with one of:"]
        lines += [f"  {email:<32} {org:<14} {role}" for email, org, role in self.accounts]
        lines += ["", f"password for every demo account: {self.password}"]
        return "\n".join(lines)


def load(rt: Runtime, *, password: str) -> DemoResult:
    now = rt.clock.now()
    result = DemoResult(created=False, base_url=rt.settings.base_url, password=password)
    result.accounts.append((ADMIN_EMAIL, OPERATOR_SLUG, "operator admin"))
    with rt.database.transaction() as s:
        if s.scalars(select(Organisation).where(Organisation.slug == OPERATOR_SLUG)).first():
            return result
        operator = accounts.create_organisation(
            s,
            actor=SYSTEM,
            now=now,
            slug=OPERATOR_SLUG,
            name=OPERATOR_NAME,
            kind=OrgKind.OPERATOR,
            country="CN",
            jurisdictions=["CN"],
        )
        accounts.create_user(
            s,
            actor=SYSTEM,
            now=now,
            email=ADMIN_EMAIL,
            name="Platform administrator",
            password=password,
            organisation=operator,
            role=Role.ADMIN,
            timezone="Asia/Shanghai",
        )
    result.created = True
    return result
