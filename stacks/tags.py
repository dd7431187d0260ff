"""The tags every taggable resource carries, as in the reference design."""

from __future__ import annotations

from troposphere import Tags

from .settings import Settings


def standard_tags(settings: Settings, **extra: str) -> Tags:
    return Tags(Environment=settings.service.environment, Application=settings.service.name,
                **extra)
