"""Importing members from CSV or XLSX, matched by `external_id`, with their tags, groups and referrers.

`group` gives the member an open, active membership in that group (created, or an invited one activated)
with `joined_at` (the import's time when the file has none); memberships in other groups are kept; an
empty `group` leaves a member's memberships alone. With `status` left or removed (退群 / 移出), the row
records the member's leaving that group instead, at `left_at`, with `reason`: their open membership there
ends, or, when none is open, the ended membership is added to the history (once: the same leaving imported
again changes nothing). The memberships opened and ended are announced once, on commit
(`members.signals.memberships_changed`). `referred_by` must name a member in the database or in
the same file, not the member itself. An empty `tags` clears the member's tags.
"""

from __future__ import annotations

from itertools import repeat

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from imports.checks import ChunkCheck, SeenKeys, check_table, start
from imports.report import ImportReport, RowError, quoted
from imports.stored import as_text, same_times, select_in, utc64, utc_naive
from imports.writing import (
    Spill,
    add_counts,
    bulk_load,
    db_datetime,
    db_datetimes,
    in_batches,
    insert_rows,
    new_rows,
    quote,
    update_rows,
    valid_batches,
)

from ..models import Group, Member, Membership, Tag
from ..phones import InvalidPhone, normalize_phone
from . import MEMBERS
from .common import max_length, stored_rows
from .leaving import (
    LEAVING_KEEP,
    announce_memberships,
    check_leaving,
    check_left_after_stored_joins,
    leaving_plan,
    write_leavings,
)


def members_import(*, source, **options) -> ImportReport:
    """Check every row of a members file, then create or update members (by `external_id`), their tags and groups."""
    begun = start("members", source=source, **options)
    table, report, chunk_rows, now = begun.table, begun.report, begun.chunk_rows, begun.now
    progress, skip_invalid, dry_run = begun.progress, report.skip_invalid, report.dry_run
    present = set(table.header)
    tags = dict(Tag.objects.values_list("code", "id"))
    groups = dict(Group.objects.values_list("code", "id"))

    def check_chunk(check: ChunkCheck, seen: SeenKeys) -> pd.DataFrame:
        out = pd.DataFrame(index=check.frame.index)
        check.required("external_id")
        check.max_length("external_id", max_length(Member, "external_id"))
        check.duplicates("external_id", seen)
        out["external_id"] = check.objects("external_id")
        for f in ("name", "region", "store_name", "wechat_nickname"):
            check.max_length(f, max_length(Member, f))
            out[f] = check.objects(f)
        out["phone"] = _check_phones(check)
        out["cumulative_purchase"] = check.money("cumulative_purchase")
        out["last_active_at"] = check.datetimes("last_active_at")
        out["tags"] = _check_tags(check, tags)
        out["group_id"] = check.lookup("group", groups, lambda v: _("no group has code %s") % quoted(v))
        joined_at = check.datetimes("joined_at")
        out["joined_at"] = joined_at
        check.fail(~np.isnat(joined_at) & check.empty("group"), "joined_at", _("joined_at needs a group"))
        out["status"], out["left_at"], out["reason"] = check_leaving(check, joined_at, now)
        out["referred_by"] = check.objects("referred_by")
        itself = (out["referred_by"] == out["external_id"]).to_numpy() & ~check.empty("referred_by")
        check.fail(itself, "referred_by", _("a member cannot refer themselves"))
        return out

    # Checked rows wait in a spill file; memory holds only what the whole-file checks need (keys, referrers).
    with Spill() as spill:
        keep = ("external_id", "referred_by") if "referred_by" in present else ()
        if "status" in present:
            keep = tuple(dict.fromkeys(("external_id", *keep, *LEAVING_KEEP)))
        slim = check_table(table, MEMBERS, check_chunk, report, chunk_rows, progress, spill=spill, keep=keep)
        if not len(slim):  # a header and nothing else
            report.written = not dry_run
            return report
        if "referred_by" in present:
            report.add_errors(_check_referrers(slim, skip_invalid))
        if "status" in present:
            report.add_errors(check_left_after_stored_joins(slim, _member_ids))
        report.errors.sort(key=lambda error: error.line)
        bad = slim["bad"].to_numpy(dtype=bool)
        del slim
        report.invalid = int(bad.sum())
        if not report.ok:
            return report
        fields = [
            f for f in ("name", "phone", "region", "store_name", "wechat_nickname", "cumulative_purchase")
            if f in present
        ]  # fmt: skip

        batches = valid_batches(spill, bad)
        if dry_run:
            for rows in batches():
                add_counts(report, *_plan(rows, fields, present, now)[1:3])
            return report
        with transaction.atomic():
            changes = {"joined": [], "ended": []}  # membership ids, announced once the import commits
            with bulk_load(Member, new_rows(Member, batches, len(bad) - report.invalid, _stored_count)):
                referrers = []  # per batch: (member id, referrer's external_id) of the rows to set
                for rows in batches():
                    matched, is_new, changed, tags_changed, memberships = _plan(rows, fields, present, now)
                    add_counts(report, is_new, changed)
                    _write_members(rows, matched, is_new, changed, fields, present, now)
                    member_ids = matched["id"].fillna(0).to_numpy(dtype=np.int64)
                    if is_new.any():
                        created = rows["external_id"][is_new]
                        member_ids[is_new] = _member_ids(created.tolist()).reindex(created).to_numpy(dtype=np.int64)
                    if "tags" in present:
                        _write_tags(rows, member_ids, tags_changed)
                    _write_memberships(memberships, member_ids, now, changes)
                    if "referred_by" in present:
                        todo = changed | (is_new & (rows["referred_by"] != "").to_numpy())
                        referrers.append((member_ids[todo], rows["referred_by"].to_numpy()[todo]))
                # Once every member of the file exists: a referrer may come later in the file.
                for member_ids, referred in referrers:
                    _write_referrers(member_ids, referred)
            announce_memberships(changes, now)
        report.written = True
    return report


