"""The token endpoint's grants, one module each; :mod:`..routes` registers them.

A grant module has a ``GRANT_TYPE`` and a ``grant(request: GrantRequest) -> dict``
returning the token response body; :mod:`.base` holds what grants share.
"""
