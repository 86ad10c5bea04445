"""How the app names a user (an operator, an agent) on pages, in menus and in reminders."""


def user_display_name(user) -> str:
    """A user's name as the team writes it: '王磊' (family name first, no space) or 'Alice Smith'; else the username."""
    if user is None:
        return ""
    first, last = (user.first_name or "").strip(), (user.last_name or "").strip()
    if not (first or last):
        return user.get_username()
    if any("\u3400" <= ch <= "\u9fff" for ch in first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()
