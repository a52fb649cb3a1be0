"""The service endpoints that need no account: health, the OpenAPI document, the docs page."""

from __future__ import annotations

from .support import Server, describe


def test_healthz_answers_ok_without_authentication(api: Server) -> None:
    response = api.client.get("/healthz")
    assert response.status_code == 200, describe(response)
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"status": "ok"}


def test_openapi_document_lists_the_api(api: Server) -> None:
    response = api.client.get("/openapi.json")
    assert response.status_code == 200, describe(response)
    document = response.json()
    assert isinstance(document, dict)
    assert isinstance(document.get("openapi"), str)
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path in (
        "/feed",
        "/tweet",
        "/users",
        "/sessions",
        "/tweets/{tweet_id}/like",
        "/tweets/{tweet_id}/repost",
        "/tweets/{tweet_id}/replies",
        "/mentions",
        "/notifications",
        "/notifications/unread_count",
        "/notifications/read",
        "/stream",
    ):
        assert path in paths, sorted(paths)
    assert "post" in paths["/tweet"]
    assert "get" in paths["/feed"]


def test_docs_page_is_html(api: Server) -> None:
    response = api.client.get("/docs", follow_redirects=True)
    assert response.status_code == 200, describe(response)
    assert response.headers["content-type"].startswith("text/html"), response.headers
    assert "<html" in response.text.lower()
