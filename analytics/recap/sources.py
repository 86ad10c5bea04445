"""The recap's numbers whose sources are not built yet: live codes and referrals (fission, codes out of room)
and landing-page tracking (views, visitors, errors). Each source has one function here, returning None ("not
tracked yet", 尚未统计) until it exists; when it does, its function reads it and every format of the recap
shows it."""

from .periods import RecapPeriod


def fission_multiplier(period: RecapPeriod) -> dict | None:
    """Members brought in through referrals per referring member (the live codes' referrals). A system row
    (see `data._system`) once tracked."""
    return None


def live_codes_out_of_room(period: RecapPeriod) -> list[dict] | None:
    """Live codes that ran out of room in the period: [{"code", "group", "at"}] once tracked."""
    return None


def landing_page_funnel(period: RecapPeriod) -> dict | None:
    """Landing-page views, unique visitors and buyers: a system row (see `data._system`) once tracked."""
    return None


def landing_page_visitors(period: RecapPeriod) -> set[int] | None:
    """Members who opened a landing page in the period (part of activity) once tracked."""
    return None


def landing_page_errors(period: RecapPeriod) -> list[dict] | None:
    """Landing-page errors in the period: [{"page", "count", "first_at"}] once tracked."""
    return None
