"""A real OAuth 2.0 / OpenID Connect client library on httpx.

It speaks the standards to whatever issuer it is given, found through
discovery, and knows nothing about the fake provider it is tested against.

* :class:`OAuthClient`: one issuer's endpoints (token, revocation,
  introspection, userinfo), with retries.
* :class:`OAuth2Auth` and :class:`BearerAuth`: ``httpx.Auth`` for managed and
  static tokens; :class:`TokenManager` renews, single-flight.
* :class:`AuthHome`, :class:`CredentialResolver`, :func:`login_password`,
  :func:`login_token`, :func:`logout`: what a command-line tool needs.
* :func:`ssl_context_from_pem`, :func:`ssl_context_from_pkcs12`: mTLS.
* :class:`DeviceFlow`, :func:`authorize_in_browser`, :func:`login_device`,
  :func:`login_browser`: the device-code and browser (PKCE) logins;
  :class:`ApiTokenAdmin`: create, list and revoke API tokens.
* :class:`PrivateKeyJwt`, :class:`ClientSecretJwt`: JWT client authentication;
  :class:`DPoPKey`: DPoP-bound tokens; :class:`JwtBearerGrant`,
  :class:`TokenExchangeGrant`: assertion grants (RFC 7523, RFC 8693).
* :func:`validate_token`, :class:`AccessTokenValidator`, :class:`JwksCache`,
  :func:`verify_id_token`: check a token with the provider, or locally with
  its keys (RFC 9068 access tokens, OIDC ID tokens).
* :func:`discover_resource`: from a protected API's 401 to its authorization
  server (RFC 9728 protected resource metadata, RFC 8414).
* :func:`register_client`: dynamic client registration (RFC 7591), and
  :func:`read_registration`, :func:`update_registration`,
  :func:`delete_registration` (RFC 7592).
* :func:`push_authorization_request`: pushed authorization requests (RFC 9126);
  ``authorize_in_browser(par=...)`` uses them.
* :func:`end_session_url`: the URL of RP-initiated logout (OIDC RP-Initiated
  Logout 1.0), which ends the provider's browser session.
"""

from pytest_authmock.client.access_tokens import AccessTokenValidator
from pytest_authmock.client.api_tokens import (
    ApiTokenAdmin,
    ApiTokenForbidden,
    ApiTokenInfo,
    ApiTokenNotFound,
    CreatedApiToken,
)
from pytest_authmock.client.assertion import ClientSecretJwt, PrivateKeyJwt
from pytest_authmock.client.auth import BearerAuth, OAuth2Auth
from pytest_authmock.client.browser_login import (
    AuthorizationCodeGrant,
    BrowserLoginDenied,
    BrowserLoginError,
    LoopbackRedirectListener,
    authorize_in_browser,
    pkce_pair,
)
from pytest_authmock.client.contexts import Context, ContextStore
from pytest_authmock.client.device import (
    DeviceAuthorization,
    DeviceCodeGrant,
    DeviceFlow,
    DeviceFlowCancelled,
    DeviceFlowDenied,
    DeviceFlowError,
    DeviceFlowExpired,
)
from pytest_authmock.client.discovery import ProviderMetadata
from pytest_authmock.client.dpop import DPoPKey
from pytest_authmock.client.end_session import aend_session_url, end_session_url
from pytest_authmock.client.errors import (
    AuthError,
    ConfigurationError,
    InvalidCredentials,
    InvalidToken,
    LoginRequired,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    StoreError,
    TokenExpired,
    TokenRevoked,
)
from pytest_authmock.client.exchange import JwtBearerGrant, TokenExchangeGrant
from pytest_authmock.client.grants import (
    ClientAuth,
    ClientCredentialsGrant,
    ClientSecretBasic,
    ClientSecretPost,
    Grant,
    NoClientAuth,
    PasswordGrant,
    RefreshTokenGrant,
    TlsClientAuth,
)
from pytest_authmock.client.home import AuthHome
from pytest_authmock.client.idtoken import verify_id_token
from pytest_authmock.client.interactive import login_browser, login_device
from pytest_authmock.client.jwks import JwksCache
from pytest_authmock.client.keys import FileKey, KeyringKey
from pytest_authmock.client.login import login_password, login_token, logout
from pytest_authmock.client.manager import TokenManager
from pytest_authmock.client.mtls import ssl_context_from_pem, ssl_context_from_pkcs12
from pytest_authmock.client.oauth import OAuthClient
from pytest_authmock.client.par import (
    PushedAuthorizationRequest,
    apush_authorization_request,
    push_authorization_request,
    pushed_authorization_url,
)
from pytest_authmock.client.redact import fingerprint
from pytest_authmock.client.registration import (
    RegisteredClient,
    RegistrationError,
    aregister_client,
    delete_registration,
    read_registration,
    register_client,
    update_registration,
)
from pytest_authmock.client.resolver import CredentialResolver, Credentials
from pytest_authmock.client.resource_discovery import (
    DiscoveredResource,
    ResourceMetadata,
    adiscover_resource,
    discover_resource,
    resource_metadata_url,
)
from pytest_authmock.client.retry import RetryPolicy
from pytest_authmock.client.status import AuthStatus, CredentialSource
from pytest_authmock.client.store import Session, TokenStore
from pytest_authmock.client.tokens import Token
from pytest_authmock.client.validate import TokenIdentity, avalidate_token, validate_token

