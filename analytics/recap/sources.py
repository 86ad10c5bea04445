"""The recap's numbers read from apps beside the recap's own sources: live codes and referrals (fission, codes
out of room), and landing-page tracking (views, visitors, errors). Each source has one function here; a
source not built yet returns None ("not tracked yet", 尚未统计), and once it exists its function reads it and
every format of the recap shows it."""

from campaigns.models import Reminder
from livecodes.models import LiveCode
from livecodes.selectors import fission_platform
from livecodes.watch import RUNOUT_KEY_PREFIX

from .periods import RecapPeriod


def fission_multiplier(period: RecapPeriod) -> dict:
    """Members who joined in the period referred by a member ÷ those not referred (`livecodes.selectors`), as a
    system row (the shape of `data._system`)."""
    fission = fission_platform(start=period.start, end=period.until)
    value = None if fission.multiplier is None else str(fission.multiplier)
    return {
        "key": "fission_multiplier", "value": value, "numerator": fission.referred,
        "denominator": fission.not_referred, "unit": "multiple", "tracked": True, "note": "",
    }  # fmt: skip


def live_codes_out_of_room(period: RecapPeriod) -> list[dict]:
    """Live codes whose pool ran out of room in the period: each run-out is one owner reminder
    (`livecodes.watch.pools_runout_watch`), [{"code", "group", "at"}] with `group` None (the whole pool ran out)."""
    start, end = period.bounds
    runouts = Reminder.objects.filter(
        key__startswith=RUNOUT_KEY_PREFIX, channel=Reminder.Channel.INBOX, due_at__gte=start, due_at__lt=end
    ).order_by("due_at", "pk")
    names = dict(LiveCode.objects.values_list("pk", "name"))
    rows = []
    for reminder in runouts:
        code_id = int(reminder.key[len(RUNOUT_KEY_PREFIX) :].split(":", 1)[0])
        rows.append({"code": names.get(code_id, str(code_id)), "group": None, "at": reminder.due_at.isoformat()})
    return rows


def landing_page_funnel(period: RecapPeriod) -> dict | None:
    """Landing-page views, unique visitors and buyers: a system row (see `data._system`) once tracked."""
    return None


def landing_page_visitors(period: RecapPeriod) -> set[int] | None:
    """Members who opened a landing page in the period (part of activity) once tracked."""
    return None


def landing_page_errors(period: RecapPeriod) -> list[dict] | None:
    """Landing-page errors in the period: [{"page", "count", "first_at"}] once tracked."""
    return None
