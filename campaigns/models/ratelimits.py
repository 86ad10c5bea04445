"""The rows a sliding-window rate limit counts on (the WeCom robot takes at most 20 messages a minute)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RateLimitBucket(models.Model):
    """A row locked while a worker counts a sender's recent hits, so two workers cannot both take the last slot."""

    key = models.CharField(max_length=200, unique=True)

    class Meta:
        verbose_name = _("rate limit bucket")

    def __str__(self) -> str:
        return self.key


class RateLimitHit(models.Model):
    """One send taken against a bucket; a sliding window counts the hits of the last minute."""

    bucket = models.ForeignKey(RateLimitBucket, on_delete=models.CASCADE, related_name="hits")
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["bucket", "at"], name="rate_limit_hit_window")]

    def __str__(self) -> str:
        return f"{self.bucket_id}@{self.at:%H:%M:%S}"
