"""The operator's live code pages: the list, the form, a live code's pool (groups, images, scans, expiry),
its poster QR, members' referral links, and the referral rewards to pay."""

from __future__ import annotations

import datetime as dt
import io

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import can, require_perms
from members.models import Member

from . import services
from .forms import ImageUploadForm, LiveCodeForm, PoolAddForm, ReferralLinkForm
from .models import LiveCode, PoolEntry
from .permissions import MANAGE_LIVECODES, PAY_REFERRALS, VIEW_LIVECODES, VIEW_REFERRALS
from .selectors import pool_overview, rewards


@require_perms(VIEW_LIVECODES)
def livecode_list(request):
    now = timezone.now()
    codes = [(code, pool_overview(code, now=now)) for code in LiveCode.objects.select_related("owner")]
    rows = [
        {
            "code": code,
            "groups": len(pool),
            "room": sum(row.room for row in pool if row.image is not None),
            "scans": sum(row.scans for row in pool) + code.unavailable_scans,
            "next_expiry": min((row.image.expires_at for row in pool if row.image is not None), default=None),
        }
        for code, pool in codes
    ]
    return render(request, "livecodes/livecode_list.html", {
        "rows": rows, "can_manage": can(request.user, MANAGE_LIVECODES),
    })  # fmt: skip


@require_perms(MANAGE_LIVECODES)
def livecode_edit(request, pk: int | None = None):
    live_code = get_object_or_404(LiveCode, pk=pk) if pk else LiveCode(owner=request.user)
    form = LiveCodeForm(request.POST or None, request.FILES or None, instance=live_code)
    if request.method == "POST" and form.is_valid():
        try:
            services.live_code_save(form.save(commit=False))
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Live code saved."))
            return redirect("livecodes:livecode-detail", pk=form.instance.pk)
    return render(request, "livecodes/livecode_form.html", {"form": form, "live_code": live_code})


def _detail(request, live_code, *, add_form=None, upload_forms=None, referral_form=None, referral_url="", status=200):
    now = timezone.now()
    pool = pool_overview(live_code, now=now)
    upload_forms = upload_forms or {}
    for row in pool:
        row.upload_form = upload_forms.get(row.entry.pk) or ImageUploadForm(prefix=f"e{row.entry.pk}")
    public_url = request.build_absolute_uri(reverse("livecodes:public", args=[live_code.slug]))
    return render(request, "livecodes/livecode_detail.html", {
        "live_code": live_code, "pool": pool, "now": now, "public_url": public_url,
        "soon": now + dt.timedelta(hours=settings.LIVECODE_EXPIRY_WARNING_HOURS),
        "add_form": add_form or PoolAddForm(live_code=live_code),
        "referral_form": referral_form or ReferralLinkForm(), "referral_url": referral_url,
        "can_manage": can(request.user, MANAGE_LIVECODES),
        "room": sum(row.room for row in pool if row.image is not None),
    }, status=status)  # fmt: skip


@require_perms(VIEW_LIVECODES)
def livecode_detail(request, pk: int):
    return _detail(request, get_object_or_404(LiveCode.objects.select_related("owner"), pk=pk))


@require_perms(MANAGE_LIVECODES)
@require_POST
def pool_add(request, pk: int):
    live_code = get_object_or_404(LiveCode, pk=pk)
    form = PoolAddForm(request.POST, live_code=live_code)
    if form.is_valid():
        try:
            services.pool_add(live_code=live_code, group=form.cleaned_data["group"])
        except ValidationError as error:
            form.add_error("group", error.message_dict.get("group", error.messages))
        else:
            messages.success(request, _("Group added to the pool."))
            return redirect("livecodes:livecode-detail", pk=pk)
    return _detail(request, live_code, add_form=form, status=400)


@require_perms(MANAGE_LIVECODES)
@require_POST
def pool_toggle(request, pk: int, entry_id: int):
    entry = get_object_or_404(PoolEntry.objects.select_related("live_code"), pk=entry_id, live_code_id=pk)
    services.pool_entry_toggle(entry=entry, active=not entry.is_active)
    return redirect("livecodes:livecode-detail", pk=pk)


@require_perms(MANAGE_LIVECODES)
@require_POST
def image_upload(request, pk: int, entry_id: int):
    entry = get_object_or_404(PoolEntry.objects.select_related("live_code", "group"), pk=entry_id, live_code_id=pk)
    form = ImageUploadForm(request.POST, request.FILES, prefix=f"e{entry.pk}")
    if form.is_valid():
        try:
            services.image_upload(entry=entry, upload=form.cleaned_data["image"], days=form.cleaned_data["days"])
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("QR image uploaded for %(group)s.") % {"group": entry.group.name})
            return redirect("livecodes:livecode-detail", pk=pk)
    return _detail(request, entry.live_code, upload_forms={entry.pk: form}, status=400)


@require_perms(MANAGE_LIVECODES)
@require_POST
def referral_link(request, pk: int):
    live_code = get_object_or_404(LiveCode, pk=pk)
    form = ReferralLinkForm(request.POST)
    url = ""
    if form.is_valid():
        member = Member.objects.filter(external_id=form.cleaned_data["member"].strip()).first()
        if member is None:
            form.add_error("member", _("No member has this external id."))
        else:
            link = services.referral_link_for(member)
            url = request.build_absolute_uri(reverse("livecodes:public", args=[live_code.slug])) + f"?ref={link.token}"
    return _detail(request, live_code, referral_form=form, referral_url=url, status=200 if url else 400)


@require_perms(MANAGE_LIVECODES)
@require_POST
def member_referral_link(request, member_id: int):
    """The member page's "make a referral link": the member's own token, the same on every live code."""
    member = get_object_or_404(Member, pk=member_id)
    services.referral_link_for(member)
    return redirect(reverse("members:member-detail", args=[member.pk]) + "#referrals")


@require_perms(VIEW_LIVECODES)
def poster(request, pk: int, kind: str):
    """The live code's own URL as a QR code for posters: PNG (print shops, chats) or SVG (designers)."""
    live_code = get_object_or_404(LiveCode, pk=pk)
    qr = segno.make(request.build_absolute_uri(reverse("livecodes:public", args=[live_code.slug])), error="m")
    out = io.BytesIO()
    if kind == "svg":
        qr.save(out, kind="svg", scale=10, border=4)
        content_type = "image/svg+xml"
    else:
        qr.save(out, kind="png", scale=12, border=4)
        content_type = "image/png"
    response = HttpResponse(out.getvalue(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="livecode-{live_code.slug}.{kind}"'
    return response


@require_perms(VIEW_REFERRALS)
def reward_list(request):
    return render(request, "livecodes/reward_list.html", {
        "rows": rewards(), "can_pay": can(request.user, PAY_REFERRALS),
        "reward_rule": settings.LIVECODE_REFERRAL_REWARD,
    })  # fmt: skip


@require_perms(PAY_REFERRALS)
@require_POST
def reward_pay(request, referrer_id: int):
    referrer = get_object_or_404(Member, pk=referrer_id)
    paid = services.referral_rewards_pay(referrer_id=referrer.pk, by=request.user)
    messages.success(request, _("%(count)s rewards of %(member)s marked paid.") % {"count": paid, "member": referrer})
    return redirect("livecodes:reward-list")
