"""Importing groups and members from CSV or XLSX files (the formats in docs/imports.md).

Both follow the same steps on the import pipeline (`imports`): read the file in chunks of strings and check
every row set-wise, then compare the valid rows with what is stored and write only what differs, with bulk
SQL in one transaction. Nothing is written when a row is bad (unless invalid rows are skipped) or in a dry
run; re-importing a file changes nothing, and an unchanged row is not touched at all.

A column the file does not have is left alone on existing rows (a file of `external_id,phone` updates
phones and nothing else). A column the file has is the truth, empty values included, except where
emptiness means "not known" (see each importer). `MembersConfig.ready()` registers both with
`imports.registry`.
"""

from imports.registry import TableSpec
from imports.report import ImportReport

GROUPS = TableSpec(
    columns=("code", "name", "tier", "platform", "region", "capacity", "owner", "created_at"),
    required=("code", "name"),
)

MEMBERS = TableSpec(
    columns=(
        "external_id", "name", "phone", "region", "store_name", "wechat_nickname", "cumulative_purchase",
        "last_active_at", "tags", "group", "joined_at", "status", "left_at", "reason", "referred_by",
    ),
    required=("external_id",),
)  # fmt: skip


# The registry (imports.registry) calls these; they import the importers, and pandas, on first use only,
# so that registering at start-up costs nothing.
def run_groups_import(**options) -> ImportReport:
    from .groups import groups_import

    return groups_import(**options)


def run_members_import(**options) -> ImportReport:
    from .members import members_import

    return members_import(**options)
