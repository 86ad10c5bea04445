"""Importing groups and members from CSV or XLSX files (DESIGN.md, "Stable interfaces").

Both follow the same steps: read the file in chunks of strings and check every row set-wise
(`communityops.tabular`), then compare the valid rows with what is stored and write only what differs,
with bulk SQL in one transaction. Nothing is written when a row is bad (unless invalid rows are skipped)
or in a dry run; re-importing a file changes nothing, and an unchanged row is not touched at all.

A column the file does not have is left alone on existing rows (a file of `external_id,phone` updates
phones and nothing else). A column the file has is the truth, empty values included: an empty `tags`
clears the member's tags, an empty `tier` means the default tier. Two exceptions, because emptiness there
means "not known" rather than "none": an empty `created_at` keeps a group's creation time, and an empty
`group` leaves a member's memberships alone.

Members: `group` gives the member an open, active membership in that group (created, or an invited one
activated) with `joined_at` (the import's time when the file has none); memberships in other groups are
kept. `referred_by` must name a member in the database or in the same file, not the member itself.

`import_file(kind=…, source=…)` is the entry point for code that imports (the pages, the task, demo data).
"""

from __future__ import annotations

import datetime as dt
import logging
from itertools import repeat
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from communityops.tabular import (
    ChunkCheck,
    ImportFileError,
    ImportReport,
    RowError,
    SeenKeys,
    TableSpec,
    chunk_rows_setting,
    db_datetime,
    db_datetimes,
    in_batches,
    insert_rows,
    open_table,
    quote,
    quoted,
    sqlite_bulk_load,
    update_rows,
)

from .models import Group, ImportJob, Member, Membership, Tag
from .phones import InvalidPhone, normalize_phone

logger = logging.getLogger(__name__)

IMPORTERS = {
    "groups": "members.importers.groups_import",
    "members": "members.importers.members_import",
    "orders": "campaigns.importers.orders_import",  # campaigns owns orders; named, not imported, here
}

GROUPS = TableSpec(
    columns=("code", "name", "tier", "platform", "region", "capacity", "owner", "created_at"),
    required=("code", "name"),
)
MEMBERS = TableSpec(
    columns=(
        "external_id", "name", "phone", "region", "store_name", "wechat_nickname", "cumulative_purchase",
        "last_active_at", "tags", "group", "joined_at", "referred_by",
    ),
    required=("external_id",),
)  # fmt: skip

_INT_MAX = 2_147_483_647
# Creating at least this many rows (and at least as many as the table holds) rebuilds the table's
# indexes once instead of updating them row by row (SQLite only; see communityops.tabular.sqlite_bulk_load).
BULK_LOAD_MIN_ROWS = 50_000


def import_file(*, kind: str, source, **options) -> ImportReport:
    """Import a groups, members or orders file (path, binary file object or DataFrame); see the importers."""
    try:
        importer = IMPORTERS[kind]
    except KeyError:
        raise ValueError(f"unknown import kind {kind!r}; expected one of {', '.join(IMPORTERS)}") from None
    return import_string(importer)(source=source, **options)


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _read(table, spec: TableSpec, check_chunk, report: ImportReport, chunk_rows: int, progress) -> pd.DataFrame:
    """Check every chunk; return all rows (a `bad` column marks invalid ones) with their parsed values."""
    spec.check_header(table.header)
    seen = SeenKeys()
    frames = []
    for frame in table.chunks(chunk_rows):
        check = ChunkCheck(frame)
        parsed = check_chunk(check, seen)
        parsed["bad"] = check.bad
        frames.append(parsed)
        report.rows += len(frame)
        report.add_errors(check.errors())
        if progress:
            progress(report.rows, max(report.rows, table.rows_estimate))
    if not frames:
        return pd.DataFrame(columns=["bad"])
    return pd.concat(frames)


def _select_in(select: str, column: str, keys: list) -> list[tuple]:
    """Raw `SELECT … WHERE column IN (…)` in batches: no model instances, no per-value field preparation
    (the ORM spends ~60 µs a value preparing a 5,000-value IN list)."""
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        for batch in in_batches(keys):
            cursor.execute(f"{select} WHERE {column} IN ({', '.join(['%s'] * len(batch))})", list(batch))
            rows.extend(cursor.fetchall())
    return rows


