"""The checked-in SDL (schema.graphql) is the schema the code serves."""

from pathlib import Path

from roost.entrypoints.graphql.schema import build_schema

SDL = Path(__file__).parents[3] / "schema.graphql"


def test_schema_file_matches_the_code() -> None:
    served = build_schema(introspection=True).as_str()
    assert SDL.read_text().strip() == served.strip(), (
        "schema.graphql is stale: run `roost graphql-schema > schema.graphql`"
    )


def test_the_seed_names_are_kept() -> None:
    sdl = build_schema(introspection=True).as_str()
    assert "feeds(userID: UUID" in sdl
    assert "feeds_tweets: [FeedTweet!]!" in sdl
    assert "tweet_id: UUID!" in sdl
    assert "scalar UUID" in sdl
