"""Whatever a client sends to a control route, the answer is never a 5xx."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_authmock.control import ROUTES
from pytest_authmock.control.routes import Route
from tests.control.conftest import ControlServer

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(["demo", "demo-client", "demo-cli", "always", "none", "token", "approve"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def _field_names(route: Route) -> list[str]:
    schema: Any = route.body or {}
    names = set(schema.get("properties", {}))
    for variant in schema.get("oneOf", []):
        names |= set(variant["properties"])
    names |= set(route.query)
    return sorted(names) or ["x"]


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, bytes, dict[str, str]]:
    route: Route = draw(st.sampled_from(ROUTES))
    names = _field_names(route)
    kind = draw(st.sampled_from(["fields", "json", "bytes"]))
    if kind == "fields":
        body: Any = draw(st.dictionaries(st.sampled_from(names), JSON, max_size=5))
        if route.path.endswith("/faults"):
            body.setdefault(
                "kind",
                draw(st.sampled_from(["fail", "rate_limit", "delay", "timeout", "refuse", "x"])),
            )
        content = json.dumps(body).encode()
    elif kind == "json":
        content = json.dumps(draw(JSON)).encode()
    else:
        content = draw(st.binary(max_size=40))
    segments = []
    for segment in route.path.split("/"):
        if segment.startswith("{"):
            segment = quote(
                draw(st.text(min_size=1, max_size=12) | st.sampled_from(["demo", "demo-client"])),
                safe="",
            )
        segments.append(segment)
    query = draw(st.dictionaries(st.sampled_from(names), st.text(max_size=8), max_size=2))
    return route.method, "/".join(segments), content, query


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(calls=st.lists(requests(), min_size=1, max_size=3))
def test_no_control_call_answers_5xx(
    control_server: ControlServer, calls: list[tuple[str, str, bytes, dict[str, str]]]
) -> None:
    server = control_server
    server.baseline.restore(server.idp)
    for method, path, content, query in calls:
        answer = server.call(method, path.removeprefix("/_authmock"), content=content, params=query)
        assert answer.status_code < 500, (method, path, content, answer.text)
        if answer.status_code >= 400:
            body = answer.json()
            assert isinstance(body["error"], str)
            assert isinstance(body["error_description"], str)
    # The provider still serves after the calls (planned faults aside), and
    # neither it nor the control API failed on anything.
    server.idp.clear_faults()
    assert server.http.get("/.well-known/openid-configuration").status_code == 200
    assert [e for e in server.idp.journal if e.internal_error] == []
    assert server.api.errors == []
