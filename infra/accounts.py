"""Accounts: the Cognito user pool viewers sign in to, and the player's public app client.

Choices (Amazon Cognito Developer Guide, "User pools"):
- Email is the username (case-insensitive) and is verified by a mailed code; account
  recovery goes by verified email only.
- MFA is OFF: the API's sign-in answers no challenges (MFA would make every sign-in a
  SOFTWARE_TOKEN_MFA challenge it cannot complete). Turning it to OPTIONAL is a later,
  API-side change; the password policy (12+ characters, four classes) carries the risk.
- The app client is public (no secret): the player and the API call it the same way.
  Flows: USER_PASSWORD_AUTH (the API's sign-in), REFRESH_TOKEN_AUTH, USER_SRP_AUTH.
  Prevent-user-existence-errors is on, so sign-in does not reveal which emails exist;
  token revocation is on, so sign-out revokes refresh tokens.
- Access tokens live ACCESS_TOKEN_MINUTES: the API verifies them itself and so accepts a
  signed-out viewer's access token until it expires.
- Deletion protection is on unless the stack is a sandbox (`forceDestroy`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.config import StackConfig

EXPLICIT_AUTH_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH",
                       "ALLOW_USER_SRP_AUTH"]
PASSWORD_MINIMUM_LENGTH = 12
ACCESS_TOKEN_MINUTES = 60
ID_TOKEN_MINUTES = 60
REFRESH_TOKEN_DAYS = 30
CLIENT_NAME = "player"


@dataclass
class AccountsArgs:
    config: StackConfig


class Accounts(pulumi.ComponentResource):
    """The viewers' user pool and the player's public app client; ids for the API's settings."""

    def __init__(self, name: str, args: AccountsArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("edgeflix:accounts:Accounts", name, None, opts)
        cfg = args.config
        child = pulumi.ResourceOptions(parent=self)
        self.user_pool = aws.cognito.UserPool(
            f"{name}-viewers",
            name=cfg.name("viewers"),
            username_attributes=["email"],
            auto_verified_attributes=["email"],
            username_configuration=aws.cognito.UserPoolUsernameConfigurationArgs(
                case_sensitive=False),
            password_policy=aws.cognito.UserPoolPasswordPolicyArgs(
                minimum_length=PASSWORD_MINIMUM_LENGTH,
                require_lowercase=True,
                require_uppercase=True,
                require_numbers=True,
                require_symbols=True,
                temporary_password_validity_days=7,
            ),
            mfa_configuration="OFF",
            account_recovery_setting=aws.cognito.UserPoolAccountRecoverySettingArgs(
                recovery_mechanisms=[aws.cognito.UserPoolAccountRecoverySettingRecoveryMechanismArgs(
                    name="verified_email", priority=1)]),
            admin_create_user_config=aws.cognito.UserPoolAdminCreateUserConfigArgs(
                allow_admin_create_user_only=False),
            deletion_protection="INACTIVE" if cfg.force_destroy else "ACTIVE",
            tags={"edgeflix:purpose": "viewers"},
            opts=child,
        )
        self.client = aws.cognito.UserPoolClient(
            f"{name}-player",
            name=CLIENT_NAME,
            user_pool_id=self.user_pool.id,
            generate_secret=False,
            explicit_auth_flows=EXPLICIT_AUTH_FLOWS,
            prevent_user_existence_errors="ENABLED",
            enable_token_revocation=True,
            access_token_validity=ACCESS_TOKEN_MINUTES,
            id_token_validity=ID_TOKEN_MINUTES,
            refresh_token_validity=REFRESH_TOKEN_DAYS,
            token_validity_units=aws.cognito.UserPoolClientTokenValidityUnitsArgs(
                access_token="minutes", id_token="minutes", refresh_token="days"),
            opts=child,
        )
        self.user_pool_id = self.user_pool.id
        self.client_id = self.client.id
        self.register_outputs({"user_pool_id": self.user_pool_id, "client_id": self.client_id})
