"""The OpenAPI document lists exactly the routes the router serves; the bodies are the TOML tables."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from pytest_authmock import serve_config
from pytest_authmock.control import ROUTES, Baseline
from pytest_authmock.control.baseline import client_keywords
from pytest_authmock.control.http import ControlError
from pytest_authmock.control.scenario import SETTINGS_FIELDS
from pytest_authmock.control.tables import (
    CLIENT_FIELDS,
    FAULT_FIELDS,
    FAULT_KINDS,
    USER_FIELDS,
    fault_method,
    read_table,
)
from pytest_authmock.provider.flow_state import FlowSettings
from pytest_authmock.provider.idp import FakeIdP
from pytest_authmock.provider.models import Client
from tests.control.conftest import ControlServer

METHODS = ("get", "post", "put", "patch", "delete", "head", "options")


def _document(control: ControlServer) -> dict[str, Any]:
    answer = control.call("GET", "/openapi.json")
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def test_it_lists_every_route_the_router_serves_and_nothing_else(control: ControlServer) -> None:
    document = _document(control)
    documented = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }
    assert documented == {(route.method, route.path) for route in ROUTES}
    assert len(ROUTES) == len(documented)  # no route twice


def test_every_documented_operation_is_served(control: ControlServer) -> None:
    for path, item in _document(control)["paths"].items():
        for method in item:
            concrete = re.sub(r"{[^}]+}", "nothing", path).removeprefix("/_authmock")
            answer = control.call(method.upper(), concrete, content=b"{}")
            assert answer.status_code not in (405, 500), (method, path, answer.text)
            if answer.status_code == 404:  # a path parameter that names nothing
                assert "{" in path, (method, path)


def test_it_is_an_openapi_3_1_document(control: ControlServer) -> None:
    document = _document(control)
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": control.url}]
    assert document["components"]["securitySchemes"]["adminToken"]["scheme"] == "bearer"
    operation_ids = [
        operation["operationId"]
        for item in document["paths"].values()
        for operation in item.values()
    ]
    assert len(operation_ids) == len(set(operation_ids))
    for path, item in document["paths"].items():
        names = set(re.findall(r"{([^}]+)}", path))
        for operation in item.values():
            assert "401" in operation["responses"]
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, path
    refs = re.findall(r'"\$ref": "#/([^"]+)"', __import__("json").dumps(document))
    for ref in refs:
        node: Any = document
        for part in ref.split("/"):
            node = node[part]


def test_the_fault_schema_has_one_variant_per_kind(control: ControlServer) -> None:
    body = _document(control)["paths"]["/_authmock/faults"]["post"]["requestBody"]
    variants = body["content"]["application/json"]["schema"]["oneOf"]
    assert [v["title"] for v in variants] == list(FAULT_KINDS)
    fail = variants[0]["properties"]
    assert set(fail) == {
        "kind",
        "status",
        "endpoint",
        "times",
        "fraction",
        "grant_type",
        "body",
        "headers",
    }


def _reader_keys(name: str) -> list[str]:
    """The keys the TOML reader knows for a table, from its own error message."""
    with pytest.raises(ControlError) as caught:
        read_table(name, {"kind": "fail", "zz_not_a_key": 1})  # type: ignore[arg-type]
    return caught.value.description.split("known keys: ")[1].split(", ")


@pytest.mark.parametrize(
    ("name", "fields"),
    [("clients", CLIENT_FIELDS), ("users", USER_FIELDS), ("faults", FAULT_FIELDS)],
)
def test_the_bodies_are_the_toml_tables(name: str, fields: tuple[Any, ...]) -> None:
    assert [field.name for field in fields] == _reader_keys(name)


def test_the_client_and_user_keys_are_serves() -> None:
    assert [f.name for f in CLIENT_FIELDS] == list(serve_config.CLIENT_KEYS)
    assert [f.name for f in USER_FIELDS] == list(serve_config.USER_KEYS)


def test_the_fault_kinds_are_the_readers() -> None:
    with pytest.raises(ControlError) as caught:
        read_table("faults", {"kind": "nope"})
    assert caught.value.description == f"kind must be one of {', '.join(FAULT_KINDS)}; got 'nope'"
    for kind in FAULT_KINDS:
        assert callable(getattr(FakeIdP, fault_method(kind)))


def test_the_settings_are_the_flow_settings() -> None:
    assert [f.name for f in SETTINGS_FIELDS] == [f.name for f in dataclasses.fields(FlowSettings)]


def test_a_baseline_registers_every_field_of_a_client_again() -> None:
    idp = FakeIdP(issuer="https://baseline.authmock.test")
    idp.add_client(
        "full",
        "secret",
        grant_types=["client_credentials", "password"],
        scopes=["a", "b"],
        audience=["x", "y"],
        claims={"k": "v"},
        access_token_ttl=10,
        refresh_token_ttl=None,
        token_format="opaque",
        tls_client_auth_subject_dn="CN=full",
        redirect_uris=["http://127.0.0.1/cb"],
    )
    idp.add_client("pub", public=True)
    idp.disable_client("pub")
    before = {cid: dataclasses.asdict(c) for cid, c in idp.clients.items()}
    Baseline(idp).restore(idp)
    after = {cid: dataclasses.asdict(c) for cid, c in idp.clients.items()}
    assert after == before
    # Every field of Client is carried (a new field must be added to client_keywords).
    carried = set(client_keywords(idp.clients["full"]))
    renamed = {"token_endpoint_auth_methods": "token_endpoint_auth_method"}
    assert {renamed.get(f.name, f.name) for f in dataclasses.fields(Client)} - carried == {
        "disabled"
    }
