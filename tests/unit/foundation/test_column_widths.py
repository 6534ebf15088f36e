"""Columns are as wide as the longest value the rules let through to them, read from the
tables themselves (``Base.metadata``), so that a column narrowed or a rule widened fails
here rather than as a DataError on PostgreSQL (SQLite never checks a length)."""

from __future__ import annotations

from sqlalchemy import String, Table

from clearinghouse.accounts.addresses import MAX_LENGTH as ADDRESS_MAX
from clearinghouse.advisories.index import OSV_PRIVATE_PREFIX
from clearinghouse.advisories.models import Advisory, AdvisoryIdentifier, AdvisoryPackage
from clearinghouse.advisories.schemas import VulnerabilityIn
from clearinghouse.audit.models import AuditEntry
from clearinghouse.cases.models import Participant, Report, VendorStatusRecord
from clearinghouse.cases.rules import reports, vendor_status
from clearinghouse.db import string_limits
from clearinghouse.models import Base

# who acted: a member's address, or an invited vendor's with this note after it
LONGEST_LABEL = ADDRESS_MAX + len(" (invitation)")


def _columns() -> list[tuple[Table, str, int]]:
    return [
        (table, column.name, column.type.length)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, String) and column.type.length is not None
    ]


def test_every_label_column_holds_the_longest_label() -> None:
    labels = [(t.name, c, n) for t, c, n in _columns() if c.endswith("_label")]
    assert len(labels) >= 20
    assert [x for x in labels if x[2] < LONGEST_LABEL] == []


def test_every_address_column_holds_the_longest_address() -> None:
    addresses = [(t.name, c, n) for t, c, n in _columns() if c in ("email", "contact_email")]
    assert len(addresses) >= 5
    assert [x for x in addresses if x[2] < ADDRESS_MAX] == []
    # a vendor invited by address is named by it
    assert string_limits(Participant)["name"] >= ADDRESS_MAX


def test_report_columns_hold_what_the_report_rules_allow() -> None:
    limits = string_limits(Report)
    shared = sorted(set(limits) & set(reports.LIMITS))
    assert len(shared) >= 6
    assert {
        k: (reports.LIMITS[k], limits[k]) for k in shared if limits[k] < reports.LIMITS[k]
    } == {}


def test_a_vendor_status_column_holds_the_fixed_version_the_rules_allow() -> None:
    assert string_limits(VendorStatusRecord)["fixed_version"] >= vendor_status.FIXED_VERSION_MAX


def test_the_advisory_index_holds_the_ids_a_draft_may_give() -> None:
    """A local vulnerability's OSV record id is its id with the private prefix."""
    record_id = len(OSV_PRIVATE_PREFIX) + 100  # VulnerabilityIn.id: at most 100
    schema = VulnerabilityIn.model_json_schema()["properties"]
    assert schema["id"]["anyOf"][0]["maxLength"] == 100
    assert string_limits(AdvisoryPackage)["record_id"] >= record_id
    assert string_limits(AdvisoryIdentifier)["record_id"] >= record_id
    assert schema["cve"]["anyOf"][0]["maxLength"] <= string_limits(AdvisoryIdentifier)["identifier"]


def test_the_audit_log_holds_every_public_id_it_names() -> None:
    assert string_limits(AuditEntry)["object_id"] >= string_limits(Advisory)["public_id"]
