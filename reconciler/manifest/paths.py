"""Where manifests may be read from: inside the folder given, links resolved."""

from __future__ import annotations

import os


def outside_root(path: str, root: str) -> str | None:
    """Why ``path`` may not be read as a manifest found under ``root``; None if it may.

    Symbolic links are resolved: a link in manifests/ to a file elsewhere (say
    a credentials file) is refused before it is read, so none of its content
    can reach an error message or a report.
    """
    real, base = os.path.realpath(path), os.path.realpath(root)
    if os.path.commonpath([real, base]) == base:
        return None
    return (
        f"resolves to {real}, outside {root}: manifests are read only from inside the "
        "folder given (a symbolic link may not lead out of it)"
    )
