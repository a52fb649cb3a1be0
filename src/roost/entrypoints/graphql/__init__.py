"""The GraphQL API at /graphql: the same services as REST, another shape."""
