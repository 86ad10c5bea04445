"""The codebook (密码本) in the app: tag categories and their short codes, edited by operators.

Codes are what agents and questionnaires speak ("3" = acne, "D" = wants acne fixed), so a code, once used,
keeps its meaning: renaming is allowed, deleting a tag that members carry is not.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.access import can, require_perms
from core.styling import StyledMixin

from .models import Tag, TagCategory

VIEW_TAGS = "members.view_tag"
ADD_TAG = "members.add_tag"
CHANGE_TAG = "members.change_tag"
ADD_CATEGORY = "members.add_tagcategory"


class TagForm(StyledMixin, forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["code", "name", "category", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"code": gettext_lazy("Short, as agents write it: “3”, “D”.")}


class CategoryForm(StyledMixin, forms.ModelForm):
    class Meta:
        model = TagCategory
        fields = ["code", "name", "position"]


@require_perms(VIEW_TAGS)
def codebook(request):
    categories = TagCategory.objects.prefetch_related(
        Prefetch("tags", queryset=Tag.objects.annotate(member_count=Count("members")).order_by("code"))
    )
    can_edit = can(request.user, ADD_TAG)
    tag_form = TagForm(prefix="tag") if can_edit else None
    category_form = CategoryForm(prefix="category") if can(request.user, ADD_CATEGORY) else None
    if request.method == "POST":
        if "tag-code" in request.POST:
            if not can_edit:
                raise PermissionDenied
            tag_form = TagForm(request.POST, prefix="tag")
            if tag_form.is_valid():
                tag = tag_form.save()
                messages.success(request, _("Tag %(code)s added.") % {"code": tag.code})
                return redirect("members:codebook")
        elif "category-code" in request.POST:
            if category_form is None:
                raise PermissionDenied
            category_form = CategoryForm(request.POST, prefix="category")
            if category_form.is_valid():
                category_form.save()
                messages.success(request, _("Category added."))
                return redirect("members:codebook")
    context = {"categories": categories, "tag_form": tag_form, "category_form": category_form,
               "can_edit": can(request.user, CHANGE_TAG)}  # fmt: skip
    bound = (tag_form and tag_form.is_bound and tag_form.errors) or (category_form and category_form.errors)
    return render(request, "members/codebook.html", context, status=400 if bound else 200)


@require_perms(CHANGE_TAG)
def tag_edit(request, pk: int):
    tag = get_object_or_404(Tag, pk=pk)
    form = TagForm(request.POST or None, instance=tag)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Tag %(code)s saved.") % {"code": tag.code})
        return redirect("members:codebook")
    return render(request, "members/tag_form.html", {"form": form, "tag": tag}, status=400 if form.errors else 200)
