"""An organisation's regulatory profile, as the clocks engine reads it."""

from __future__ import annotations

from clearinghouse.accounts.models import Organisation
from clearinghouse.clocks.model import OrgProfile, Role


def regulatory_profile(org: Organisation) -> OrgProfile:
    """Jurisdictions (its country included) and the regulatory roles the engine knows."""
    known = {r.value for r in Role}
    jurisdictions = set(org.jurisdictions or [])
    if org.country:
        jurisdictions.add(org.country)
    return OrgProfile(
        org.slug, org.name, jurisdictions, [r for r in org.regulatory_roles or [] if r in known]
    )
