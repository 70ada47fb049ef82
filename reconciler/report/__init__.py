"""Reports: text, JSON and markdown renderings of plans, applies and drift."""

from __future__ import annotations