def _as_text(column: str) -> str:
    """A datetime column as stored text on SQLite (parsed column-wise later), as is elsewhere."""
    return f"CAST({column} AS TEXT)" if connection.vendor == "sqlite" else column


def _existing(model, key: str, keys: list[str], fields: list[str]) -> pd.DataFrame:
    """Stored rows of `model` whose `key` is in `keys`: the key as index, `fields` (column names) as columns.

    'referred_by__external_id' names the referrer's external_id. Datetimes may come back as text (SQLite)
    and money as float (SQLite) or Decimal: compare them through _utc64 and a 2-decimal format.
    """
    table = quote(model._meta.db_table)
    columns = []
    for name in fields:
        if name == "referred_by__external_id":
            columns.append(f"r.{quote('external_id')}")
        elif model._meta.get_field(name).get_internal_type() == "DateTimeField":
            columns.append(_as_text(f"t.{quote(name)}"))
        else:
            columns.append(f"t.{quote(name)}")
    join = (
        f" LEFT JOIN {table} r ON r.{quote('id')} = t.{quote('referred_by_id')}"
        if "referred_by__external_id" in fields
        else ""
    )
    select = f"SELECT t.{quote(key)}, {', '.join(columns)} FROM {table} t{join}"
    if not model.objects.exists():
        rows = []
    else:
        rows = _select_in(select, f"t.{quote(key)}", keys)
    return pd.DataFrame(rows, columns=[key, *fields], dtype=object).set_index(key)


def _utc64(values) -> np.ndarray:
    """Stored aware datetimes as UTC datetime64[us] (NaT for None), to compare with parsed file values."""
    series = pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601")
    return series.dt.tz_localize(None).to_numpy().astype("datetime64[us]")


def _utc_naive(moment) -> np.datetime64:
    return np.datetime64(moment.astimezone(dt.UTC).replace(tzinfo=None), "us")


def _same_times(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == b) | (np.isnat(a) & np.isnat(b))


# ---------------------------------------------------------------------------------------------- groups


def groups_import(
    *,
    source,
    name: str | None = None,
    skip_invalid: bool = False,
    dry_run: bool = False,
    chunk_rows: int | None = None,
    progress=None,
    now=None,
) -> ImportReport:
    """Check every row of a groups file, then create new groups and update changed ones (by `code`)."""
    now = now or timezone.now()
    chunk_rows = chunk_rows or chunk_rows_setting()
    report = ImportReport(kind="groups", dry_run=dry_run, skip_invalid=skip_invalid)
    table = open_table(source, name=name)
    present = set(table.header)
    users = dict(get_user_model().objects.values_list("username", "id"))

    def check_chunk(check: ChunkCheck, seen: SeenKeys) -> pd.DataFrame:
        out = pd.DataFrame(index=check.frame.index)
        check.required("code")
        check.max_length("code", _max_length(Group, "code"))
        check.duplicates("code", seen)
        out["code"] = check.objects("code")
        check.required("name")
        check.max_length("name", _max_length(Group, "name"))
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
        check.max_length("region", _max_length(Group, "region"))
        out["region"] = check.objects("region")
        capacity = pd.Series(check.objects("capacity"), index=out.index)
        capacity = capacity.where(capacity != "", str(Group.DEFAULT_CAPACITY))
        digits = capacity.str.fullmatch(r"\d{1,10}").to_numpy(dtype=bool)
        number = np.where(digits, capacity.where(digits, "0").astype(np.int64), 0)
        check.fail(
            ~digits | (number < 1) | (number > _INT_MAX),
            "capacity",
            lambda v: _("%s is not a capacity: a whole number of at least 1") % quoted(v),
        )
        out["capacity"] = number
        out["owner_id"] = check.lookup("owner", users, lambda v: _("no user has the username %s") % quoted(v))
        out["created_at"] = check.datetimes("created_at")
        return out

    rows = _read(table, GROUPS, check_chunk, report, chunk_rows, progress)
    if not len(rows):  # a header and nothing else
        report.written = not dry_run
        return report
    report.invalid = int(rows["bad"].sum())
    if not report.ok:
        return report
    rows = rows[~rows["bad"]]
    fields = [
        f for f in ("name", "tier", "platform", "region", "capacity", "owner_id") if f.removesuffix("_id") in present
    ]

    def plan():
        existing = _existing(Group, "code", rows["code"].tolist(), ["id", *fields, "created_at"])
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
            changed |= ~np.isnat(incoming) & ~_same_times(_utc64(matched["created_at"].to_numpy()), incoming)
        changed &= ~is_new
        return matched, is_new, changed

    def write(matched, is_new, changed):
        new = rows[is_new]
        created = new["created_at"].to_numpy()
        created = np.where(np.isnat(created), _utc_naive(now), created)
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
            stored = _utc64(matched["created_at"].to_numpy()[changed])
            incoming = upd["created_at"].to_numpy()
            keep = np.isnat(incoming)
            set_columns.append("created_at")
            values.append(db_datetimes(np.where(keep, stored, incoming).astype("datetime64[us]")))
        update_rows(Group, set_columns, list(zip(*values, ids, strict=True)))

    return _plan_and_write(Group, report, plan, write, dry_run)


