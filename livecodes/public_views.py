"""The member's side of a live code: /j/<code>/, no login, for a phone. Kept lean: it is the page a poster
sends thousands of people to at once (bench/livecode.py measures it against an empty view)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campaigns.channels import RateLimited, rate_limit_take
from core.clients import client_ip
from members.models import Group

from .choice import Candidate, scan
from .forms import ReferralForm
from .models import LiveCode, QRImage
from .services import image_check, referral_record

PAGE = "livecodes/public.html"
# A path longer than any code names none (it is not cut to a code's length: /j/<code>anything/ is no alias).
SLUG_MAX = LiveCode._meta.get_field("slug").max_length


# The page's HTML per (language, what the scan found): it depends on nothing else (no form, no user), so
# thousands of scans showing the same group's image render it once per process.
_rendered: dict[tuple, bytes] = {}
RENDERED_MAX = 500


@login_not_required
@require_GET
def live_code_page(request, slug: str):
    choice = scan(slug) if len(slug) <= SLUG_MAX else None
    if choice is None:
        return render(request, PAGE, {"missing": True}, status=404)
    # Most scans come without a query string: parsing one (request.GET) would cost the page a tenth of its time.
    ref = request.GET.get("ref", "")[:32] if request.META.get("QUERY_STRING") else ""
    key = (request.LANGUAGE_CODE, *choice.key) if choice.key and not ref else None
    html = _rendered.get(key) if key else None
    if html is None:
        context = {"code": choice.live_code, "candidate": choice.candidate}
        if ref:
            image = choice.candidate.image_id if choice.candidate else None
            context["referral_form"] = ReferralForm(initial={"ref": ref, "image": image})
        html = render_to_string(PAGE, context, request=request).encode()
        if key:
            if len(_rendered) >= RENDERED_MAX:
                _rendered.clear()
            _rendered[key] = html
    return HttpResponse(html)


@login_not_required
@require_POST
def referral_submit(request, slug: str):
    """The newcomer's phone: recorded against the referrer, matched once they join a group. The page shows
    the same QR image again (no new scan: the place was held when the page was first shown)."""
    live_code = get_object_or_404(LiveCode, slug=slug, is_active=True)
    form = ReferralForm(request.POST)
    done = limited = False
    if form.is_valid():
        try:
            rate_limit_take(key=f"livecodes.referral:{client_ip(request)}", limit=settings.LIVECODE_REFERRALS_PER_HOUR,
                            window=dt.timedelta(hours=1))  # fmt: skip
            referral_record(token=form.cleaned_data["ref"], phone=form.cleaned_data["phone"], live_code=live_code)
        except RateLimited:
            limited = True
            form.add_error("phone", _("Too many numbers were sent from here. Please try again in an hour."))
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                form.add_error("phone" if name == "ref" else name, messages)
        else:
            done = True
    candidate = None
    image_id = form.cleaned_data.get("image") if hasattr(form, "cleaned_data") else None
    image = (
        QRImage.objects.unexpired(now=timezone.now())
        .select_related("entry__group")
        .filter(pk=image_id, entry__live_code=live_code)
        .first()
        if image_id
        else None
    )
    if image is not None:
        entry = image.entry
        candidate = Candidate(entry.pk, entry.group_id, image.pk, image.expires_at.timestamp(), 0, entry.group.name)
    code = {"slug": live_code.slug, "name": live_code.name, "contact_text": live_code.contact_text,
            "has_contact_image": bool(live_code.contact_image)}  # fmt: skip
    context = {"code": code, "candidate": candidate, "referral_form": None if done else form, "referral_done": done}
    return render(request, PAGE, context, status=200 if done else 429 if limited else 400)


@login_not_required
@require_GET
def qr_image(request, slug: str, image_id: int):
    """A QR image the live code may show now: of an active group of its pool that takes new members, unexpired.
    Ids are counted up, so anyone can try them all: a paused, closed or legacy group's QR is not given away."""
    image = get_object_or_404(
        QRImage, pk=image_id, entry__live_code__slug=slug, entry__live_code__is_active=True, entry__is_active=True,
        entry__group__in=Group.objects.taking_new_members(),
    )  # fmt: skip
    if image.expires_at <= timezone.now():
        raise Http404  # a dead QR is never shown
    return FileResponse(image.image.open("rb"), content_type=image.content_type)


@login_not_required
@require_GET
def contact_image(request, slug: str):
    live_code = get_object_or_404(LiveCode, slug=slug, is_active=True)
    if not live_code.contact_image:
        raise Http404
    # The type the bytes are (checked on upload), never one guessed from the uploaded file's name.
    try:
        content_type = image_check(live_code.contact_image.open("rb"))
    except ValidationError as error:
        raise Http404 from error
    return FileResponse(live_code.contact_image.open("rb"), content_type=content_type)


@login_not_required
def bench_empty(request):
    """bench/livecode.py's yardstick: Django's whole request path and nothing else. Routed only when
    BENCH_EMPTY_VIEW is set (communityops/urls.py): no surface in production."""
    return HttpResponse(b"")
