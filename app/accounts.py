"""Sign-up, confirmation, sign-in, refresh and sign-out against a Cognito user pool.

The app client is public (no secret), so every call is one the viewer's own
device could make; the API makes it for them to keep one origin and one error
format. Flows: `SignUp`, `ConfirmSignUp`, `InitiateAuth` with USER_PASSWORD_AUTH
and REFRESH_TOKEN_AUTH, `GlobalSignOut` (Amazon Cognito API Reference). Cognito
errors become problem+json statuses (`COGNITO_ERRORS`); anything else from
Cognito is a 502, and an unreachable Cognito a 503.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from app.problems import Problem

log = logging.getLogger(__name__)

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="edgeflix"'}

# Cognito error code -> (HTTP status, detail). Details say what the viewer can do;
# NotAuthorized and UserNotFound read the same so sign-in does not reveal accounts.
COGNITO_ERRORS: dict[str, tuple[int, str]] = {
    "UsernameExistsException": (409, "An account with this email already exists."),
    "AliasExistsException": (409, "An account with this email already exists."),
    "InvalidPasswordException": (400, "The password does not meet the password policy."),
    "InvalidParameterException": (400, "The request was rejected by the user pool."),
    "CodeMismatchException": (400, "The confirmation code is wrong."),
    "ExpiredCodeException": (400, "The confirmation code has expired."),
    "NotAuthorizedException": (401, "Incorrect email, password or token."),
    "UserNotFoundException": (401, "Incorrect email, password or token."),
    "UserNotConfirmedException": (403, "Confirm the account before signing in."),
    "PasswordResetRequiredException": (403, "The password must be reset first."),
    "TooManyRequestsException": (429, "Too many requests; try again later."),
    "LimitExceededException": (429, "Too many attempts; try again later."),
    "TooManyFailedAttemptsException": (429, "Too many failed attempts; try again later."),
}


@dataclass(frozen=True)
class Tokens:
    """A sign-in's tokens; `refresh_token` is None on a refresh (Cognito keeps the old one)."""

    access_token: str
    id_token: str
    refresh_token: str | None
    expires_in: int

    def as_dict(self) -> dict[str, Any]:
        """The JSON answer (OAuth 2.0 token response member names, RFC 6749 §5.1)."""
        document: dict[str, Any] = {
            "access_token": self.access_token,
            "id_token": self.id_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }
        if self.refresh_token is not None:
            document["refresh_token"] = self.refresh_token
        return document


def cognito_problem(exc: ClientError | BotoCoreError) -> Problem:
    """The problem+json error for a failed Cognito call."""
    if isinstance(exc, BotoCoreError):
        log.warning("cognito unreachable: %s", exc)
        return Problem(503, "Sign-in is unavailable right now.", retry_after=5)
    code = exc.response.get("Error", {}).get("Code", "")
    status, detail = COGNITO_ERRORS.get(code, (502, "The user pool failed to answer."))
    if status == 502:
        log.warning("cognito error %s: %s", code, exc)
    extensions: dict[str, Any] = {"response_headers": CHALLENGE} if status == 401 else {}
    return Problem(status, detail, **extensions)


class Accounts:
    """The user pool's public-client flows for one app client (thread-safe: boto3 client)."""

    def __init__(self, cognito: Any, client_id: str) -> None:
        self._idp = cognito
        self.client_id = client_id

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return getattr(self._idp, operation)(ClientId=self.client_id, **kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise cognito_problem(exc) from None

    def sign_up(self, email: str, password: str) -> dict[str, Any]:
        """Create an unconfirmed account; {"user_sub", "confirmed"}. 409 if it exists."""
        answer = self._call(
            "sign_up",
            Username=email,
            Password=password,
            UserAttributes=[{"Name": "email", "Value": email}],
        )
        return {"user_sub": answer["UserSub"], "confirmed": bool(answer["UserConfirmed"])}

    def confirm(self, email: str, code: str) -> None:
        """Confirm an account with the code Cognito sent; 400 for a wrong or expired code."""
        self._call("confirm_sign_up", Username=email, ConfirmationCode=code)

    def sign_in(self, email: str, password: str) -> Tokens:
        """USER_PASSWORD_AUTH; 401 for a wrong email or password."""
        return self._tokens("USER_PASSWORD_AUTH", {"USERNAME": email, "PASSWORD": password})

    def refresh(self, refresh_token: str) -> Tokens:
        """REFRESH_TOKEN_AUTH: new access and id tokens; 401 for a bad or revoked token."""
        return self._tokens("REFRESH_TOKEN_AUTH", {"REFRESH_TOKEN": refresh_token})

    def _tokens(self, flow: str, parameters: dict[str, str]) -> Tokens:
        answer = self._call("initiate_auth", AuthFlow=flow, AuthParameters=parameters)
        result = answer.get("AuthenticationResult")
        if result is None:
            # MFA or a forced password change: not offered by this API's pool.
            challenge = answer.get("ChallengeName", "unknown")
            raise Problem(403, f"Sign-in needs the {challenge} challenge, not supported here.")
        return Tokens(
            access_token=result["AccessToken"],
            id_token=result["IdToken"],
            refresh_token=result.get("RefreshToken"),
            expires_in=int(result["ExpiresIn"]),
        )

    def sign_out(self, access_token: str) -> None:
        """GlobalSignOut: revokes the account's refresh tokens on every device.

        Access tokens already issued stay valid (for this API too) until their
        `exp`; the pool's short access-token validity bounds that window.
        """
        try:
            self._idp.global_sign_out(AccessToken=access_token)
        except (ClientError, BotoCoreError) as exc:
            raise cognito_problem(exc) from None
