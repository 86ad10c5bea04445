"""Users and their roles, written by an admin from the users page: each function is one transaction.

A role is a Django auth group (`core.roles`). Holding the admin role also makes a user staff (the Django
admin, the health page), and losing it takes staff and superuser away, so the role a page shows is the
access the user has. No write may leave the team without an active admin: the admins' rows are locked
first, then counted, so two admins demoting each other at the same moment cannot both succeed.
"""

import secrets
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from core.roles import Role

User = get_user_model()

# Generated passwords: no look-alikes (0/O, 1/l/I), so one read aloud or copied by hand arrives intact.
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PASSWORD_GROUPS = 3  # "xxxx-xxxx-xxxx": 12 random characters, about 70 bits
PASSWORD_GROUP_LENGTH = 4


def admins():
    """Active users who hold the admin role (as a group, or as Django superusers)."""
    return User.objects.filter(is_active=True).filter(Q(is_superuser=True) | Q(groups__name=Role.ADMIN)).distinct()


def password_generate() -> str:
    """A new random password an admin hands to a user once, e.g. 'k7Qm-x2Rp-Ta9w'."""
    return "-".join(
        "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_GROUP_LENGTH)) for _ in range(PASSWORD_GROUPS)
    )


def _clean_roles(roles: Iterable[str]) -> list[str]:
    roles = sorted(set(roles))
    unknown = [role for role in roles if role not in Role.values]
    if unknown:
        raise ValidationError({"roles": _("Unknown role: %(roles)s.") % {"roles": ", ".join(unknown)}})
    if not roles:
        raise ValidationError({"roles": _("Choose at least one role.")})
    return roles


def _role_groups(roles: list[str]) -> list[Group]:
    groups = list(Group.objects.filter(name__in=roles))
    missing = set(roles) - {group.name for group in groups}
    if missing:  # the roles migrations create them; a database without them is not migrated
        raise ValidationError({"roles": _("The role %(role)s does not exist yet.") % {"role": ", ".join(missing)}})
    return groups


def _check_an_admin_remains(*, losing: User, by: User | None) -> None:
    """Refuse when `losing` (about to stop being an active admin) is the last active admin."""
    candidates = list(admins().values_list("pk", flat=True))
    # Lock every admin's row, then count again: a concurrent demotion holds the row it changes until it commits.
    list(User.objects.select_for_update().filter(pk__in=candidates).order_by("pk").values_list("pk", flat=True))
    if admins().exclude(pk=losing.pk).exists():
        return
    if by is not None and by.pk == losing.pk:
        raise ValidationError(
            _("You are the last active admin: give another user the admin role first, or the team is locked out.")
        )
    raise ValidationError(_("%(user)s is the last active admin: the team would have no admin left.") % {"user": losing})


def _apply_roles(user: User, roles: list[str]) -> None:
    is_admin = Role.ADMIN in roles
    user.is_staff = is_admin
    user.is_superuser = user.is_superuser and is_admin
    user.save(update_fields=["is_staff", "is_superuser"])
    keep_other_groups = user.groups.exclude(name__in=Role.values)
    user.groups.set([*keep_other_groups, *_role_groups(roles)])


@transaction.atomic
def user_create(*, username: str, name: str = "", email: str = "", roles: Iterable[str], password: str) -> User:
    """Create an active user with `roles` and `password` (checked by the site's password rules)."""
    roles = _clean_roles(roles)
    user = User(username=username.strip(), first_name=name.strip(), email=email.strip(), is_active=True)
    errors: dict[str, list] = {}
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        validate_password(password, user)
    except ValidationError as error:
        errors["password"] = error.messages
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    try:
        with transaction.atomic():  # full_clean saw the name free; another admin may have taken it since
            user.save()
    except IntegrityError:
        raise ValidationError({"username": _("A user with that username already exists.")}) from None
    _apply_roles(user, roles)
    return user


@transaction.atomic
def user_profile_set(*, user: User, name: str, email: str) -> User:
    """Correct `user`'s name (as pages and reminders show it) and e-mail address."""
    user.first_name, user.last_name, user.email = name.strip(), "", email.strip()
    user.full_clean(exclude=["password", "username"])
    user.save(update_fields=["first_name", "last_name", "email"])
    return user


@transaction.atomic
def user_roles_set(*, user: User, roles: Iterable[str], by: User | None = None) -> User:
    """Give `user` exactly `roles` (other auth groups stay); refused when it would leave no active admin."""
    roles = _clean_roles(roles)
    if user.is_active and Role.ADMIN not in roles and admins().filter(pk=user.pk).exists():
        _check_an_admin_remains(losing=user, by=by)
    _apply_roles(user, roles)
    return user


@transaction.atomic
def user_active_set(*, user: User, is_active: bool, by: User | None = None) -> User:
    """Deactivate (no login, sessions end at the next request) or reactivate `user`. An admin cannot deactivate
    their own account, nor the last active admin."""
    if not is_active:
        if by is not None and by.pk == user.pk:
            raise ValidationError(_("You cannot deactivate your own account; another admin can."))
        if admins().filter(pk=user.pk).exists():
            _check_an_admin_remains(losing=user, by=by)
    user.is_active = is_active
    user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def user_password_set(*, user: User, password: str) -> None:
    """Set `user`'s password (checked by the site's password rules); their open sessions end."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
