"""TLP 2.0: who may receive material at each level. One rule, asked by every domain that
marks what it shares (advisories, shared STIX objects, feeds); each domain says who is in
the audience and who is named, this module says what that entitles.

* TLP:CLEAR: anyone, signed in or not;
* TLP:GREEN: the community: every organisation on the platform in good standing;
* TLP:AMBER: the organisations in the material's audience;
* TLP:AMBER+STRICT: the organisations named for it, and no one through them;
* TLP:RED: the people named for it;
* an organisation under suspension receives TLP:CLEAR only.
"""

from __future__ import annotations

from clearinghouse.formats.model import Tlp
from clearinghouse.principal import Principal


def in_good_standing(principal: Principal) -> bool:
    """Signed in, for an organisation, and that organisation not suspended."""
    return principal.is_authenticated and principal.org_id is not None and not principal.suspended


def tlp_allows(
    principal: Principal, tlp: Tlp, *, audience: bool, named_org: bool, named_user: bool
) -> bool:
    """May ``principal`` receive material marked ``tlp``? ``audience``: its organisation is
    in the material's audience; ``named_org``: it is named; ``named_user``: the person is."""
    if tlp is Tlp.CLEAR:
        return True
    if not in_good_standing(principal):
        return False
    match tlp:
        case Tlp.GREEN:
            return True
        case Tlp.AMBER:
            return audience or named_org
        case Tlp.AMBER_STRICT:
            return named_org
        case Tlp.RED:
            return named_user
    return False  # pragma: no cover (match is exhaustive over Tlp)
