"""The fake identity provider: a transport-agnostic core that turns requests into responses."""
