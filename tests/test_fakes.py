"""The in-memory fake gateway keeps the AWS rules the executor's unit tests rely on."""

from __future__ import annotations

import pytest

from reconciler.errors import InvalidRequestError
from tests.fakes import FakeGateway


def fake() -> FakeGateway:
    gw = FakeGateway()
    gw.add_function("svc", ["a", "b"])
    return gw


def test_publish_of_unchanged_latest_returns_the_existing_version() -> None:
    gw = fake()
    latest = gw.versions["svc"]["$LATEST"]
    assert gw.publish_version("svc", "b", latest.revision_id, None).version == "2"
    assert set(gw.versions["svc"]) == {"$LATEST", "1", "2"}
    gw.deploy("svc", "c")
    latest = gw.versions["svc"]["$LATEST"]
    assert gw.publish_version("svc", "c", latest.revision_id, None).version == "3"
    again = gw.versions["svc"]["$LATEST"].revision_id
    assert gw.publish_version("svc", "c", again, None).version == "3"


@pytest.mark.parametrize(
    ("alias", "version", "weights"),
    [
        ("123", "1", ()),
        ("a.b", "1", ()),
        ("live", "1", (("2", 1.5),)),
        ("live", "1", (("2", 0.1), ("3", 0.1))),
        ("live", "$LATEST", (("2", 0.1),)),
        ("live", "1", (("$LATEST", 0.1),)),
        ("live", "1", (("1", 0.1),)),
        ("live", "9", ()),
        ("live", "1", (("9", 0.1),)),
    ],
)
def test_aliases_are_refused_as_aws_refuses_them(alias, version, weights) -> None:
    gw = fake()
    with pytest.raises(InvalidRequestError):
        gw.create_alias("svc", alias, version, weights, None)
    gw.set_alias("svc", "live", "1")
    if alias == "live":
        with pytest.raises(InvalidRequestError):
            gw.update_alias("svc", "live", version, weights, None, "")
    assert gw.aliases["svc"]["live"].version == "1"
