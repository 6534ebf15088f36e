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
            f"Open {self.base_url}/ and sign in ({self.base_url}/sign-in) as:",
        ]
        lines += [f"  {u.email:<34} {u.org:<15} {u.role.value}" for u in log4shell.USERS]
        api = f"{self.base_url}/api/v1"
        case = self.replay.case or "CH-2021-0001"
        lines += [
            f"  password for every demo account: {self.password}",
            "",
            "Worth a look (docs/demo.md), signed in as the operator's analyst:",
            f"  the dashboard: {self.base_url}/dashboard",
            f"  the case and its timeline picture: {self.base_url}/cases/{case}",
            "  the same as at 2021-11-25, the alert the member would have had:",
            f"    {self.base_url}/cases/{case}?at=2021-11-25T03:00:00Z",
            f"  the suspended member: {self.base_url}/members/alibaba-cloud",
            f"  the audit trail: {self.base_url}/audit",
            "and through the API:",
            "  the member's missed obligations, due 2021-11-26:",
            f"    {api}/obligations?organisation=alibaba-cloud",
            "  the alert it would have had on 2021-11-25:",
            f"    {api}/obligations?organisation=alibaba-cloud&at=2021-11-25T03:00:00Z",
            "  its suspension and compliance record:",
            f"    {api}/organisations/alibaba-cloud/standing",
            f"  the case timeline: {api}/cases/{case}/timeline",
            "  exposure: the illustrative member told when the advisory was published,",
            "  its clock starting then (anchor_source says why), its report meeting it:",
            f"    {api}/obligations?organisation={log4shell.HOSTING[0]}",
            f"    {api}/findings (as psirt@hosting.example)",
            f"    its pages: {self.base_url}/exposure/findings",
        ]
        return "\n".join(lines)


def load(rt: Runtime, *, password: str) -> DemoResult:
    from clearinghouse.app import create_app

    # The replay's own requests and jobs would flood the terminal at INFO: keep it to
    # warnings while it plays (the server logs as configured afterwards).
    quiet = rt.settings.model_copy(update={"log_level": "WARNING"})

    def app_for(clock: Clock) -> FastAPI:
        return create_app(quiet, clock=clock, database=rt.database)

    replay = log4shell.play(rt, app_for, password=password)
    return DemoResult(replay=replay, base_url=rt.settings.base_url.rstrip("/"), password=password)
