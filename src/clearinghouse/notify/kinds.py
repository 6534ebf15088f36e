"""Every kind of message the platform sends, on any channel (notification, e-mail,
webhook event). A closed set: the channel test sends each one to suspended and
non-suspended recipients about embargoed and published subjects."""

from __future__ import annotations

import enum


class MessageKind(enum.StrEnum):
    CASE_MESSAGE = "case.message"  # a new message in a thread one can read
    CASE_PARTICIPANT_ADDED = "case.participant_added"  # "you were added to case ..."
    CASE_INVITATION = "case.invitation"  # the signed link to a vendor outside the platform
    CASE_VENDOR_REMINDER = "case.vendor_reminder"  # a vendor's response is due soon
    CASE_VENDOR_ESCALATED = "case.vendor_escalated"  # a vendor missed its deadline
    REPORT_STATUS = "report.status"  # one's report moved (to its finder)
    REPORT_MESSAGE = "report.message"  # a message on a report (to its finder, or the operator)
    ADVISORY_RENDITION_FAILED = "advisory.rendition_failed"  # to the operator's admins
    CLOCK_ALERT = "clocks.alert"  # an obligation is due soon or was missed
    REASSESSMENT_DUE = "standing.reassessment_reminder"  # to the operator's admins
    EXPOSURE_MATCH = "exposure.match"  # a published advisory affects one's inventories
