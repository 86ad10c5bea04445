"""The members import's leavings: rows whose `status` is left or removed (退群 / 移出) record that the member
left the row's group at `left_at`, with `reason`. Checked with the rest of the row (chunk by chunk), then
against the stored joins (a whole-file check), planned and written with the batch's memberships.

The rules are the services' (`members.services.membership_end`): a leaving needs its date, which is not before
the join; an active row has neither a leaving date nor a reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from core.dates import zone
from imports.checks import ChunkCheck
from imports.report import RowError, quoted
from imports.stored import as_text, select_in, utc64, utc_naive
from imports.writing import bulk_load, db_datetime, db_datetimes, insert_rows, quote, update_rows

from ..models import Membership
from ..signals import send_memberships_changed
from .common import max_length

ACTIVE, LEFT, REMOVED = (Membership.Status.ACTIVE.value, Membership.Status.LEFT.value, Membership.Status.REMOVED.value)
# What a team's spreadsheet says, lower-cased, to the status it means ("" is active: the file's default).
STATUS_WORDS = {
    "": "", ACTIVE: ACTIVE, "在群": ACTIVE, "正常": ACTIVE, "已入群": ACTIVE,
    LEFT: LEFT, "退群": LEFT, "已退群": LEFT, "主动退群": LEFT, "离开": LEFT,
    REMOVED: REMOVED, "移出": REMOVED, "已移出": REMOVED, "被移出": REMOVED, "踢出": REMOVED,
}  # fmt: skip
# The columns the whole-file check reads for every row (kept in memory beside the keys).
LEAVING_KEEP = ("group_id", "joined_at", "status", "left_at")


def _ending(status: np.ndarray) -> np.ndarray:
    return (status == LEFT) | (status == REMOVED)


def check_leaving(check: ChunkCheck, joined_at: np.ndarray, now) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(status: '', active, left or removed; left_at: UTC datetime64, NaT if none; reason) of a chunk's rows."""
    words = pd.Series(np.strings.lower(check.text("status")).astype(object)).map(STATUS_WORDS)
    unknown = words.isna().to_numpy()
    check.fail(
        unknown, "status", lambda v: _("%s is not a status: active, left or removed (在群, 退群, 移出)") % quoted(v)
    )
    status = words.fillna("").to_numpy(dtype=object)
    ending = _ending(status)
    left_at = check.datetimes("left_at")
    has_left = ~np.isnat(left_at)
    check.fail(has_left & ~ending & ~unknown, "left_at", _("left_at is only for status left or removed"))
    check.fail(ending & check.empty("left_at"), "left_at", _("a value is required when status is left or removed"))
    check.fail(ending & check.empty("group"), "group", _("a member who left or was removed needs the group they left"))
    with np.errstate(invalid="ignore"):
        before = has_left & ~np.isnat(joined_at) & (left_at < joined_at)
    check.fail(before & ending, "left_at", _("left_at is before joined_at"))
    check.fail(has_left & (left_at > utc_naive(now)), "left_at", _("left_at is in the future"))
    check.max_length("reason", max_length(Membership, "reason"))
    reason = check.objects("reason")
    check.fail(~check.empty("reason") & ~ending & ~unknown, "reason", _("a reason is only for status left or removed"))
    return status, left_at, reason


def check_left_after_stored_joins(rows: pd.DataFrame, member_ids_of) -> list[RowError]:
    """Leavings without a joined_at in the file end the stored open membership: not before it began. Marks the
    rows that fail bad; `member_ids_of(external_ids)` gives the stored members' ids (a Series by external_id)."""
    todo = rows[_ending(rows["status"].to_numpy()) & ~rows["bad"].to_numpy() & rows["joined_at"].isna().to_numpy()]
    if todo.empty:
        return []
    member_ids = member_ids_of(pd.unique(todo["external_id"]).tolist()).reindex(todo["external_id"])
    known = member_ids.notna().to_numpy()
    todo, member_ids = todo[known], member_ids[known].astype(np.int64).to_numpy()
    if todo.empty:
        return []
    stored = pd.DataFrame(_open_rows(member_ids.tolist()), columns=["member_id", "group_id", "joined_at"])
    stored = stored.drop_duplicates(["member_id", "group_id"]).set_index(["member_id", "group_id"])
    key = pd.MultiIndex.from_arrays([member_ids, todo["group_id"].to_numpy()])
    joined = utc64(stored["joined_at"].reindex(key).to_numpy())
    left = todo["left_at"].to_numpy().astype("datetime64[us]")
    with np.errstate(invalid="ignore"):
        early = ~np.isnat(joined) & (left < joined)
    errors = []
    for line, day in zip(todo.index[early].tolist(), joined[early].tolist(), strict=True):
        local = pd.Timestamp(day, tz="UTC").tz_convert(zone()).date()
        errors.append(
            RowError(
                int(line), "left_at", _("the member joined this group on %s: they cannot have left before") % local
            )
        )
    rows.loc[todo.index[early], "bad"] = True
    return errors


