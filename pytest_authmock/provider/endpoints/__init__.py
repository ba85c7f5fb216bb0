"""The provider's HTTP endpoints, one module per family; :mod:`..routes` maps paths to them.

Every endpoint is ``handler(ctx: ProviderContext, request: ProviderRequest) -> httpx.Response``;
it raises :class:`~pytest_authmock.provider.errors.OAuthError` for an RFC-shaped
error answer and notes what the journal should know in ``request.trace``.
"""