def _plan_and_write(model, report: ImportReport, plan, write, dry_run: bool) -> ImportReport:
    """Count (and unless dry_run, write) inside one transaction, so the counts are those written."""
    if dry_run:
        matched, is_new, changed = plan()[:3]
        _count(report, is_new, changed)
        return report
    with transaction.atomic():
        planned = plan()
        _count(report, planned[1], planned[2])
        stored = model.objects.count()
        with sqlite_bulk_load(model, drop_indexes=report.created >= max(stored, BULK_LOAD_MIN_ROWS)):
            write(*planned)
    report.written = True
    return report


def _count(report: ImportReport, is_new: np.ndarray, changed: np.ndarray) -> None:
    report.created = int(is_new.sum())
    report.updated = int(changed.sum())
    report.unchanged = len(is_new) - report.created - report.updated


# ---------------------------------------------------------------------------------------------- members


def members_import(
    *,
    source,
    name: str | None = None,
    skip_invalid: bool = False,
    dry_run: bool = False,
    chunk_rows: int | None = None,
    progress=None,
    now=None,
) -> ImportReport:
    """Check every row of a members file, then create or update members (by `external_id`), their tags and groups."""
    now = now or timezone.now()
    chunk_rows = chunk_rows or chunk_rows_setting()
    report = ImportReport(kind="members", dry_run=dry_run, skip_invalid=skip_invalid)
    table = open_table(source, name=name)
    present = set(table.header)
    tags = dict(Tag.objects.values_list("code", "id"))
    groups = dict(Group.objects.values_list("code", "id"))

    def check_chunk(check: ChunkCheck, seen: SeenKeys) -> pd.DataFrame:
        out = pd.DataFrame(index=check.frame.index)
        check.required("external_id")
        check.max_length("external_id", _max_length(Member, "external_id"))
        check.duplicates("external_id", seen)
        out["external_id"] = check.objects("external_id")
        for f in ("name", "region", "store_name", "wechat_nickname"):
            check.max_length(f, _max_length(Member, f))
            out[f] = check.objects(f)
        out["phone"] = _check_phones(check)
        out["cumulative_purchase"] = check.money("cumulative_purchase")
        out["last_active_at"] = check.datetimes("last_active_at")
        out["tags"] = _check_tags(check, tags)
        out["group_id"] = check.lookup("group", groups, lambda v: _("no group has code %s") % quoted(v))
        joined_at = check.datetimes("joined_at")
        out["joined_at"] = joined_at
        check.fail(~np.isnat(joined_at) & check.empty("group"), "joined_at", _("joined_at needs a group"))
        out["referred_by"] = check.objects("referred_by")
        itself = (out["referred_by"] == out["external_id"]).to_numpy() & ~check.empty("referred_by")
        check.fail(itself, "referred_by", _("a member cannot refer themselves"))
        return out

    rows = _read(table, MEMBERS, check_chunk, report, chunk_rows, progress)
    if not len(rows):  # a header and nothing else
        report.written = not dry_run
        return report
    if "referred_by" in present and len(rows):
        report.add_errors(_check_referrers(rows, skip_invalid))
        report.errors.sort(key=lambda error: error.line)
    report.invalid = int(rows["bad"].sum())
    if not report.ok:
        return report
    rows = rows[~rows["bad"]]
    fields = [
        f for f in ("name", "phone", "region", "store_name", "wechat_nickname", "cumulative_purchase") if f in present
    ]

    def plan():
        existing = _existing(
            Member,
            "external_id",
            rows["external_id"].tolist(),
            ["id", *fields, "last_active_at", "referred_by__external_id"],
        )
        matched = existing.reindex(rows["external_id"])
        is_new = matched["id"].isna().to_numpy()
        member_ids = matched["id"].fillna(0).astype(np.int64).to_numpy()
        changed = np.zeros(len(rows), dtype=bool)
        for f in fields:
            stored = matched[f]
            if f == "cumulative_purchase":
                stored = stored.map(lambda d: "" if pd.isna(d) else f"{d:.2f}")
            changed |= stored.fillna("").to_numpy() != rows[f].to_numpy()
        if "last_active_at" in present:
            changed |= ~_same_times(_utc64(matched["last_active_at"].to_numpy()), rows["last_active_at"].to_numpy())
        if "referred_by" in present:
            changed |= matched["referred_by__external_id"].fillna("").to_numpy() != rows["referred_by"].to_numpy()
        known = member_ids[~is_new].tolist()
        tags_changed = np.zeros(len(rows), dtype=bool)
        if "tags" in present:
            stored_tags = _stored_tags(known)
            tags_changed = stored_tags.reindex(member_ids).fillna("").to_numpy() != rows["tags"].to_numpy()
            tags_changed &= ~is_new | (rows["tags"] != "").to_numpy()
        memberships = _membership_plan(rows, member_ids, is_new, known, now)
        changed |= tags_changed | (memberships["action"] != "").to_numpy()
        changed &= ~is_new
        return matched, is_new, changed, tags_changed, memberships

    def write(matched, is_new, changed, tags_changed, memberships):
        _write_members(rows, matched, is_new, changed, fields, present, now)
        ids = _member_ids(rows["external_id"].tolist())
        member_ids = ids.reindex(rows["external_id"]).to_numpy(dtype=np.int64)
        if "referred_by" in present:
            referrer_ids = ids.reindex(rows["referred_by"]).to_numpy()
            todo = changed | (is_new & (rows["referred_by"] != "").to_numpy())
            missing = pd.isna(referrer_ids) & todo & (rows["referred_by"] != "").to_numpy()
            if missing.any():  # referrers that are in the database but not in the file
                outside = _member_ids(rows["referred_by"][missing].unique().tolist())
                referrer_ids = np.where(
                    pd.isna(referrer_ids), outside.reindex(rows["referred_by"]).to_numpy(), referrer_ids
                )
            update_rows(
                Member,
                ["referred_by_id"],
                [
                    (None if pd.isna(ref) else int(ref), int(pk))
                    for ref, pk in zip(referrer_ids[todo], member_ids[todo], strict=True)
                ],
            )
        if "tags" in present:
            _write_tags(rows, member_ids, tags_changed)
        _write_memberships(memberships, member_ids, now)

    return _plan_and_write(Member, report, plan, write, dry_run)


