"""Imports every domain's tables so that ``Base.metadata`` is complete (Alembic, tests)."""

from clearinghouse.accounts import models as accounts_models
from clearinghouse.advisories import models as advisories_models
from clearinghouse.audit import models as audit_models
from clearinghouse.cases import models as cases_models
from clearinghouse.db import Base
from clearinghouse.exposure import models as exposure_models
from clearinghouse.incidents import models as incidents_models
from clearinghouse.jobs import models as jobs_models
from clearinghouse.notify import models as notify_models
from clearinghouse.sharing import models as sharing_models
from clearinghouse.standing import models as standing_models

__all__ = [
    "Base",
    "accounts_models",
    "advisories_models",
    "audit_models",
    "cases_models",
    "exposure_models",
    "incidents_models",
    "jobs_models",
    "notify_models",
    "sharing_models",
    "standing_models",
]
