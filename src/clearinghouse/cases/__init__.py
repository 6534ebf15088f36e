"""Coordinated disclosure: reports, triage, cases, participants, vendor status, embargo,
threads and the timeline.

The decisions (state machines, the SSVC table, duplicate scoring, link signing) are pure
rules in :mod:`clearinghouse.cases.rules`; the modules beside it persist what those rules
decide, ask :mod:`clearinghouse.policy` before every read and write, and write a timeline
event and an audit entry for every change, in the caller's transaction.

| module | concern |
| --- | --- |
| ``models`` | tables |
| ``access`` | loading policy facts, link and report-token principals |
| ``intake`` | public and member reports, attachments, rate limit, duplicates |
| ``triage`` | SSVC decision points, outcome, override |
| ``coordination`` | cases, vulnerabilities, participants, invitations, vendor status |
| ``embargo_service`` | the embargo object and participants' answers |
| ``threads`` | case-wide and private threads, messages |
| ``timeline`` | the typed timeline the regulatory clocks read |
| ``export`` | machine-readable case data |
| ``jobs`` | reminders, escalations and invitation e-mails (outbox handlers) |
| ``api_reports``, ``api_cases`` | the REST edge |
| ``cli`` | ``clearinghouse case ...`` |
"""