def _check_phones(check: ChunkCheck) -> np.ndarray:
    """Phones in E.164 (each distinct value parsed once); values that are not phone numbers fail."""
    values = check.objects("phone")
    normalised: dict[str, str] = {}
    for raw in pd.unique(values):
        try:
            normalised[raw] = normalize_phone(raw)
        except InvalidPhone:
            normalised[raw] = "!"
    result = np.array([normalised[v] for v in values.tolist()], dtype=object)
    check.fail(result == "!", "phone", lambda v: _("%s is not a phone number") % quoted(v))
    too_long = np.array([len(v) for v in result.tolist()]) > _max_length(Member, "phone")
    check.fail(too_long & (result != "!"), "phone", _("the phone number is too long"))
    result[result == "!"] = ""
    return result


def _check_tags(check: ChunkCheck, tag_ids: dict[str, int]) -> pd.Series:
    """Tags as sorted, comma-joined tag ids ('' for none); unknown codes are errors."""
    values = pd.Series(check.objects("tags"), index=check.frame.index)
    result = pd.Series("", index=values.index, dtype=object)
    filled = values[values != ""]
    if filled.empty:
        return result
    codes = filled.str.split(r"[;；]", regex=True).explode().str.strip()
    codes = codes[codes != ""]
    found = np.fromiter(map(tag_ids.get, codes.tolist(), repeat(0)), dtype=np.int64, count=len(codes))
    unknown = codes[found == 0]
    if len(unknown):
        listed = unknown.groupby(level=0).agg(lambda s: ", ".join(dict.fromkeys(s)))
        mask = values.index.isin(listed.index)
        messages = np.full(len(values), "", dtype=object)
        messages[mask] = [_("unknown tag code(s) %s: add them to the codebook first") % quoted(text)
                          for text in listed.reindex(values.index[mask]).tolist()]  # fmt: skip
        check.fail(mask, "tags", messages)
    joined = _join_ids(zip(codes.index[found != 0].tolist(), found[found != 0].tolist(), strict=True))
    result.loc[list(joined.keys())] = list(joined.values())
    return result


