"""Sub-commands. Each module exposes ``NAME``, ``HELP``, ``add_arguments(parser)``
and ``run(args) -> int``; cli.py registers them in ``COMMANDS`` order."""

from __future__ import annotations
