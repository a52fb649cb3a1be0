"""Registration, sessions, authentication and user look-up."""

from __future__ import annotations

import pytest

from .support import (
    DEFAULT_PASSWORD,
    Server,
    assert_error,
    assert_user,
    auth,
    describe,
    get_user,
    login,
    new_account,
    parse_timestamp,
    register,
    unique_handle,
)

# ---------------------------------------------------------------------------------------------
# POST /users


def test_register_returns_the_new_user(api: Server) -> None:
    handle = unique_handle("Reg")
    response = api.client.post("/users", json={"handle": handle, "password": DEFAULT_PASSWORD})
    assert response.status_code == 201, describe(response)
    assert response.headers["content-type"].startswith("application/json")
    user = response.json()
    assert_user(user, handle=handle)
    assert user["display_name"] == handle  # defaults to the handle
    assert user["followers_count"] == 0
    assert user["following_count"] == 0
    assert user["created_at"].endswith("Z")


def test_register_keeps_the_display_name(api: Server) -> None:
    handle = unique_handle("named")
    user = register(api.client, handle, display_name="Zo\u00eb the Bird \U0001f426")
    assert_user(user, handle=handle)
    assert user["display_name"] == "Zo\u00eb the Bird \U0001f426"


def test_user_ids_are_time_ordered_digit_strings(api: Server) -> None:
    first = register(api.client, unique_handle("first"))
    second = register(api.client, unique_handle("second"))
    assert first["id"] != second["id"]
    assert int(second["id"]) > int(first["id"])
    assert parse_timestamp(second["created_at"]) >= parse_timestamp(first["created_at"])


@pytest.mark.parametrize(
    "handle",
    [
        "abc",  # shortest
        "x" * 30,  # longest
        "Under_Score_123",
        "___",
        "123",
    ],
    ids=["3-chars", "30-chars", "mixed", "underscores", "digits"],
)
def test_register_accepts_valid_handles(api: Server, handle: str) -> None:
    # Each backend's shared database is fresh for the session, so these literals are free.
    response = api.client.post("/users", json={"handle": handle, "password": DEFAULT_PASSWORD})
    assert response.status_code == 201, describe(response)
    assert response.json()["handle"] == handle


@pytest.mark.parametrize(
    "handle",
    [
        "ab",
        "x" * 31,
        "",
        "has space",
        "dash-dash",
        "dot.dot",
        "at@sign",
        "\u00e9mile_accent",
        "emoji_\U0001f426",
        "tab\tchar",
    ],
    ids=[
        "2-chars",
        "31-chars",
        "empty",
        "space",
        "dash",
        "dot",
        "at",
        "non-ascii-letter",
        "emoji",
        "tab",
    ],
)
def test_register_rejects_invalid_handles(api: Server, handle: str) -> None:
    response = api.client.post("/users", json={"handle": handle, "password": DEFAULT_PASSWORD})
    assert_error(response, 422, "invalid_handle")


def test_register_rejects_taken_handles_ignoring_case(api: Server) -> None:
    handle = unique_handle("Taken")
    register(api.client, handle)
    for variant in (handle, handle.lower(), handle.upper()):
        response = api.client.post("/users", json={"handle": variant, "password": "other pass"})
        assert_error(response, 409, "handle_taken")
    # The original account is untouched: its password still works.
    assert login(api.client, handle)


@pytest.mark.parametrize("length", [8, 256], ids=["8-chars", "256-chars"])
def test_register_accepts_password_length_bounds(api: Server, length: int) -> None:
    handle = unique_handle("pw")
    password = ("p4ssw0rd" * 40)[:length]
    register(api.client, handle, password=password)
    assert login(api.client, handle, password=password)


@pytest.mark.parametrize("length", [0, 7, 257], ids=["empty", "7-chars", "257-chars"])
def test_register_rejects_bad_password_length(api: Server, length: int) -> None:
    handle = unique_handle("pw")
    response = api.client.post("/users", json={"handle": handle, "password": "p" * length})
    assert_error(response, 422, "invalid_password")
    # Nothing was created: the handle is still free.
    register(api.client, handle)


def test_register_display_name_is_at_most_50_characters(api: Server) -> None:
    ok = register(api.client, unique_handle("dn50"), display_name="d" * 50)
    assert ok["display_name"] == "d" * 50
    response = api.client.post(
        "/users",
        json={
            "handle": unique_handle("dn51"),
            "password": DEFAULT_PASSWORD,
            "display_name": "d" * 51,
        },
    )
    assert_error(response, 422, "invalid_display_name")


@pytest.mark.parametrize(
    "body",
    [
        {"handle": "HANDLE", "password": DEFAULT_PASSWORD, "is_admin": True},
        {"handle": "HANDLE", "password": DEFAULT_PASSWORD, "followers_count": 1000},
        {"handle": 12345, "password": DEFAULT_PASSWORD},
        {"handle": "HANDLE", "password": 12345678},
        {"handle": "HANDLE", "password": DEFAULT_PASSWORD, "display_name": 7},
        {"handle": None, "password": DEFAULT_PASSWORD},
        ["HANDLE", DEFAULT_PASSWORD],
        "HANDLE",
    ],
    ids=[
        "unknown-field",
        "read-only-field",
        "handle-int",
        "password-int",
        "display-name-int",
        "handle-null",
        "array",
        "string",
    ],
)
def test_register_rejects_malformed_bodies(api: Server, body: object) -> None:
    handle = unique_handle("bad")

    def substitute(value: object) -> object:
        if value == "HANDLE":
            return handle
        if isinstance(value, dict):
            return {key: substitute(item) for key, item in value.items()}
        if isinstance(value, list):
            return [substitute(item) for item in value]
        return value

    response = api.client.post("/users", json=substitute(body))
    assert_error(response, 422, "invalid_request")
    register(api.client, handle)  # nothing was created


