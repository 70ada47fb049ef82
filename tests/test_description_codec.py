"""The alias-description codec is total (anyone can write a description), and the
one weights rule agrees with deepdiff, which names the changed fields."""

from __future__ import annotations

from deepdiff import DeepDiff
from hypothesis import example, given
from hypothesis import strategies as st

from reconciler.aws import weights
from reconciler.features.rollout.strategy import when
from reconciler.plan.description import (
    DESCRIPTION_LIMIT,
    PROVISIONED_MARKER,
    Marker,
    parse,
    render,
)
from reconciler.plan.pending import PendingVersion

MARKERISH = st.sampled_from(
    [
        "[reconciler:rollout from=3 to=4 step=1/2 at=1764000000]",
        "[reconciler:rollout from=3 to=4 step=1/2 at=²]",
        "[reconciler:rollout from=3 to=4 step=1/2 at=" + "9" * 31 + "]",
        "[reconciler:rollout-failed from=3 to=4 at=1]",
        "[reconciler:rollout from=٣ to=4 step=1/2 at=1]",
        "[reconciler:rollout from=3 to=pending:abc= step=9/2 at=1]",
        "[reconciler:provisioned]",
        "[reconciler:",
        "[reconciler:other x=y]",
    ]
)


@given(st.text(max_size=300), st.lists(MARKERISH, max_size=3))
@example("production [reconciler:rollout from=3 to=4 step=1/2 at=²]", [])
@example("x [reconciler:rollout from=3 to=4 step=1/2 at=" + "1" * 30 + "]", [])
def test_parse_is_total_and_render_fits(text: str, markers: list[str]) -> None:
    description = " ".join([text, *markers])
    parsed = parse(description)
    assert isinstance(parsed.user, str)
    if parsed.rollout is not None:
        assert when(parsed.rollout.at)  # any time a marker can carry prints
    assert len(parsed.render()) <= DESCRIPTION_LIMIT


@given(st.text(max_size=300).filter(lambda t: "[reconciler:" not in t))
def test_render_then_parse_gives_back_what_was_written(user: str) -> None:
    marker = Marker("rollout", "3", "4", 1764000000, 1, 2)
    back = parse(render(user, marker))
    room = DESCRIPTION_LIMIT - len(marker.text()) - 1
    assert back.rollout == marker and back.user == user[:room].rstrip()
    owned = parse(render(user, provisioned=True))
    room = DESCRIPTION_LIMIT - len(PROVISIONED_MARKER) - 1
    assert owned.provisioned and owned.rollout is None
    assert owned.user == user[:room].rstrip()


def test_damaged_markers_are_user_text_and_flagged() -> None:
    for text in (
        "prod [reconciler:rollout from=3 to=4 step=1/2 at=²]",
        "prod [reconciler:rollout from=3 to=4 step=3/2 at=1]",
        "prod [reconciler:rollout from=3 to=4 step=1/2 at=" + "9" * 30 + "]",
    ):
        parsed = parse(text)
        assert parsed.rollout is None and parsed.user == text
        assert parsed.foreign is not None and parsed.foreign.startswith("[reconciler:")


def test_a_pending_target_is_written_only_by_its_codec() -> None:
    marker = Marker("rollout", "3", PendingVersion("abc="), 1, 1, 2)
    assert parse(render("", marker)).rollout == marker
    assert parse(render("", marker.resolved({"abc=": "4"}))).rollout == Marker(
        "rollout", "3", "4", 1, 1, 2
    )


WEIGHT = st.one_of(
    st.floats(min_value=0, max_value=0.999999, allow_nan=False),
    st.sampled_from([0.0, 1e-9, 2e-9, 0.1, 0.1 + 1e-10, 0.1 + 1e-8, 0.5]),
)
WEIGHTS = st.dictionaries(st.sampled_from(["1", "2", "3"]), WEIGHT, max_size=2)


@given(WEIGHTS, WEIGHTS)
@example({"2": 0.1}, {"2": 0.1 + 1e-10})
@example({"2": 1e-10}, {})
@example({"2": 0.1}, {"2": 0.1 + 1e-8})
def test_deepdiff_and_the_weights_rule_agree(a: dict[str, float], b: dict[str, float]) -> None:
    left, right = weights.normalise(a), weights.normalise(b)
    differs = bool(DeepDiff(left, right, math_epsilon=weights.EPSILON))
    assert differs == (not weights.same(a, b))
