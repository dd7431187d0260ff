"""Rendered templates against stored snapshots.

A mismatch leaves the new rendering beside the snapshot as `<variant>.yaml.actual` to diff.
Regenerate on purpose only: `make snapshots`, then review `git diff tests/snapshots`.
Renamed logical IDs show up here first, and a renamed logical ID replaces a live resource.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from variants import VARIANTS, rendered

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"


def test_snapshot(variant):
    stored = SNAPSHOTS / f"{variant}.yaml"
    actual = rendered(variant)
    side = stored.with_name(stored.name + ".actual")
    if UPDATE:
        stored.write_text(actual, encoding="utf-8")
        side.unlink(missing_ok=True)
        return
    if not stored.exists():
        side.write_text(actual, encoding="utf-8")
        pytest.fail(f"no snapshot for {variant}: review {side} and run `make snapshots`")
    if stored.read_text(encoding="utf-8") != actual:
        side.write_text(actual, encoding="utf-8")
        pytest.fail(f"{variant} differs from its snapshot: diff {stored} {side}; if the change "
                    "is intended, run `make snapshots` and review the diff")
    side.unlink(missing_ok=True)


def test_no_orphan_snapshots():
    """A snapshot without a variant would silently stop being checked."""
    stored = {path.stem for path in SNAPSHOTS.glob("*.yaml")}
    assert stored <= set(VARIANTS)
