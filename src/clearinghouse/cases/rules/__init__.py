"""Pure rules of coordinated vulnerability disclosure.

Nothing here touches the web or the database: each module takes values (and ``now`` or
``at`` where time matters) and returns values, typed errors or typed events. The case
services persist what these rules decide.

| module | rule |
| --- | --- |
| :mod:`.ssvc` | SSVC Coordinator Triage 1.0.0: decline / track / coordinate |
| :mod:`.reports` | report lifecycle and report field limits |
| :mod:`.duplicates` | likely-duplicate detection between reports |
| :mod:`.vendor_status` | vendor status per vulnerability, VEX mapping, response deadlines |
| :mod:`.embargo` | embargo state machine, time zones, acceptance, policies |
| :mod:`.links` | signed expiring invitation links and report-tracking tokens |
| :mod:`.pgp` | OpenPGP public-key parsing and encryption (pysequoia) |

The modules are imported one by one (``from clearinghouse.cases.rules import embargo``):
this package does not import them eagerly, so that a caller that never encrypts never
loads the OpenPGP library.
"""