__all__ = [
    "AccessTokenValidator",
    "ApiTokenAdmin",
    "ApiTokenForbidden",
    "ApiTokenInfo",
    "ApiTokenNotFound",
    "AuthError",
    "AuthHome",
    "AuthStatus",
    "AuthorizationCodeGrant",
    "BearerAuth",
    "BrowserLoginDenied",
    "BrowserLoginError",
    "ClientAuth",
    "ClientCredentialsGrant",
    "ClientSecretBasic",
    "ClientSecretJwt",
    "ClientSecretPost",
    "ConfigurationError",
    "Context",
    "ContextStore",
    "CreatedApiToken",
    "CredentialResolver",
    "CredentialSource",
    "Credentials",
    "DPoPKey",
    "DeviceAuthorization",
    "DeviceCodeGrant",
    "DeviceFlow",
    "DeviceFlowCancelled",
    "DeviceFlowDenied",
    "DeviceFlowError",
    "DeviceFlowExpired",
    "DiscoveredResource",
    "FileKey",
    "Grant",
    "InvalidCredentials",
    "InvalidToken",
    "JwksCache",
    "JwtBearerGrant",
    "KeyringKey",
    "LoginRequired",
    "LoopbackRedirectListener",
    "NoClientAuth",
    "OAuth2Auth",
    "OAuthClient",
    "PasswordGrant",
    "PrivateKeyJwt",
    "ProviderError",
    "ProviderMetadata",
    "ProviderUnavailable",
    "PushedAuthorizationRequest",
    "RateLimited",
    "RefreshTokenGrant",
    "RegisteredClient",
    "RegistrationError",
    "ResourceMetadata",
    "RetryPolicy",
    "Session",
    "StoreError",
    "TlsClientAuth",
    "Token",
    "TokenExchangeGrant",
    "TokenExpired",
    "TokenIdentity",
    "TokenManager",
    "TokenRevoked",
    "TokenStore",
    "adiscover_resource",
    "aend_session_url",
    "apush_authorization_request",
    "aregister_client",
    "authorize_in_browser",
    "avalidate_token",
    "delete_registration",
    "discover_resource",
    "end_session_url",
    "fingerprint",
    "login_browser",
    "login_device",
    "login_password",
    "login_token",
    "logout",
    "pkce_pair",
    "push_authorization_request",
    "pushed_authorization_url",
    "read_registration",
    "register_client",
    "resource_metadata_url",
    "ssl_context_from_pem",
    "ssl_context_from_pkcs12",
    "update_registration",
    "validate_token",
    "verify_id_token",
]
