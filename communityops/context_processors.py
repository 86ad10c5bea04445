from .roles import user_roles


def navigation(request):
    """The current user's roles, so the base layout shows each role only its own menu."""
    return {"roles": user_roles(getattr(request, "user", None)) if hasattr(request, "user") else set()}
