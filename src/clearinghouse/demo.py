"""Demonstration data for ``make demo``: the Log4Shell replay (see docs/demo.md)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from clearinghouse.replay import log4shell
from clearinghouse.runtime import Runtime
from clearinghouse.timeutil import Clock


@dataclass
class DemoResult:
    replay: log4shell.ReplayResult
    base_url: str
    password: str

    def summary(self) -> str:
        if not self.replay.created:
            head = ["Demo data already present (left as it is)."]
        else:
            head = ["Log4Shell replay loaded:", *(f"  {step}" for step in self.replay.steps)]
        lines = [
            *head,
            "",
            f"Open {self.base_url}/api/docs and sign in (POST /api/v1/auth/login) as:",
        ]
        lines += [f"  {u.email:<34} {u.org:<15} {u.role.value}" for u in log4shell.USERS]
        lines += [
            f"  password for every demo account: {self.password}",
            "",
            "Worth a look:",
            f"  {self.base_url}/api/v1/obligations?organisation=alibaba-cloud            missed, due 2021-11-26",
            f"  {self.base_url}/api/v1/obligations?organisation=alibaba-cloud&at=2021-11-25T03:00:00Z"
            "   the alert it would have had",
            f"  {self.base_url}/api/v1/organisations/alibaba-cloud/standing           suspension, record",
            f"  {self.base_url}/api/v1/cases/{self.replay.case or 'CH-2021-0001'}/timeline",
        ]
        return "\n".join(lines)


def load(rt: Runtime, *, password: str) -> DemoResult:
    from clearinghouse.app import create_app

    def app_for(clock: Clock) -> FastAPI:
        return create_app(rt.settings, clock=clock, database=rt.database)

    replay = log4shell.play(rt, app_for, password=password)
    return DemoResult(replay=replay, base_url=rt.settings.base_url.rstrip("/"), password=password)