def _open_rows(member_ids: list[int]) -> list[tuple]:
    """(member_id, group_id, joined_at) of these members' open memberships."""
    select = (
        f"SELECT {quote('member_id')}, {quote('group_id')}, {as_text(quote('joined_at'))}, {quote('status')} "
        f"FROM {quote(Membership._meta.db_table)}"
    )
    rows = select_in(select, quote("member_id"), member_ids)
    return [row[:3] for row in rows if row[3] in Membership.OPEN_STATUSES]


def leaving_plan(plan: pd.DataFrame, rows: pd.DataFrame, exists, stored_join, ended: pd.DataFrame, member_ids):
    """Set the plan's actions for the leaving rows: 'end' the open membership; without one, 'create_ended' the
    ended membership in the history, or 'amend' its status and reason, or nothing when it is stored already."""
    status = rows["status"].to_numpy()
    ending = _ending(status)
    plan["status"], plan["left_at"], plan["reason"] = status, rows["left_at"].to_numpy(), rows["reason"].to_numpy()
    if not ending.any():
        return
    incoming = rows["joined_at"].to_numpy()
    action = plan["action"].to_numpy(dtype=object).copy()
    action[ending] = ""
    action[ending & exists] = "end"
    # The leaving keeps the stored join (none for an invitation that was declined) unless the file names one.
    joined = np.where(ending & np.isnat(incoming), stored_join, plan["joined_at"].to_numpy())
    history = ending & ~exists
    if history.any():
        stored = ended.assign(left_at=utc64(ended["left_at"].to_numpy()))
        stored = stored.drop_duplicates(["member_id", "group_id", "left_at"]).set_index(
            ["member_id", "group_id", "left_at"]
        )
        key = pd.MultiIndex.from_arrays(
            [member_ids, plan["group_id"].to_numpy(), plan["left_at"].to_numpy().astype("datetime64[us]")]
        )
        found = stored.reindex(key)
        matched = found["id"].notna().to_numpy() & history
        same_reason = found["reason"].fillna("").to_numpy() == plan["reason"].to_numpy()
        same = matched & (found["status"].to_numpy() == status) & same_reason
        action[history & ~matched] = "create_ended"
        action[matched & ~same] = "amend"
        ids = plan["membership_id"].to_numpy().copy()
        ids[matched] = found["id"].to_numpy()[matched].astype(np.int64)
        plan["membership_id"] = ids
    plan["action"] = action
    plan["joined_at"] = joined


def write_leavings(plan: pd.DataFrame, member_ids, joined: list, now, changes: dict) -> None:
    """Write the leaving rows' plan (`joined`: the plan's joined_at as database values)."""
    action = plan["action"].to_numpy()
    if not ((action == "end") | (action == "amend") | (action == "create_ended")).any():
        return
    status, reason = plan["status"].to_numpy(), plan["reason"].to_numpy()
    left = db_datetimes(plan["left_at"].to_numpy().astype("datetime64[us]"))
    membership_ids = plan["membership_id"].to_numpy()
    end = np.flatnonzero(action == "end").tolist()
    update_rows(
        Membership,
        ["status", "left_at", "reason", "joined_at"],
        [(status[i], left[i], reason[i], joined[i], int(membership_ids[i])) for i in end],
    )
    changes["ended"].extend(int(membership_ids[i]) for i in end)
    amend = np.flatnonzero(action == "amend").tolist()
    update_rows(Membership, ["status", "reason"], [(status[i], reason[i], int(membership_ids[i])) for i in amend])
    create = np.flatnonzero(action == "create_ended").tolist()
    with bulk_load(Membership, len(create)):
        insert_rows(
            Membership,
            {
                "member_id": member_ids[create].tolist(),
                "group_id": plan["group_id"].to_numpy()[create].tolist(),
                "status": [status[i] for i in create],
                "joined_at": [joined[i] for i in create],
                "left_at": [left[i] for i in create],
                "reason": [reason[i] for i in create],
                "created_at": db_datetime(now),
            },
            now=now,
        )


def announce_memberships(changes: dict, now) -> None:
    """Send `memberships_changed` once for the whole import, on commit: the memberships it opened (created, or
    invitations that became active) and those it ended (ended open ones, leavings added to the history)."""
    joined, ended = list(changes["joined"]), list(changes["ended"])
    for pk, status in Membership.objects.filter(created_at=now).values_list("pk", "status").order_by():
        (joined if status in Membership.OPEN_STATUSES else ended).append(pk)
    send_memberships_changed(joined=sorted(set(joined)), ended=sorted(set(ended)))
