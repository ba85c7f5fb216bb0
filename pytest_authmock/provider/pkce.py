"""PKCE (RFC 7636): the shape of verifiers and challenges, and the S256 transform."""

from __future__ import annotations

import base64
import hashlib
import re

# RFC 7636 §4.1/§4.2: verifier and S256 challenge are 43-128 unreserved characters.
PKCE_VALUE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def s256(verifier: str) -> str:
    """RFC 7636 §4.2: ``BASE64URL(SHA256(ASCII(code_verifier)))``."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