def _check_referrers(rows: pd.DataFrame, skip_invalid: bool) -> list[RowError]:
    """Referrers must exist in the database or in the file; with skip_invalid, not on a skipped line."""
    errors = []
    referred = rows["referred_by"]
    wanted = referred[(referred != "") & ~rows["bad"]]
    in_file = pd.Index(rows["external_id"].to_numpy(), dtype=object)
    outside = wanted[~wanted.isin(in_file)].unique().tolist()
    in_db = set(_member_ids(outside).index)
    unknown = (referred != "") & ~referred.isin(in_file) & ~referred.isin(in_db) & ~rows["bad"]
    for line, value in referred[unknown].items():
        errors.append(
            RowError(int(line), "referred_by", _("no member has external_id %s (here or in the file)") % quoted(value))
        )
    rows.loc[unknown, "bad"] = True
    if skip_invalid:
        # A referrer on a skipped line will not exist; that makes the referring row invalid too (and so on).
        line_of = pd.Series(rows.index.to_numpy(), index=rows["external_id"].to_numpy())
        line_of = line_of[~line_of.index.duplicated()]
        while True:
            bad_ids = pd.Index(rows.loc[rows["bad"], "external_id"].to_numpy(), dtype=object)
            cascade = (referred != "") & referred.isin(bad_ids) & ~referred.isin(in_db) & ~rows["bad"]
            if not cascade.any():
                break
            for line, value in referred[cascade].items():
                errors.append(
                    RowError(
                        int(line),
                        "referred_by",
                        _("the referrer %(id)s is on line %(line)d, which is invalid")
                        % {"id": quoted(value), "line": int(line_of[value])},
                    )
                )
            rows.loc[cascade, "bad"] = True
    return errors


def _member_ids(external_ids: list[str]) -> pd.Series:
    table = quote(Member._meta.db_table)
    pairs = _select_in(f"SELECT {quote('external_id')}, {quote('id')} FROM {table}", quote("external_id"), external_ids)
    return pd.Series([pk for _e, pk in pairs], index=pd.Index([e for e, _pk in pairs], dtype=object), dtype=np.int64)


def _join_ids(pairs) -> dict:
    """[(owner, id), …] -> {owner: 'id1,id2,…'} with the ids sorted: a comparable text per owner."""
    grouped: dict = {}
    for owner, item in pairs:
        grouped.setdefault(owner, set()).add(item)
    return {owner: ",".join(str(i) for i in sorted(items)) for owner, items in grouped.items()}


def _stored_tags(member_ids: list[int]) -> pd.Series:
    through = quote(Member.tags.through._meta.db_table)
    pairs = _select_in(f"SELECT {quote('member_id')}, {quote('tag_id')} FROM {through}", quote("member_id"), member_ids)
    joined = _join_ids(pairs)
    return pd.Series(list(joined.values()), index=list(joined.keys()), dtype=object)