@pytest.mark.parametrize(
    "body",
    [{"password": DEFAULT_PASSWORD}, {"handle": "HANDLE"}, {}],
    ids=["no-handle", "no-password", "empty-object"],
)
def test_register_rejects_missing_fields(api: Server, body: dict[str, str]) -> None:
    handle = unique_handle("miss")
    body = {key: handle if value == "HANDLE" else value for key, value in body.items()}
    response = api.client.post("/users", json=body)
    # A missing required field is a malformed request; the field-specific code is also accepted.
    assert_error(response, 422, {"invalid_request", "invalid_handle", "invalid_password"})


# ---------------------------------------------------------------------------------------------
# POST /sessions, DELETE /sessions


def test_login_returns_token_and_user(api: Server) -> None:
    handle = unique_handle("login")
    user = register(api.client, handle, display_name="Log In")
    response = api.client.post("/sessions", json={"handle": handle, "password": DEFAULT_PASSWORD})
    assert response.status_code == 201, describe(response)
    body = response.json()
    assert set(body) == {"token", "user"}, body
    assert isinstance(body["token"], str)
    assert len(body["token"]) >= 16
    assert body["user"] == user
    # The token works.
    me = api.client.get(f"/users/{handle}", headers=auth(body["token"]))
    assert me.status_code == 200, describe(me)


def test_each_login_gets_a_different_token(api: Server) -> None:
    handle = unique_handle("twice")
    register(api.client, handle)
    assert login(api.client, handle) != login(api.client, handle)


def test_login_with_wrong_password_is_rejected(api: Server) -> None:
    handle = unique_handle("wrongpw")
    register(api.client, handle)
    response = api.client.post("/sessions", json={"handle": handle, "password": "not the password"})
    assert_error(response, 401, "invalid_credentials")
    assert "token" not in response.text


def test_login_with_unknown_handle_is_rejected(api: Server) -> None:
    response = api.client.post(
        "/sessions", json={"handle": unique_handle("ghost"), "password": DEFAULT_PASSWORD}
    )
    assert_error(response, 401, "invalid_credentials")


@pytest.mark.parametrize(
    "body",
    [
        {"handle": "HANDLE", "password": DEFAULT_PASSWORD, "remember_me": True},
        {"handle": "HANDLE", "password": 12345678},
        {"handle": ["HANDLE"], "password": DEFAULT_PASSWORD},
    ],
    ids=["unknown-field", "password-int", "handle-list"],
)
def test_login_rejects_malformed_bodies(api: Server, body: dict[str, object]) -> None:
    handle = unique_handle("lbad")
    register(api.client, handle)
    body = {
        key: (handle if value == "HANDLE" else [handle] if value == ["HANDLE"] else value)
        for key, value in body.items()
    }
    response = api.client.post("/sessions", json=body)
    assert_error(response, 422, "invalid_request")


def test_logout_revokes_only_the_calling_token(api: Server) -> None:
    handle = unique_handle("logout")
    register(api.client, handle)
    first = login(api.client, handle)
    second = login(api.client, handle)

    response = api.client.delete("/sessions", headers=auth(first))
    assert response.status_code == 204, describe(response)
    assert response.content == b""

    revoked = api.client.get(f"/users/{handle}", headers=auth(first))
    assert_error(revoked, 401, "unauthorized")
    again = api.client.delete("/sessions", headers=auth(first))
    assert_error(again, 401, "unauthorized")
    posting = api.client.post("/tweet", json={"content": "still here?"}, headers=auth(first))
    assert_error(posting, 401, "unauthorized")

    # The other session of the same user is unaffected.
    other = api.client.get(f"/users/{handle}", headers=auth(second))
    assert other.status_code == 200, describe(other)
    # And logging in again gives a working token.
    third = login(api.client, handle)
    assert api.client.get(f"/users/{handle}", headers=auth(third)).status_code == 200


def test_logout_without_a_token_is_unauthorized(api: Server) -> None:
    assert_error(api.client.delete("/sessions"), 401, "unauthorized")


# ---------------------------------------------------------------------------------------------
# GET /users/{handle}


def test_get_user_by_handle_ignores_case(api: Server) -> None:
    viewer = new_account(api.client, "viewer")
    handle = unique_handle("MixedCase")
    created = register(api.client, handle, display_name="Mixed")
    for variant in (handle, handle.lower(), handle.upper()):
        user = get_user(api.client, viewer, variant)
        assert_user(user, handle=handle)  # the handle as registered, whatever the lookup case
        assert user == created


def test_get_unknown_user_is_not_found(api: Server) -> None:
    viewer = new_account(api.client, "viewer")
    response = api.client.get(f"/users/{unique_handle('nobody')}", headers=viewer.headers)
    assert_error(response, 404, "not_found")


def test_get_user_requires_authentication(api: Server) -> None:
    handle = unique_handle("private")
    register(api.client, handle)
    assert_error(api.client.get(f"/users/{handle}"), 401, "unauthorized")


def test_tokens_identify_their_own_user(api: Server) -> None:
    """Two users with the same password get distinct identities."""
    one = new_account(api.client, "same")
    two = new_account(api.client, "same")
    assert one.id != two.id
    assert get_user(api.client, one, one.handle)["id"] == one.id
    assert get_user(api.client, two, two.handle)["id"] == two.id
    # Each token belongs to its own user: posting with it attributes the post correctly.
    response = api.client.post("/tweet", json={"content": "who am I"}, headers=two.headers)
    assert response.status_code == 201, describe(response)
    assert response.json()["author"]["id"] == two.id
