"""Importing groups from CSV or XLSX (`code`, `name`, `tier`, `platform`, `region`, `capacity`, `owner`,
`created_at`), matched by `code`. An empty `created_at` keeps a group's creation time; an empty `tier` means
the default tier."""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from imports.checks import ChunkCheck, SeenKeys, check_table, start
from imports.report import ImportReport, quoted
from imports.stored import same_times, utc64, utc_naive
from imports.writing import (
    Spill,
    add_counts,
    bulk_load,
    db_datetime,
    db_datetimes,
    insert_rows,
    new_rows,
    update_rows,
    valid_batches,
)

from ..models import Group
from ..signals import send_groups_changed
from . import GROUPS
from .common import max_length, stored_rows


def groups_import(*, source, **options) -> ImportReport:
    """Check every row of a groups file, then create new groups and update changed ones (by `code`)."""
    begun = start("groups", source=source, **options)
    table, report, chunk_rows, now = begun.table, begun.report, begun.chunk_rows, begun.now
    progress, dry_run = begun.progress, report.dry_run
    present = set(table.header)
    users = dict(get_user_model().objects.values_list("username", "id"))

    def check_chunk(check: ChunkCheck, seen: SeenKeys) -> pd.DataFrame:
        out = pd.DataFrame(index=check.frame.index)
        check.required("code")
        check.max_length("code", max_length(Group, "code"))
        check.duplicates("code", seen)
        out["code"] = check.objects("code")
        check.required("name")
        check.max_length("name", max_length(Group, "name"))
        out["name"] = check.objects("name")
        out["tier"] = check.choice(
            "tier",
            Group.Tier.values,
            Group.Tier.DAILY,
            lambda v: (
                _("%(value)s is not a tier: %(choices)s")
                % {"value": quoted(v), "choices": ", ".join(Group.Tier.values)}
            ),
        )
        out["platform"] = check.choice(
            "platform",
            Group.Platform.values,
            Group.Platform.WECHAT,
            lambda v: (
                _("%(value)s is not a platform: %(choices)s")
                % {"value": quoted(v), "choices": ", ".join(Group.Platform.values)}
            ),
        )
        check.max_length("region", max_length(Group, "region"))
        out["region"] = check.objects("region")
        capacity = pd.Series(check.objects("capacity"), index=out.index)
        capacity = capacity.where(capacity != "", str(Group.DEFAULT_CAPACITY))
        digits = capacity.str.fullmatch(r"\d{1,10}").to_numpy(dtype=bool)
        number = np.where(digits, capacity.where(digits, "0").astype(np.int64), 0)
        check.fail(
            ~digits | (number < 1) | (number > Group.MAX_CAPACITY),
            "capacity",
            lambda v: _("%s is not a capacity: a whole number of at least 1") % quoted(v),
        )
        out["capacity"] = number
        out["owner_id"] = check.lookup("owner", users, lambda v: _("no user has the username %s") % quoted(v))
        out["created_at"] = check.datetimes("created_at")
        return out

    fields = [
        f for f in ("name", "tier", "platform", "region", "capacity", "owner_id") if f.removesuffix("_id") in present
    ]

    def plan(rows):
        existing = stored_rows(Group, "code", rows["code"].tolist(), ["id", *fields, "created_at"])
        matched = existing.reindex(rows["code"])
        is_new = matched["id"].isna().to_numpy()
        changed = np.zeros(len(rows), dtype=bool)
        for f in fields:
            stored = matched[f].to_numpy()
            incoming = rows[f].to_numpy()
            if f == "owner_id":
                stored = pd.Series(stored).fillna(0).astype(np.int64).to_numpy()
            elif f == "capacity":
                stored = pd.Series(stored).fillna(-1).astype(np.int64).to_numpy()
            changed |= stored != incoming
        if "created_at" in present:
            incoming = rows["created_at"].to_numpy()
            changed |= ~np.isnat(incoming) & ~same_times(utc64(matched["created_at"].to_numpy()), incoming)
        changed &= ~is_new
        return matched, is_new, changed

    updated: list[int] = []  # stored groups this import changed

    def write(rows, matched, is_new, changed):
        new = rows[is_new]
        created = new["created_at"].to_numpy()
        created = np.where(np.isnat(created), utc_naive(now), created)
        columns = {f: new[f].tolist() for f in ("code", "name", "tier", "platform", "region", "capacity")}
        columns["owner_id"] = [pk or None for pk in new["owner_id"].tolist()]
        columns["created_at"] = db_datetimes(created.astype("datetime64[us]"))
        columns["updated_at"] = db_datetime(now)
        insert_rows(Group, columns, now=now)
        upd = rows[changed]
        ids = matched["id"].to_numpy()[changed].astype(np.int64).tolist()
        set_columns = [*fields, "updated_at"]
        values = [upd[f].tolist() if f != "owner_id" else [pk or None for pk in upd[f].tolist()] for f in fields]
        values.append([db_datetime(now)] * len(upd))
        if "created_at" in present:
            # Only rows that name a creation time change it; the others keep theirs.
            stored = utc64(matched["created_at"].to_numpy()[changed])
            incoming = upd["created_at"].to_numpy()
            keep = np.isnat(incoming)
            set_columns.append("created_at")
            values.append(db_datetimes(np.where(keep, stored, incoming).astype("datetime64[us]")))
        update_rows(Group, set_columns, list(zip(*values, ids, strict=True)))
        updated.extend(ids)

    # Checked rows wait in a spill file, then are planned and written a checked chunk at a time.
    with Spill() as spill:
        bad = check_table(table, GROUPS, check_chunk, report, chunk_rows, progress, spill=spill)["bad"]
        bad = bad.to_numpy(dtype=bool)
        report.invalid = int(bad.sum())
        if not report.ok:
            return report
        batches = valid_batches(spill, bad)
        if dry_run:
            for rows in batches():
                add_counts(report, *plan(rows)[1:])
            return report
        with transaction.atomic():
            with bulk_load(Group, new_rows(Group, batches, len(bad) - report.invalid, _stored_count)):
                for rows in batches():
                    planned = plan(rows)
                    add_counts(report, *planned[1:])
                    write(rows, *planned)
            send_groups_changed(updated)  # written by SQL, not by Group.save: no post_save for them
        report.written = True
    return report


def _stored_count(rows: pd.DataFrame) -> int:
    return len(stored_rows(Group, "code", rows["code"].tolist(), ["id"]))