def _membership_plan(rows, member_ids, is_new, known, now) -> pd.DataFrame:
    """Per row: '' (nothing to do), 'create', or 'update' an open membership in the named group."""
    plan = pd.DataFrame(
        {"group_id": rows["group_id"].to_numpy(), "joined_at": rows["joined_at"].to_numpy(), "action": ""},
        index=rows.index,
    )
    plan["membership_id"] = 0
    if "group_id" not in rows or not (plan["group_id"] != 0).any():
        return plan
    table = quote(Membership._meta.db_table)
    select = (
        f"SELECT {quote('member_id')}, {quote('group_id')}, {quote('id')}, {quote('status')}, "
        f"{_as_text(quote('joined_at'))} FROM {table}"
    )
    stored = [row for row in _select_in(select, quote("member_id"), known) if row[3] in Membership.OPEN_STATUSES]
    stored = pd.DataFrame(stored, columns=["member_id", "group_id", "id", "status", "joined_at"])
    key = pd.MultiIndex.from_arrays([member_ids, plan["group_id"].to_numpy()])
    found = stored.set_index(["member_id", "group_id"]).reindex(key)
    has_group = (plan["group_id"] != 0).to_numpy()
    exists = found["id"].notna().to_numpy() & has_group
    incoming = plan["joined_at"].to_numpy()
    same_join = np.isnat(incoming) | _same_times(_utc64(found["joined_at"].to_numpy()), incoming)
    active = (found["status"] == Membership.Status.ACTIVE).to_numpy()
    plan.loc[has_group & ~exists, "action"] = "create"
    plan.loc[exists & ~(active & same_join), "action"] = "update"
    plan["membership_id"] = found["id"].fillna(0).astype(np.int64).to_numpy()
    stored_join = _utc64(found["joined_at"].to_numpy())
    fallback = np.where(exists & ~np.isnat(stored_join), stored_join, _utc_naive(now))
    plan["joined_at"] = np.where(np.isnat(incoming), fallback, incoming)
    return plan


def _write_members(rows, matched, is_new, changed, fields, present, now) -> None:
    stamp = db_datetime(now)
    new = rows[is_new]
    columns = {f: new[f].tolist() for f in ["external_id", *fields]}
    columns.update(created_at=stamp, updated_at=stamp)
    if "last_active_at" in present:
        columns["last_active_at"] = db_datetimes(new["last_active_at"].to_numpy())
    insert_rows(Member, columns, now=now)
    upd = rows[changed]
    ids = matched["id"].to_numpy()[changed].astype(np.int64).tolist()
    columns = [*fields, "updated_at"]
    values = [upd[f].tolist() for f in fields] + [[stamp] * len(upd)]
    if "last_active_at" in present:
        columns.append("last_active_at")
        values.append(db_datetimes(upd["last_active_at"].to_numpy()))
    update_rows(Member, columns, list(zip(*values, ids, strict=True)))


def _bulk(model, new_rows: int):
    """sqlite_bulk_load for a table receiving `new_rows`: rebuild its indexes when that at least doubles it."""
    return sqlite_bulk_load(model, drop_indexes=new_rows >= max(model.objects.count(), BULK_LOAD_MIN_ROWS))


def _write_tags(rows, member_ids, tags_changed) -> None:
    through = Member.tags.through
    todo = member_ids[tags_changed].tolist()
    with connection.cursor() as cursor:
        for batch in in_batches(todo):
            cursor.execute(
                f"DELETE FROM {quote(through._meta.db_table)} "
                f"WHERE {quote('member_id')} IN ({', '.join(['%s'] * len(batch))})",
                list(batch),
            )
    pairs = [
        (member_id, int(tag_id))
        for member_id, text in zip(todo, rows["tags"].to_numpy()[tags_changed].tolist(), strict=True)
        if text
        for tag_id in text.split(",")
    ]
    if pairs:
        members, tags = zip(*pairs, strict=True)
        with _bulk(through, len(pairs)):
            insert_rows(through, {"member_id": members, "tag_id": tags}, now=timezone.now())


def _write_memberships(plan: pd.DataFrame, member_ids, now) -> None:
    joined = db_datetimes(plan["joined_at"].to_numpy().astype("datetime64[us]"))
    action = plan["action"].to_numpy()
    group_ids = plan["group_id"].to_numpy()
    membership_ids = plan["membership_id"].to_numpy()
    create = action == "create"
    with _bulk(Membership, int(create.sum())):
        insert_rows(
            Membership,
            {
                "member_id": member_ids[create].tolist(),
                "group_id": group_ids[create].tolist(),
                "status": Membership.Status.ACTIVE.value,
                "joined_at": [day for day, new in zip(joined, create.tolist(), strict=True) if new],
                "created_at": db_datetime(now),
            },
            now=now,
        )
    update = np.flatnonzero(action == "update").tolist()
    update_rows(
        Membership,
        ["status", "joined_at"],
        [(Membership.Status.ACTIVE.value, joined[i], int(membership_ids[i])) for i in update],
    )


# ---------------------------------------------------------------------------------------------- import jobs
# The browser flow: upload -> validate (a dry run) -> show the report -> confirm -> import. A job's row is
# the truth about where it is; each step claims it with a conditional status update, so a task delivered
# twice (or a double click) runs a step once.


