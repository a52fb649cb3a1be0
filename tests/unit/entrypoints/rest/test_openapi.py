"""The OpenAPI document declares roost's error body, statuses, security and links."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from roost.entrypoints.rest.app import create_app
from roost.settings import Settings

PUBLIC = {("POST", "/users"), ("POST", "/sessions"), ("GET", "/healthz"), ("GET", "/metrics")}
ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path: Path = tmp_path_factory.mktemp("openapi") / "roost.db"
    app = create_app(Settings(database_url=f"sqlite:///{path}"))
    built: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(app.openapi_schema.to_schema()))
    return built


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        if not path.startswith("/graphql")
        for method, operation in item.items()
        if method in {"get", "post", "delete"}
    }


def test_public_operations_declare_no_security_and_the_others_bearer(
    document: dict[str, Any],
) -> None:
    assert "security" not in document
    for key, operation in _operations(document).items():
        if key in PUBLIC:
            assert "security" not in operation, key
        else:
            assert operation["security"] == [{"bearer": []}], key
            assert "401" in operation["responses"], key


def test_every_error_response_is_roosts_error_body(document: dict[str, Any]) -> None:
    for key, operation in _operations(document).items():
        for status, response in operation["responses"].items():
            if int(status) >= 400 and status != "503":
                assert response["content"]["application/json"]["schema"] == ERROR_REF, key
    assert document["components"]["schemas"]["ErrorBody"]["required"] == ["error"]


def test_statuses_follow_from_what_an_operation_takes(document: dict[str, Any]) -> None:
    operations = _operations(document)
    publish = operations[("POST", "/tweet")]["responses"]
    assert {"400", "401", "404", "413", "422", "429"} <= set(publish)
    assert set(operations[("GET", "/tweets/{tweet_id}")]["responses"]) == {"200", "401", "404"}
    assert "409" in operations[("POST", "/users")]["responses"]
    assert set(operations[("GET", "/healthz")]["responses"]) == {"200", "503"}
    retry = operations[("POST", "/sessions")]["responses"]["429"]["headers"]["Retry-After"]
    assert retry["required"] is True


def test_a_new_tweet_links_to_reading_and_deleting_it(document: dict[str, Any]) -> None:
    operations = _operations(document)
    links = operations[("POST", "/tweet")]["responses"]["201"]["links"]
    targets = {link["operationId"] for link in links.values()}
    assert operations[("GET", "/tweets/{tweet_id}")]["operationId"] in targets
    assert operations[("DELETE", "/tweets/{tweet_id}")]["operationId"] in targets
    assert all(link["parameters"] == {"tweet_id": "$response.body#/id"} for link in links.values())
    user_links = operations[("POST", "/users")]["responses"]["201"]["links"]
    assert all(
        link["parameters"] == {"handle": "$response.body#/handle"} for link in user_links.values()
    )
