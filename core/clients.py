"""Who is asking: the client's address, for login throttling and the public forms' rate limits."""

from django.conf import settings


def client_ip(request) -> str | None:
    """The address a client's requests are counted against.

    REMOTE_ADDR, unless a proxy is in front (BEHIND_PROXY): then REMOTE_ADDR is the proxy's, the same for
    everyone, and the client is the last address of X-Forwarded-For, the one the proxy appended. Any address
    before it is whatever the client chose to send, so it is never used.
    """
    if settings.BEHIND_PROXY:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded[-1]:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR")
