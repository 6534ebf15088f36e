"""Coordinated disclosure: reports, triage, cases, participants, vendor status, embargo,
threads and the timeline.

The decisions (state machines, the SSVC table, duplicate scoring, link signing) are pure
rules in :mod:`clearinghouse.cases.rules`; the modules beside it persist what those rules
decide, ask :mod:`clearinghouse.policy` before every read and write, and write a timeline
event and an audit entry for every change, in the caller's transaction.

| module | concern |
| --- | --- |
| ``models`` | tables |
| ``ids`` | time-ordered row identifiers |
| ``guards`` | checks every change makes first (the case is open) |
| ``access`` | loading a case for a principal: its part in it, the policy's facts, list scopes |
| ``tokens`` | invitation links and report tracking tokens as credentials |
| ``intake`` | reports from anyone or from members, tracking tokens, duplicate hints |
| ``report_messages`` | coordinator and finder writing before a case; the finder's key |
| ``attachments`` | uploaded files: checks by magic bytes, limits, storage |
| ``triage`` | the SSVC coordinator-triage decision and its history |
| ``coordination`` | starting cases; their vulnerabilities and affected products |
| ``participants`` | parties to a case, invitations by e-mail, statuses, response deadlines |
| ``invitations`` | signed invitation links: issue, open, claim, revoke |
| ``embargo_service`` | the embargo, stored; participants' answers |
| ``threads`` | the case thread and private threads, messages |
| ``notices`` | telling participants through every channel (the policy gates each) |
| ``sharing`` | legal warnings when unpublished information is shared (e.g. MIIT Art. 9(7)) |
| ``timeline`` | the typed timeline of steps and clock anchors |
| ``export`` | the case as one machine-readable document |
| ``jobs`` | vendor reminders and escalations, embargo ends, duplicate flagging |
| ``schemas`` | request and response bodies of the case API |
| ``api_common``, ``api_reports``, ``api_cases``, ``api_collab`` | the REST edge |
| ``cli`` | ``clearinghouse case ...`` |
"""
