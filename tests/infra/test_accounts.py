"""The viewers' user pool and the player's app client (infra/accounts.py)."""

from __future__ import annotations

from test_api_fleet import _api_env_file, _user_data

from app.settings import settings_from_environment
from infra.accounts import EXPLICIT_AUTH_FLOWS
from twin import seed


def test_user_pool_signs_in_by_verified_email(dev_stack):
    pool = dev_stack.one("aws:cognito/userPool:UserPool").inputs
    assert pool["usernameAttributes"] == ["email"]
    assert pool["autoVerifiedAttributes"] == ["email"]
    assert pool["usernameConfiguration"] == {"caseSensitive": False}
    assert pool["accountRecoverySetting"]["recoveryMechanisms"] == [
        {"name": "verified_email", "priority": 1}]


def test_password_policy_and_mfa_trade_off(dev_stack):
    pool = dev_stack.one("aws:cognito/userPool:UserPool").inputs
    policy = pool["passwordPolicy"]
    assert policy["minimumLength"] >= 12
    assert all(policy[k] for k in ("requireLowercase", "requireUppercase", "requireNumbers",
                                   "requireSymbols"))
    # The API answers no MFA challenge (module docstring): MFA stays off until it does.
    assert pool["mfaConfiguration"] == "OFF"


def test_user_pool_is_protected_from_deletion_unless_force_destroy(dev_stack):
    # The harness's stack sets no forceDestroy, so it is a protected (non-sandbox) stack.
    assert dev_stack.one("aws:cognito/userPool:UserPool").inputs["deletionProtection"] == (
        "ACTIVE")


def test_app_client_is_public_with_the_api_s_flows(dev_stack):
    pool = dev_stack.one("aws:cognito/userPool:UserPool")
    client = dev_stack.one("aws:cognito/userPoolClient:UserPoolClient").inputs
    assert client["userPoolId"] == pool.outputs["id"]
    assert client["generateSecret"] is False
    assert client["explicitAuthFlows"] == EXPLICIT_AUTH_FLOWS
    assert {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"} <= set(EXPLICIT_AUTH_FLOWS)
    assert client["preventUserExistenceErrors"] == "ENABLED"
    assert client["enableTokenRevocation"] is True
    assert (client["accessTokenValidity"], client["tokenValidityUnits"]["accessToken"]) == (
        60, "minutes")


def test_the_twin_seeds_the_same_app_client_flows():
    assert seed.USER_POOL_AUTH_FLOWS == EXPLICIT_AUTH_FLOWS


def test_fleet_env_names_the_pool_and_client_and_exports_them(dev_stack):
    pool = dev_stack.one("aws:cognito/userPool:UserPool").outputs["id"]
    client = dev_stack.one("aws:cognito/userPoolClient:UserPoolClient").outputs["id"]
    settings = settings_from_environment(_api_env_file(_user_data(dev_stack)))
    assert (settings.user_pool_id, settings.user_pool_client_id) == (pool, client)
    assert settings.sign_in_configured
    # On AWS the JWKS and issuer derive from region and pool id (app/settings.py).
    assert settings.jwks == (
        f"https://cognito-idp.us-east-1.amazonaws.com/{pool}/.well-known/jwks.json")
    assert (dev_stack.exports["user_pool_id"], dev_stack.exports["user_pool_client_id"]) == (
        pool, client)
