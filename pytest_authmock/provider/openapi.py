"""The OpenAPI 3.1 description of the API-token management endpoints."""

from __future__ import annotations

from typing import Any

from pytest_authmock.provider.flow_state import FlowSettings

_ERROR = {"$ref": "#/components/schemas/Error"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


def openapi_document(issuer: str, settings: FlowSettings) -> dict[str, Any]:
    admin = settings.api_token_admin_scope
    token_fields: dict[str, Any] = {
        "id": {"type": "string", "example": "tok_3f2a9c1b7d6e5a40"},
        "name": {"type": "string", "maxLength": 100},
        "scopes": {"type": "array", "items": {"type": "string"}},
        "created_at": {"type": "string", "format": "date-time"},
        "expires_at": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "null: the token never expires",
        },
        "last_used_at": {"type": ["string", "null"], "format": "date-time"},
        "expired": {"type": "boolean"},
        "bound_to_session": {
            "type": "boolean",
            "description": "only the session (device) that created it may revoke it",
        },
        "client_id": {"type": "string"},
        "username": {"type": ["string", "null"]},
    }
    security = [{"bearer": [admin]}]
    common_errors = {
        "401": _error("no, an unknown, an expired or a revoked bearer token (RFC 6750)"),
        "403": _error(f"the bearer token lacks the {admin!r} scope (RFC 6750 insufficient_scope)"),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "pytest-authmock API tokens",
            "version": "1",
            "description": (
                "Create, list and revoke API tokens: opaque bearer tokens for automation that "
                "protected resources accept like any access token. The secret is returned once, "
                "by the create call."
            ),
        },
        "servers": [{"url": issuer}],
        "security": security,
        "paths": {
            "/api/tokens": {
                "get": {
                    "operationId": "listApiTokens",
                    "summary": "List the caller's API tokens (never their secrets)",
                    "responses": {
                        "200": {
                            "description": "the caller's live tokens, oldest first",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "tokens": {
                                                "type": "array",
                                                "items": {"$ref": "#/components/schemas/ApiToken"},
                                            }
                                        },
                                    }
                                }
                            },
                        },
                        **common_errors,
                    },
                },
                "post": {
                    "operationId": "createApiToken",
                    "summary": "Create an API token",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/NewApiToken"}
                            }
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "created; `token` is the secret, shown only here",
                            "headers": {"Location": {"schema": {"type": "string"}}},
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/CreatedApiToken"}
                                }
                            },
                        },
                        "400": _error("invalid_request or invalid_scope"),
                        **common_errors,
                    },
                },
            },
            "/api/tokens/{id}": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "get": {
                    "operationId": "getApiToken",
                    "summary": "One of the caller's API tokens",
                    "responses": {
                        "200": {
                            "description": "the token (without its secret)",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/ApiToken"}
                                }
                            },
                        },
                        "404": _error("no such token of the caller"),
                        **common_errors,
                    },
                },
                "delete": {
                    "operationId": "revokeApiToken",
                    "summary": "Revoke an API token; it stops working at once",
                    "responses": {
                        "204": {"description": "revoked"},
                        "404": _error("no such token of the caller"),
                        **common_errors,
                        "403": _error(
                            "insufficient_scope, or access_denied: the token is bound to "
                            "another session (device)"
                        ),
                    },
                },
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "oauth2",
                    "description": f"an access token with the {admin!r} scope",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": issuer + "/oauth2/token",
                            "scopes": {admin: "manage API tokens"},
                        }
                    },
                }
            },
            "schemas": {
                "ApiToken": {
                    "type": "object",
                    "properties": token_fields,
                    "required": sorted(token_fields),
                },
                "CreatedApiToken": {
                    "allOf": [
                        {"$ref": "#/components/schemas/ApiToken"},
                        {
                            "type": "object",
                            "properties": {"token": {"type": "string"}},
                            "required": ["token"],
                        },
                    ]
                },
                "NewApiToken": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string", "minLength": 1, "maxLength": 100},
                        "scopes": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "default: the creating token's scopes, "
                            "without the admin scope; never more than it has",
                        },
                        "expires_in": {
                            "type": ["integer", "null"],
                            "minimum": 1,
                            "description": "seconds; null or absent: never expires",
                        },
                        "bind_to_session": {"type": "boolean", "default": False},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {"type": "string"},
                        "error_description": {"type": "string"},
                    },
                },
            },
        },
    }