def _job_source(job: ImportJob):
    try:
        return job.file.path
    except NotImplementedError:  # a storage without local paths
        return job.file.open("rb")


def _job_progress(job_id: int):
    def progress(done: int, total: int) -> None:
        # Called between chunks, outside the import's transaction: on SQLite no write lock is held then.
        ImportJob.objects.filter(pk=job_id).update(rows_done=done, rows_total=total)

    return progress


def import_job_create(*, kind: str, upload, skip_invalid: bool, created_by, language: str = "") -> ImportJob:
    """Store an uploaded file as a pending import job."""
    job = ImportJob(kind=kind, original_name=upload.name[:255], skip_invalid=skip_invalid, created_by=created_by)
    job.report = {"language": language} if language else {}
    job.file.save(Path(upload.name).name, upload, save=False)
    job.full_clean()
    job.save()
    return job


def _run_step(job: ImportJob, *, dry_run: bool, claim_from: str, claim_to: str, done: str) -> ImportJob | None:
    claimed = ImportJob.objects.filter(pk=job.pk, status=claim_from).update(status=claim_to, rows_done=0)
    if not claimed:
        return None  # someone else has it, or it is past this step
    job.refresh_from_db()
    language = job.report.get("language") or translation.get_language()
    previous = {key: job.report[key] for key in ("language", "confirmed_at") if key in job.report}
    with translation.override(language):
        try:
            report = import_file(
                kind=job.kind,
                source=_job_source(job),
                name=job.original_name,
                skip_invalid=job.skip_invalid,
                dry_run=dry_run,
                progress=_job_progress(job.pk),
            )
        except ImportFileError as exc:
            failed = ImportReport(kind=job.kind, dry_run=dry_run, skip_invalid=job.skip_invalid)
            failed.add_errors(exc.errors)
            failed.invalid = 0
            report, status = failed, ImportJob.Status.FAILED
            report_dict = {**failed.to_dict(), "file_error": True}
        except Exception as exc:
            logger.exception("import job %s failed", job.pk)
            report_dict = {"kind": job.kind, "crash": f"{type(exc).__name__}: {exc}"}
            status = ImportJob.Status.FAILED
            report = None
        else:
            report_dict = report.to_dict()
            if dry_run:
                status = ImportJob.Status.VALIDATED
            else:
                status = ImportJob.Status.DONE if report.written else ImportJob.Status.FAILED
    finished = timezone.now() if status in (ImportJob.Status.DONE, ImportJob.Status.FAILED) else None
    rows = report.rows if report is not None else job.rows_done
    ImportJob.objects.filter(pk=job.pk, status=claim_to).update(
        status=status,
        report={**report_dict, **previous, "step": done},
        rows_done=rows,
        rows_total=rows,
        finished_at=finished,
    )
    job.refresh_from_db()
    return job


def import_job_validate(*, job: ImportJob) -> ImportJob | None:
    """Check every row of the job's file (a dry run) and keep the report; None if the job was not pending."""
    return _run_step(
        job,
        dry_run=True,
        claim_from=ImportJob.Status.PENDING,
        claim_to=ImportJob.Status.VALIDATING,
        done="validated",
    )


def import_job_confirm(*, job: ImportJob, skip_invalid: bool) -> bool:
    """Record the user's go-ahead (and their choice about invalid rows); False if it cannot be imported."""
    report = ImportReport.from_dict(job.report)
    if job.status != ImportJob.Status.VALIDATED or "confirmed_at" in job.report:
        return False
    if report.invalid and not skip_invalid:
        return False
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.VALIDATED).update(
        skip_invalid=skip_invalid, report={**job.report, "confirmed_at": timezone.now().isoformat()}
    )
    job.refresh_from_db()
    return bool(updated)


def import_job_run(*, job: ImportJob) -> ImportJob | None:
    """Import the job's file for real; None if the job was not validated (already running or done)."""
    return _run_step(
        job,
        dry_run=False,
        claim_from=ImportJob.Status.VALIDATED,
        claim_to=ImportJob.Status.IMPORTING,
        done="imported",
    )


def import_job_runs_inline(job: ImportJob) -> bool:
    """Small files are checked and imported inside the request; larger ones by a Celery task."""
    return job.file.size <= settings.IMPORT_INLINE_MAX_BYTES
