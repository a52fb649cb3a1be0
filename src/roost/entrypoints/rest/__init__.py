"""The REST API (Litestar): parse, call one service, shape the response."""
