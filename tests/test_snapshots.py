"""The readable template of the default settings against its stored snapshot: a last net.

The tests that prove behaviour are the property tests, the per-setting checks, cfn-lint and
the proofs; this one catches what they do not state, above all a renamed logical ID (which
replaces a live resource). A mismatch leaves the new rendering beside the snapshot as
`default.yaml.actual` to diff. Regenerate on purpose only: `make snapshots`, then review
`git diff tests/snapshots`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from variants import rendered

SNAPSHOT = Path(__file__).parent / "snapshots" / "default.yaml"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"


def test_snapshot():
    actual = rendered("default")
    side = SNAPSHOT.with_name(SNAPSHOT.name + ".actual")
    if UPDATE:
        SNAPSHOT.write_text(actual, encoding="utf-8")
        side.unlink(missing_ok=True)
        return
    if not SNAPSHOT.exists():
        side.write_text(actual, encoding="utf-8")
        pytest.fail(f"no snapshot: review {side} and run `make snapshots`")
    if SNAPSHOT.read_text(encoding="utf-8") != actual:
        side.write_text(actual, encoding="utf-8")
        pytest.fail(f"the default template differs from its snapshot: diff {SNAPSHOT} {side}; "
                    "if the change is intended, run `make snapshots` and review the diff")
    side.unlink(missing_ok=True)


def test_only_the_two_snapshots_are_kept():
    """One per format: more would hide which semantic tests are missing."""
    assert sorted(p.name for p in SNAPSHOT.parent.iterdir() if not p.name.endswith(".actual")) \
        == ["default.tf.json", "default.yaml"]
