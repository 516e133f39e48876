"""The OpenAPI 3.1 description of the API, served at /api/v1/openapi.json.

One concern, one document: DESIGN.md asks for one OpenAPI spec for the API, so
every operation's description lives here, however long.

Kept true by tests/app/test_openapi_conformance.py (schemathesis against the app).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response

from app.accounts_api import CONFIRMATION_CODE, EMAIL, PASSWORD, REFRESH_TOKEN
from app.catalog import TITLE_ID
from app.catalog_api import GENRE, MAX_LIMIT, MAX_OFFSET, MAX_TRENDING
from app.plan_store import IDEMPOTENCY_KEY
from app.plans import DEFAULT_PLAN, PLAN_NAMES
from app.playback_api import PROFILE
from app.playback_renewal import RENEWAL_TOKEN
from app.problems import PROBLEM_JSON
from app.profiles import MAX_PROFILES, PROFILE_ID, PROFILE_NAME

openapi_api = Blueprint("openapi", __name__, url_prefix="/api/v1")


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _json(ref: str, description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }
    if headers:
        response["headers"] = headers
    return response


_STRING = {"type": "string"}
_CACHE_HEADERS = {
    "ETag": {"required": True, "schema": _STRING},
    "Cache-Control": {"required": True, "schema": _STRING},
}
_NOT_MODIFIED = {
    "description": "The client's copy (If-None-Match) is current.",
    "headers": _CACHE_HEADERS,
}
_IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
}
_TITLE_ID = {
    "name": "title_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": TITLE_ID.pattern},
}
_PROFILE = {"type": "string", "pattern": PROFILE.pattern}
_COMMON_ERRORS = {
    "405": _problem("Method not allowed."),
    "500": _problem("Unexpected server error."),
}
_GRANT_HEADERS = {
    "Set-Cookie": {"required": True, "schema": _STRING},
    "Cache-Control": {"required": True, "schema": {"const": "private, no-store"}},
}
_NOT_READY = _problem(
    "A dependency (catalog, signing key, user pool keys) is not loaded yet, or sign-in "
    "is not configured."
)
_UNAUTHORIZED = _problem(
    "No bearer token, or an invalid one (expired, forged, another pool or client); "
    "see WWW-Authenticate."
)
# What a body carrying a play's renewal token may get wrong (renewal and release).
_RENEWAL_TOKEN_ERRORS = {
    "400": _problem("Malformed body or renewal token."),
    "401": _UNAUTHORIZED,
    "403": _problem(
        "Token invalid, another account's, for another title, or past its window."
    ),
    "404": _problem("No such title."),
    "413": _problem("Body too large."),
    "415": _problem("Body is not application/json."),
}
_SIGN_IN_DOWN = _problem("Sign-in is not configured or the user pool is unreachable.")
_BEARER = [{"cognito": []}]
_NO_STORE = {"Cache-Control": {"required": True, "schema": {"const": "private, no-store"}}}


def _body(ref: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def _strings(**patterns: str) -> dict[str, Any]:
    return _object({name: {"type": "string", "pattern": p} for name, p in patterns.items()})


_NO_CONTENT = {"description": "Done.", "headers": _NO_STORE}
_BODY_ERRORS = {
    "400": _problem("Malformed body, or refused by the user pool."),
    "413": _problem("Body too large."),
    "415": _problem("Body is not application/json."),
}
_COGNITO_ERRORS = {
    "429": _problem("Too many attempts."),
    "502": _problem("The user pool failed to answer."),
    "503": _SIGN_IN_DOWN,
}

_SUMMARY_PROPERTIES: dict[str, Any] = {
    "id": {"type": "string", "pattern": TITLE_ID.pattern},
    "title": _STRING,
    "year": {"type": "integer"},
    "genres": {"type": "array", "items": _STRING},
    "duration": {"type": "number", "minimum": 0},
    "popularity": {"type": "number", "minimum": 0, "maximum": 1},
    "poster_url": _STRING,
}
_RENDITION_PROPERTIES: dict[str, Any] = {
    "name": _STRING,
    "width": {"type": "integer"},
    "height": {"type": "integer"},
    "bandwidth": {"type": "integer"},
}


_PLAN_PROPERTIES: dict[str, Any] = {
    "name": {"enum": list(PLAN_NAMES)},
    "max_height": {
        "type": ["integer", "null"],
        "description": "The tallest rendition the plan plays, in pixels; null: every one.",
    },
    "streams": {"type": "integer", "minimum": 1, "description": "Concurrent streams."},
}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": sorted(properties),
        "properties": properties,
        "additionalProperties": False,
    }


SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": _STRING,
            "title": _STRING,
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": _STRING,
            "instance": _STRING,
        },
    },
    "TitleSummary": _object(_SUMMARY_PROPERTIES),
    "TitleDetail": _object(
        {
            **_SUMMARY_PROPERTIES,
            "synopsis": _STRING,
            "tags": {"type": "array", "items": _STRING},
            "renditions": {"type": "array", "items": _object(_RENDITION_PROPERTIES)},
            "playback_url": _STRING,
        }
    ),
    "TitlePage": _object(
        {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/TitleSummary"}},
            "total": {"type": "integer", "minimum": 0},
            "offset": {"type": "integer", "minimum": 0},
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            "next_offset": {"type": ["integer", "null"]},
        }
    ),
    "PlaybackRequest": {
        "type": "object",
        "properties": {"profile": _PROFILE},
        "additionalProperties": False,
    },
    "Playback": _object(
        {
            "title_id": {"type": "string", "pattern": TITLE_ID.pattern},
            "plan": {
                "enum": list(PLAN_NAMES),
                "description": "The plan the play is granted under: manifest_url is its "
                "master playlist, renditions and cookies cover what it plays.",
            },
            "manifest_url": _STRING,
            "renditions": {
                "type": "array",
                "items": _object({**_RENDITION_PROPERTIES, "playlist_url": _STRING}),
            },
            "expires_at": {"type": "integer", "description": "Epoch seconds."},
            "renew_after": {
                "type": "integer",
                "description": "Epoch seconds: renew the grant (POST .../playback/renewal) "
                "from then on, before expires_at.",
            },
            "renewal_token": {
                "type": "string",
                "pattern": RENEWAL_TOKEN.pattern,
                "description": "Proof of this play for renewals by the same account; "
                "valid for the renewal window (default 6 h) after the play was granted.",
            },
            "cookies": _object(
                {
                    "CloudFront-Policy": _STRING,
                    "CloudFront-Signature": _STRING,
                    "CloudFront-Key-Pair-Id": _STRING,
                }
            ),
        }
    ),
    "RenewalRequest": {
        "type": "object",
        "required": ["renewal_token"],
        "properties": {
            "renewal_token": {"type": "string", "pattern": RENEWAL_TOKEN.pattern},
            "profile": _PROFILE,
        },
        "additionalProperties": False,
    },
    "ReleaseRequest": {
        "type": "object",
        "required": ["renewal_token"],
        "properties": {"renewal_token": {"type": "string", "pattern": RENEWAL_TOKEN.pattern}},
        "additionalProperties": False,
    },
    "RecommendationList": _object(
        {
            "profile": {"type": ["string", "null"]},
            "source": {"enum": ["personalized", "trending", "popularity"]},
            "degraded": {"type": "boolean"},
            "items": {
                "type": "array",
                "items": _object(
                    {**_SUMMARY_PROPERTIES, "score": {"type": "number"}, "reason": _STRING}
                ),
            },
        }
    ),
    "Credentials": _strings(email=EMAIL.pattern, password=PASSWORD.pattern),
    "Confirmation": _strings(email=EMAIL.pattern, code=CONFIRMATION_CODE.pattern),
    "RefreshRequest": _strings(refresh_token=REFRESH_TOKEN.pattern),
    "ProfileRequest": _strings(name=PROFILE_NAME.pattern),
    "SignedUp": _object({"user_sub": _STRING, "confirmed": {"type": "boolean"}}),
    "Tokens": {
        "type": "object",
        "description": "OAuth 2.0 token response members (RFC 6749 §5.1); a refresh "
        "answers without refresh_token.",
        "required": ["access_token", "id_token", "token_type", "expires_in"],
        "properties": {
            "access_token": _STRING,
            "id_token": _STRING,
            "refresh_token": _STRING,
            "token_type": {"const": "Bearer"},
            "expires_in": {"type": "integer", "description": "Seconds."},
        },
        "additionalProperties": False,
    },
    "Profile": _object(
        {
            "id": {"type": "string", "pattern": PROFILE_ID.pattern},
            "name": _STRING,
            "created_at": _STRING,
        }
    ),
    "Plan": _object(_PLAN_PROPERTIES),
    "PlanList": _object(
        {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Plan"}},
            "default": {"const": DEFAULT_PLAN},
        }
    ),
    "AccountPlan": _object(
        {
            **_PLAN_PROPERTIES,
            "changed_at": {
                "type": ["string", "null"],
                "description": "ISO-8601 UTC of the last change; null: the default plan, "
                "never changed.",
            },
        }
    ),
    "PlanChange": _object({"plan": {"enum": list(PLAN_NAMES)}}),
    "ProfileList": _object(
        {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Profile"}},
            "max": {"const": MAX_PROFILES},
        }
    ),
    "TrendingList": _object(
        {
            "source": {
                "enum": ["plays", "popularity"],
                "description": "plays: ranked by the last two days' plays blended with "
                "catalog popularity; popularity: the plays table is slow or unreachable.",
            },
            "degraded": {"type": "boolean"},
            "items": {
                "type": "array",
                "items": _object(
                    {**_SUMMARY_PROPERTIES, "score": {"type": "number"}, "reason": _STRING}
                ),
            },
        }
    ),
    "Liveness": _object({"status": {"const": "ok"}}),
    "Readiness": _object(
        {
            "status": {"enum": ["ready", "not-ready"]},
            "checks": {
                "type": "object",
                "description": "The answering service's own checks (app/health.py): "
                "catalog, signing_key, table, or a subset of them.",
                "properties": {
                    "catalog": {"type": "boolean"},
                    "signing_key": {"type": "boolean"},
                    "table": {"type": "boolean"},
                },
                "additionalProperties": False,
            },
        }
    ),
}

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "edgeflix playback API",
        "version": "1.0.0",
        "description": "Catalog, signed HLS playback and recommendations.",
    },
    "paths": {
        "/healthz": {
            "get": {
                "operationId": "liveness",
                "summary": "Liveness: the process answers.",
                "responses": {"200": _json("Liveness", "Alive."), **_COMMON_ERRORS},
            }
        },
        "/readyz": {
            "get": {
                "operationId": "readiness",
                "summary": "Readiness of the answering service: its own dependencies "
                "(catalog, signing key, table, or some of them).",
                "responses": {
                    "200": _json("Readiness", "Ready."),
                    "503": _json("Readiness", "Not ready; `checks` says what is missing."),
                    **_COMMON_ERRORS,
                },
            }
        },
        "/api/v1/titles": {
            "get": {
                "operationId": "listTitles",
                "summary": "A page of titles, optionally of one genre.",
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_LIMIT,
                            "default": 20,
                        },
                    },
                    {
                        "name": "offset",
                        "in": "query",
                        "required": False,
                        "schema": {
                            "type": "integer",
                            "minimum": 0,
                            "maximum": MAX_OFFSET,
                            "default": 0,
                        },
                    },
                    {
                        "name": "genre",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "pattern": GENRE.pattern},
                    },
                    _IF_NONE_MATCH,
                ],
                "responses": {
                    "200": _json("TitlePage", "The page.", _CACHE_HEADERS),
                    "304": _NOT_MODIFIED,
                    "400": _problem("A malformed query parameter."),
                    "503": _NOT_READY,
                    **_COMMON_ERRORS,
                },
            }
        },
        "/api/v1/titles/{title_id}": {
            "get": {
                "operationId": "getTitle",
                "summary": "One title with its renditions.",
                "parameters": [_TITLE_ID, _IF_NONE_MATCH],
                "responses": {
                    "200": _json("TitleDetail", "The title.", _CACHE_HEADERS),
                    "304": _NOT_MODIFIED,
                    "404": _problem("No such title."),
                    "503": _NOT_READY,
                    **_COMMON_ERRORS,
                },
            }
        },
        "/api/v1/titles/{title_id}/playback": {
            "post": {
                "operationId": "authorisePlayback",
                "summary": "Authorise a signed-in viewer's play: manifest URL and CloudFront "
                "signed cookies.",
                "security": _BEARER,
                "description": "Sets CloudFront-Policy, CloudFront-Signature and "
                "CloudFront-Key-Pair-Id cookies scoped to the account's plan's folder of "
                "the title (/video/{title_id}/ for premium, .../standard/ and "
                ".../standard/basic/ below it) and returns the same values in `cookies`; "
                "manifest_url is that plan's master playlist. The play holds one of the "
                "plan's concurrent streams for its profile (a new play by the same "
                "profile takes its stream over) until the cookies expire, renewal "
                "extends it and release frees it. The play is counted, and "
                "added to the profile's history when a profile is given.",
                "parameters": [_TITLE_ID],
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/PlaybackRequest"}
                        }
                    },
                },
                "responses": {
                    "200": _json("Playback", "Authorised.", _GRANT_HEADERS),
                    "400": _problem("Malformed body."),
                    "401": _UNAUTHORIZED,
                    "403": _problem(
                        "The title needs a plan above the account's (PUT /api/v1/account/plan)."
                    ),
                    "404": _problem("No such title."),
                    "413": _problem("Body too large."),
                    "409": _problem(
                        "Every stream the plan allows is held by other profiles; see "
                        "Retry-After and the `streams` and `plan` members."
                    ),
                    "415": _problem("Body is not application/json."),
                    "429": _problem("Too many plays for this profile; see Retry-After."),
                    "503": _problem(
                        "A dependency (catalog, signing key, user pool keys) is not loaded "
                        "yet, sign-in is not configured, or the title needs a plan lookup "
                        "and neither the plans service nor a recently known plan answers; "
                        "see Retry-After."
                    ),
                    **_COMMON_ERRORS,
                },
            }
        },
        "/api/v1/titles/{title_id}/playback/renewal": {
            "post": {
                "operationId": "renewPlayback",
                "summary": "Renew a signed-in viewer's grant: fresh signed cookies for the "
                "same play.",
                "security": _BEARER,
                "description": "Answers like authorisePlayback, with new cookies and expiry "
                "and the same renewal_token. No play is counted. Call it at renew_after, "
                "and once when a playlist or segment answers 403. The renewal_token is "
                "bound to the account that was granted the play: another account's "
                "bearer token gets 403. A 403 here means the token is invalid, another "
                "account's, or older than the renewal window: start a new play.",
                "parameters": [_TITLE_ID],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/RenewalRequest"}
                        }
                    },
                },
                "responses": {
                    "200": _json("Playback", "Renewed.", _GRANT_HEADERS),
                    **_RENEWAL_TOKEN_ERRORS,
                    "409": _problem(
                        "The play's profile has started another play, or its stream "
                        "lapsed and the plan's streams are now held by other profiles."
                    ),
                    "429": _problem("Too many renewals for this profile; see Retry-After."),
                    "503": _NOT_READY,
                    **_COMMON_ERRORS,
                },
            }
        },
        "/api/v1/titles/{title_id}/playback/release": {
            "post": {
                "operationId": "releasePlayback",
                "summary": "End a signed-in viewer's play: free its stream at once.",
                "security": _BEARER,
                "description": "Body: the play's renewal_token. Frees the stream the play "
                "holds, if it still does, so another profile can start one; idempotent. "
                "Players send it when playback ends or the page is hidden (fetch with "
                "keepalive); a play never released frees its stream when its cookies "
                "expire.",
                "parameters": [_TITLE_ID],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ReleaseRequest"}
                        }
                    },
                },
                "responses": {
                    "204": {
                        "description": "Released, or nothing was held.",
                        "headers": {"Cache-Control": {"schema": _STRING}},
                    },
                    **_RENEWAL_TOKEN_ERRORS,
                    "503": _NOT_READY,
                    **_COMMON_ERRORS,
                },
            }
        },
        "/api/v1/recommendations": {
            "get": {
                "operationId": "recommend",
                "summary": "Because-you-watched, blended with trending.",
                "description": "When DynamoDB is slow or down the list falls back to catalog "
                "popularity and the X-Recommendations-Degraded header says why.",
                "parameters": [
                    {"name": "profile", "in": "query", "required": False, "schema": _PROFILE},
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10},
                    },
                ],
                "responses": {
                    "200": _json(
                        "RecommendationList",
                        "Ranked titles.",
                        {
                            "X-Recommendations-Source": {
                                "required": True,
                                "schema": {"enum": ["personalized", "trending", "popularity"]},
                            },
                            "X-Recommendations-Degraded": {
                                "required": False,
                                "schema": {
                                    "enum": ["dynamodb-timeout", "dynamodb-error", "circuit-open"]
                                },
                            },
                        },
                    ),
                    "400": _problem("A malformed query parameter."),
                    "503": _NOT_READY,
                    **_COMMON_ERRORS,
                },
            }
        },
        "/api/v1/trending": {
            "get": {
                "operationId": "trending",
                "summary": "Titles ranked by recent plays; the same for every viewer.",
                "description": "Served by the catalog service, so it answers while the "
                "recommendations service is down. When the plays table is slow or "
                "unreachable the list is ranked by catalog popularity and says so "
                "(`source`, X-Trending-Source, X-Trending-Degraded). Publicly cacheable "
                "for seconds.",
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {
                            "type": "integer", "minimum": 1, "maximum": MAX_TRENDING,
                            "default": 20,
                        },
                    },
                    _IF_NONE_MATCH,
                ],
                "responses": {
                    "200": _json(
                        "TrendingList",
                        "Ranked titles.",
                        {
                            **_CACHE_HEADERS,
                            "X-Trending-Source": {
                                "required": True,
                                "schema": {"enum": ["plays", "popularity"]},
                            },
                            "X-Trending-Degraded": {
                                "required": False,
                                "schema": {
                                    "enum": ["dynamodb-timeout", "dynamodb-error", "circuit-open"]
                                },
                            },
                        },
                    ),
                    "304": _NOT_MODIFIED,
                    "400": _problem("A malformed query parameter."),
                    "503": _NOT_READY,
                    **_COMMON_ERRORS,
                },
            }
        },
        "/api/v1/accounts": {
            "post": {
                "operationId": "signUp",
                "summary": "Create an account (Cognito SignUp); confirm it before signing in.",
                "requestBody": _body("Credentials"),
                "responses": {
                    "201": _json("SignedUp", "Created, unconfirmed.", _NO_STORE),
                    **_BODY_ERRORS,
                    "409": _problem("An account with this email exists."),
                    **_COGNITO_ERRORS,
                    **_COMMON_ERRORS,
                },
            }
        },
        "/api/v1/accounts/confirmation": {
            "post": {
                "operationId": "confirmSignUp",
                "summary": "Confirm an account with its emailed code (Cognito ConfirmSignUp).",
                "requestBody": _body("Confirmation"),
                "responses": {
                    "204": _NO_CONTENT,
                    **_BODY_ERRORS,
                    "401": _problem("Not authorised by the user pool."),
                    "403": _problem("The account cannot be confirmed."),
                    **_COGNITO_ERRORS,
                    **_COMMON_ERRORS,
                },
            }
        },
        "/api/v1/sessions": {
            "post": {
                "operationId": "signIn",
                "summary": "Sign in with email and password (USER_PASSWORD_AUTH).",
                "requestBody": _body("Credentials"),
                "responses": {
                    "200": _json("Tokens", "Signed in.", _NO_STORE),
                    **_BODY_ERRORS,
                    "401": _problem("Incorrect email or password."),
                    "403": _problem("Unconfirmed account, or a challenge this API cannot answer."),
                    **_COGNITO_ERRORS,
                    **_COMMON_ERRORS,
                },
            },
            "delete": {
                "operationId": "signOut",
                "summary": "Sign out everywhere (GlobalSignOut): refresh tokens are revoked; "
                "access tokens expire on their own.",
                "security": _BEARER,
                "responses": {
                    "204": _NO_CONTENT,
                    "401": _UNAUTHORIZED,
                    **_COGNITO_ERRORS,
                    **_COMMON_ERRORS,
                },
            },
        },
        "/api/v1/sessions/refresh": {
            "post": {
                "operationId": "refreshSession",
                "summary": "New access and id tokens for a refresh token (REFRESH_TOKEN_AUTH).",
                "requestBody": _body("RefreshRequest"),
                "responses": {
                    "200": _json("Tokens", "Refreshed.", _NO_STORE),
                    **_BODY_ERRORS,
                    "401": _problem("The refresh token is invalid, expired or revoked."),
                    "403": _problem("The account cannot sign in."),
                    **_COGNITO_ERRORS,
                    **_COMMON_ERRORS,
                },
            }
        },
        "/api/v1/profiles": {
            "get": {
                "operationId": "listProfiles",
                "summary": "The signed-in account's profiles.",
                "security": _BEARER,
                "responses": {
                    "200": _json("ProfileList", "The profiles, oldest first.", _NO_STORE),
                    "401": _UNAUTHORIZED,
                    "503": _SIGN_IN_DOWN,
                    **_COMMON_ERRORS,
                },
            },
            "post": {
                "operationId": "createProfile",
                "summary": f"Add a profile (at most {MAX_PROFILES} per account).",
                "security": _BEARER,
                "requestBody": _body("ProfileRequest"),
                "responses": {
                    "201": _json("Profile", "Created.", _NO_STORE),
                    **_BODY_ERRORS,
                    "401": _UNAUTHORIZED,
                    "409": _problem(f"The account already has {MAX_PROFILES} profiles."),
                    "503": _SIGN_IN_DOWN,
                    **_COMMON_ERRORS,
                },
            },
        },
        "/api/v1/profiles/{profile_id}": {
            "delete": {
                "operationId": "deleteProfile",
                "summary": "Remove one of the account's profiles.",
                "security": _BEARER,
                "parameters": [
                    {"name": "profile_id", "in": "path", "required": True, "schema": _STRING}
                ],
                "responses": {
                    "204": _NO_CONTENT,
                    "401": _UNAUTHORIZED,
                    "404": _problem("The account has no such profile."),
                    "503": _SIGN_IN_DOWN,
                    **_COMMON_ERRORS,
                },
            }
        },
        "/api/v1/plans": {
            "get": {
                "operationId": "listPlans",
                "summary": "The plans, lowest first, and the one a new account is on.",
                "responses": {
                    "200": _json("PlanList", "The plans.", _NO_STORE),
                    **_COMMON_ERRORS,
                },
            }
        },
        "/api/v1/account/plan": {
            "get": {
                "operationId": "getAccountPlan",
                "summary": "The signed-in account's plan (the default until it first changes).",
                "security": _BEARER,
                "responses": {
                    "200": _json("AccountPlan", "The plan.", _NO_STORE),
                    "401": _UNAUTHORIZED,
                    "503": _problem("Plans are unavailable, or sign-in is not configured."),
                    **_COMMON_ERRORS,
                },
            },
            "put": {
                "operationId": "changeAccountPlan",
                "summary": "Put the signed-in account on a plan, once per Idempotency-Key; "
                "effective for the next grant. No card data, no processor.",
                "description": "A retry with the same Idempotency-Key and body answers as "
                "the first request did, with `Idempotent-Replayed: true`; the same key with "
                "another body is 422 (IETF httpapi draft 'The Idempotency-Key HTTP Header "
                "Field'). Keys belong to the account.",
                "security": _BEARER,
                "parameters": [
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY.pattern},
                    }
                ],
                "requestBody": _body("PlanChange"),
                "responses": {
                    "200": _json(
                        "AccountPlan",
                        "Changed (or the first answer, replayed).",
                        {
                            **_NO_STORE,
                            "Idempotent-Replayed": {
                                "required": False, "schema": {"const": "true"}
                            },
                        },
                    ),
                    "400": _problem("No well-formed Idempotency-Key, or a malformed body."),
                    "401": _UNAUTHORIZED,
                    "409": _problem("The key's first request is still being processed."),
                    "413": _problem("Body too large."),
                    "415": _problem("Body is not application/json."),
                    "422": _problem("The Idempotency-Key was used with another body."),
                    "503": _problem("Plans are unavailable, or sign-in is not configured."),
                    **_COMMON_ERRORS,
                },
            },
        },
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document.",
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    **_COMMON_ERRORS,
                },
            }
        },
    },
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {
            "cognito": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "A Cognito user pool access token (app/auth.py).",
            }
        },
    },
}

_SPEC_BYTES = json.dumps(SPEC, separators=(",", ":")).encode()


@openapi_api.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI document."""
    response = Response(_SPEC_BYTES, mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
