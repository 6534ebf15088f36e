"""Who may receive a message, on every channel: in-platform notifications, e-mail and
webhooks. Senders choose the recipients a message concerns (a case's participants, an
organisation's users); this decides, per recipient, whether it may leave the platform
for them. Asked by :mod:`clearinghouse.notify.gate`, which every channel goes through."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from clearinghouse.formats.model import Tlp
from clearinghouse.policy.core import Decision, noted
from clearinghouse.vocab import OrgKind


class Sensitivity(enum.StrEnum):
    """What a message carries, beyond what it says outright."""

    PUBLIC = "public"  # nothing that is not already public
    OWN_RECORD = "own-record"  # the recipient's own report, obligations or sanctions
    PRE_PUBLICATION = "pre-publication"  # a case or advisory not yet public (even its id)


@dataclass(frozen=True, slots=True)
class MessageFacts:
    """``tlp``: the marking of shared material the message carries (``None``: none).
    ``ref``: what it is about, as ``kind:uuid`` (a case, an invited participant), for the
    message channels to ask, when it leaves, whether its recipient still takes part."""

    sensitivity: Sensitivity
    tlp: Tlp | None = None
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class RecipientFacts:
    """The recipient's organisation (``None``: an address outside the platform, such as
    an invited vendor's) and whether it is suspended at the moment of sending."""

    org_id: uuid.UUID | None
    org_kind: OrgKind | None = None
    suspended: bool = False


DELIVER = "message.deliver"


def decide_delivery(recipient: RecipientFacts, message: MessageFacts) -> Decision:
    """ALLOW, or HIDDEN: the message is not sent to this recipient on any channel.

    A suspended organisation receives nothing pre-publication and no material marked
    beyond TLP:CLEAR (as the advisory and case rules decide for reads); its own record
    (its report's progress, its obligations and alerts, its sanctions) still reaches it,
    because its obligations run on regardless."""
    return noted(DELIVER, _decide(recipient, message))


def _decide(recipient: RecipientFacts, message: MessageFacts) -> Decision:
    if recipient.org_kind is OrgKind.OPERATOR or not recipient.suspended:
        return Decision.ALLOW
    if message.sensitivity is Sensitivity.OWN_RECORD:
        return Decision.ALLOW
    if message.sensitivity is Sensitivity.PRE_PUBLICATION:
        return Decision.HIDDEN
    if message.tlp is not None and message.tlp is not Tlp.CLEAR:
        return Decision.HIDDEN
    return Decision.ALLOW


def may_deliver(recipient: RecipientFacts, message: MessageFacts) -> bool:
    return decide_delivery(recipient, message) is Decision.ALLOW
