"""The users page, for admins: list, create, set roles, deactivate and reactivate, reset a password. Thin: check
access, call one service, render. A generated password is rendered in the answer to the POST that made it
(never stored, never in a URL), so it is shown once."""

from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import can, require_perms
from core.roles import Role, role_label, user_roles
from core.users import user_display_name

from . import services
from .forms import UserCreateForm, UserFilterForm, UserPasswordForm, UserProfileForm, UserRolesForm
from .models import RoleGroup
from .permissions import ADD_USERS, CHANGE_USERS, VIEW_USERS

User = get_user_model()
PAGE_SIZE = 50


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _with_roles(users):
    roles = RoleGroup.objects.filter(name__in=Role.values).order_by("name")
    return users.prefetch_related(Prefetch("groups", queryset=roles, to_attr="role_groups"))


@require_perms(VIEW_USERS)
def user_list(request):
    form = UserFilterForm(request.GET or None)
    users = User.objects.order_by("-is_active", "username")
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            users = users.filter(
                Q(username__icontains=data["q"])
                | Q(first_name__icontains=data["q"])
                | Q(last_name__icontains=data["q"])
                | Q(email__icontains=data["q"])
            )
        if data["role"] == Role.ADMIN:
            users = users.filter(Q(groups__name=Role.ADMIN) | Q(is_superuser=True)).distinct()
        elif data["role"]:
            users = users.filter(groups__name=data["role"])
        if data["active"]:
            users = users.filter(is_active=data["active"] == "1")
    page = Paginator(_with_roles(users), PAGE_SIZE).get_page(request.GET.get("page"))
    for account in page:
        held = {group.name for group in account.role_groups} | ({Role.ADMIN} if account.is_superuser else set())
        account.role_names = [role_label(role) for role in Role.values if role in held]
    context = {"form": form, "page": page, "can_add": can(request.user, ADD_USERS)}
    return render(request, "accounts/user_list.html", context)


def _password_shown(request, user, password: str):
    response = render(request, "accounts/password_shown.html", {"account": user, "password": password})
    add_never_cache_headers(response)  # the one copy of the password must not stay in a cache
    return response


@require_perms(VIEW_USERS, ADD_USERS, CHANGE_USERS)
def user_create(request):
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        password = data["password"] or services.password_generate()
        try:
            user = services.user_create(
                username=data["username"], name=data["name"], email=data["email"], roles=data["roles"],
                password=password,
            )  # fmt: skip
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if not data["password"]:
                return _password_shown(request, user, password)
            messages.success(request, _("User %(user)s created.") % {"user": user.username})
            return redirect("accounts:user-detail", pk=user.pk)
    return render(request, "accounts/user_form.html", {"form": form})


def _detail(request, account, *, roles_form=None, password_form=None, profile_form=None):
    context = {
        "account": account,
        "account_role_labels": [role_label(role) for role in Role.values if role in user_roles(account)],
        "roles_form": roles_form or UserRolesForm(initial={"roles": sorted(user_roles(account))}),
        "password_form": password_form or UserPasswordForm(),
        "profile_form": profile_form
        or UserProfileForm(initial={"name": user_display_name(account), "email": account.email}),
        "can_change": can(request.user, CHANGE_USERS),
        "is_self": account.pk == request.user.pk,
    }
    return render(request, "accounts/user_detail.html", context)


@require_perms(VIEW_USERS)
def user_detail(request, pk: int):
    return _detail(request, get_object_or_404(User, pk=pk))


@require_POST
@require_perms(VIEW_USERS, CHANGE_USERS)
def user_roles_set(request, pk: int):
    account = get_object_or_404(User, pk=pk)
    form = UserRolesForm(request.POST)
    if form.is_valid():
        try:
            services.user_roles_set(user=account, roles=form.cleaned_data["roles"], by=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Roles of %(user)s saved.") % {"user": account.username})
            if account.pk == request.user.pk and Role.ADMIN not in form.cleaned_data["roles"]:
                return redirect("home")  # an admin who gave up the role has no users page any more
            return redirect("accounts:user-detail", pk=account.pk)
    return _detail(request, account, roles_form=form)


@require_POST
@require_perms(VIEW_USERS, CHANGE_USERS)
def user_profile_set(request, pk: int):
    account = get_object_or_404(User, pk=pk)
    form = UserProfileForm(request.POST)
    if form.is_valid():
        try:
            services.user_profile_set(user=account, name=form.cleaned_data["name"], email=form.cleaned_data["email"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("%(user)s saved.") % {"user": account.username})
            return redirect("accounts:user-detail", pk=account.pk)
    return _detail(request, account, profile_form=form)


@require_POST
@require_perms(VIEW_USERS, CHANGE_USERS)
def user_active_set(request, pk: int):
    account = get_object_or_404(User, pk=pk)
    is_active = request.POST.get("action") == "reactivate"
    try:
        services.user_active_set(user=account, is_active=is_active, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if is_active:
            messages.success(request, _("%(user)s can log in again.") % {"user": account.username})
        else:
            message = _("%(user)s is deactivated and can no longer log in.") % {"user": account.username}
            messages.success(request, message)
    return redirect("accounts:user-detail", pk=account.pk)


@require_POST
@require_perms(VIEW_USERS, CHANGE_USERS)
def user_password_set(request, pk: int):
    account = get_object_or_404(User, pk=pk)
    form = UserPasswordForm(request.POST)
    if form.is_valid():
        password = form.cleaned_data["password"] or services.password_generate()
        try:
            services.user_password_set(user=account, password=password)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if account.pk == request.user.pk:
                update_session_auth_hash(request, account)  # their own session stays; other sessions end
            if not form.cleaned_data["password"]:
                return _password_shown(request, account, password)
            messages.success(request, _("New password of %(user)s saved.") % {"user": account.username})
            return redirect("accounts:user-detail", pk=account.pk)
    return _detail(request, account, password_form=form)