def _plan(rows: pd.DataFrame, fields: list[str], present: set[str], now):
    """For a batch of valid rows: (stored values, is new, changed, tags changed, the membership plan)."""
    existing = stored_rows(
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
        changed |= ~same_times(utc64(matched["last_active_at"].to_numpy()), rows["last_active_at"].to_numpy())
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


def _stored_count(rows: pd.DataFrame) -> int:
    return len(_member_ids(rows["external_id"].tolist()))


def _write_referrers(member_ids: np.ndarray, referred: np.ndarray) -> None:
    """Set these members' referrers (by external_id, "" for none); every member of the file exists by now."""
    if not len(member_ids):
        return
    wanted = pd.unique(referred[referred != ""]).tolist()
    referrer_ids = _member_ids(wanted).reindex(referred).to_numpy()
    update_rows(
        Member,
        ["referred_by_id"],
        [(None if pd.isna(ref) else int(ref), int(pk)) for ref, pk in zip(referrer_ids, member_ids, strict=True)],
    )


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
    too_long = np.array([len(v) for v in result.tolist()]) > max_length(Member, "phone")
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
    pairs = select_in(f"SELECT {quote('external_id')}, {quote('id')} FROM {table}", quote("external_id"), external_ids)
    return pd.Series([pk for _e, pk in pairs], index=pd.Index([e for e, _pk in pairs], dtype=object), dtype=np.int64)


def _join_ids(pairs) -> dict:
    """[(owner, id), …] -> {owner: 'id1,id2,…'} with the ids sorted: a comparable text per owner."""
    grouped: dict = {}
    for owner, item in pairs:
        grouped.setdefault(owner, set()).add(item)
    return {owner: ",".join(str(i) for i in sorted(items)) for owner, items in grouped.items()}


def _stored_tags(member_ids: list[int]) -> pd.Series:
    through = quote(Member.tags.through._meta.db_table)
    pairs = select_in(f"SELECT {quote('member_id')}, {quote('tag_id')} FROM {through}", quote("member_id"), member_ids)
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
        f"{as_text(quote('joined_at'))}, {as_text(quote('left_at'))}, {quote('reason')} FROM {table}"
    )
    every = pd.DataFrame(
        select_in(select, quote("member_id"), known),
        columns=["member_id", "group_id", "id", "status", "joined_at", "left_at", "reason"],
    )
    is_open = every["status"].isin(list(Membership.OPEN_STATUSES)).to_numpy()
    stored = every[is_open].drop(columns=["left_at", "reason"])
    key = pd.MultiIndex.from_arrays([member_ids, plan["group_id"].to_numpy()])
    found = stored.set_index(["member_id", "group_id"]).reindex(key)
    has_group = (plan["group_id"] != 0).to_numpy()
    exists = found["id"].notna().to_numpy() & has_group
    incoming = plan["joined_at"].to_numpy()
    same_join = np.isnat(incoming) | same_times(utc64(found["joined_at"].to_numpy()), incoming)
    active = (found["status"] == Membership.Status.ACTIVE).to_numpy()
    plan.loc[has_group & ~exists, "action"] = "create"
    plan.loc[exists & ~(active & same_join), "action"] = "update"
    plan["membership_id"] = found["id"].fillna(0).astype(np.int64).to_numpy()
    plan["was_invited"] = exists & (found["status"] == Membership.Status.INVITED).to_numpy()
    stored_join = utc64(found["joined_at"].to_numpy())
    fallback = np.where(exists & ~np.isnat(stored_join), stored_join, utc_naive(now))
    plan["joined_at"] = np.where(np.isnat(incoming), fallback, incoming)
    if "status" in rows:
        leaving_plan(plan, rows, exists, stored_join, every[~is_open], member_ids)
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
        with bulk_load(through, len(pairs)):
            insert_rows(through, {"member_id": members, "tag_id": tags}, now=timezone.now())


def _write_memberships(plan: pd.DataFrame, member_ids, now, changes: dict) -> None:
    joined = db_datetimes(plan["joined_at"].to_numpy().astype("datetime64[us]"))
    action = plan["action"].to_numpy()
    group_ids = plan["group_id"].to_numpy()
    membership_ids = plan["membership_id"].to_numpy()
    create = action == "create"
    with bulk_load(Membership, int(create.sum())):
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
    if "was_invited" in plan:  # an invitation that became active is a join; a corrected joined_at is not
        changes["joined"].extend(membership_ids[update][plan["was_invited"].to_numpy()[update]].tolist())
    if "status" in plan:
        write_leavings(plan, member_ids, joined, now, changes)
