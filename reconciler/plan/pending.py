"""A version that does not exist yet: the one a planned publish will create.

The planner cannot know the number AWS will give a version it plans to
publish, so an alias that must serve it points at a :class:`PendingVersion`
(the code's hash) instead. The executor resolves it once, right after the
publish, before anything is written to AWS; reports show it as "(new
version)". :func:`encode` is its only text form (the JSON documents' and a
rollout marker's), and :func:`decode` its only reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeGuard

_PREFIX = "pending:"


@dataclass(frozen=True, order=True)
class PendingVersion:
    code_sha256: str


# A version an alias can serve: a number or "$LATEST" as AWS spells it, or one to publish.
Version = str | PendingVersion


def is_pending(version: object) -> TypeGuard[PendingVersion]:
    return isinstance(version, PendingVersion)


def encode(version: Version) -> str:
    if isinstance(version, PendingVersion):
        return f"{_PREFIX}{version.code_sha256}"
    return version


def decode(text: str) -> Version:
    """The inverse of :func:`encode` (a rollout marker's version field)."""
    if text.startswith(_PREFIX) and len(text) > len(_PREFIX):
        return PendingVersion(text[len(_PREFIX) :])
    return text


def label(version: Version) -> str:
    return "(new version)" if isinstance(version, PendingVersion) else version


def resolve(version: Version, published: Mapping[str, str]) -> str:
    """The concrete version, once the publish for a pending one has happened.

    ``published`` maps a code hash to the version number AWS gave it. A
    pending version whose publish has not happened raises ``KeyError``: the
    executor runs publishes first, so that is a bug, not an AWS state.
    """
    if isinstance(version, PendingVersion):
        return published[version.code_sha256]
    return version
