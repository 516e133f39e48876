"""Cognito user pools and their app clients (cognito-idp)."""

from __future__ import annotations

from typing import Any

from ..context import Ctx
from ..registry import resource
from . import autoname, failed

# Token validity bounds (Amazon Cognito API Reference, CreateUserPoolClient), in minutes.
_MINUTES = {"seconds": 1 / 60, "minutes": 1, "hours": 60, "days": 24 * 60}
_VALIDITY = {
    "accessToken": ("AccessTokenValidity", 5, 24 * 60, "hours"),
    "idToken": ("IdTokenValidity", 5, 24 * 60, "hours"),
    "refreshToken": ("RefreshTokenValidity", 60, 10 * 365 * 24 * 60, "days"),
}


@resource("aws:cognito/userPool:UserPool")
def user_pool(ctx: Ctx) -> dict:
    name = autoname(ctx, max_len=128)
    i = ctx.inputs
    where: dict[str, str] = {"PoolName": "name"}
    params: dict[str, Any] = {"PoolName": name, **ctx.pick(i, {
        "UsernameAttributes": "usernameAttributes",
        "AutoVerifiedAttributes": "autoVerifiedAttributes",
        "MfaConfiguration": "mfaConfiguration",
        "DeletionProtection": "deletionProtection",
    }, where)}
    if i.get("usernameConfiguration"):
        params["UsernameConfiguration"] = ctx.pick(
            i["usernameConfiguration"], {"CaseSensitive": "caseSensitive"}, where,
            "UsernameConfiguration", "usernameConfiguration")
    if i.get("passwordPolicy"):
        params["Policies"] = {"PasswordPolicy": ctx.pick(i["passwordPolicy"], {
            "MinimumLength": "minimumLength", "RequireUppercase": "requireUppercase",
            "RequireLowercase": "requireLowercase", "RequireNumbers": "requireNumbers",
            "RequireSymbols": "requireSymbols",
            "TemporaryPasswordValidityDays": "temporaryPasswordValidityDays",
        }, where, "Policies.PasswordPolicy", "passwordPolicy")}
    recovery = (i.get("accountRecoverySetting") or {}).get("recoveryMechanisms")
    if recovery:
        params["AccountRecoverySetting"] = {"RecoveryMechanisms": [
            ctx.pick(m, {"Name": "name", "Priority": "priority"}, where,
                     f"AccountRecoverySetting.RecoveryMechanisms[{n}]",
                     f"accountRecoverySetting.recoveryMechanisms[{n}]")
            for n, m in enumerate(recovery)]}
    if i.get("adminCreateUserConfig"):
        params["AdminCreateUserConfig"] = ctx.pick(
            i["adminCreateUserConfig"], {"AllowAdminCreateUserOnly": "allowAdminCreateUserOnly"},
            where, "AdminCreateUserConfig", "adminCreateUserConfig")
    mfa = i.get("mfaConfiguration") or "OFF"
    if mfa != "OFF" and not (i.get("softwareTokenMfaConfiguration") or {}).get("enabled") \
            and not i.get("smsConfiguration") and not i.get("emailMfaConfiguration"):
        ctx.problem("mfaConfiguration", f"{mfa} needs a software token, SMS or email MFA "
                                        "configuration")
    if i.get("tags"):
        params["UserPoolTags"] = dict(i["tags"])
    resp = ctx.call("cognito-idp", "CreateUserPool", params, where)
    pool = (resp or {}).get("UserPool") or {}
    pool_id = pool.get("Id") or f"{ctx.region}_{ctx.fake_id('', 9)}"
    arn = pool.get("Arn") or ctx.arn("cognito-idp", f"userpool/{pool_id}")
    out = {"id": pool_id, "arn": arn, "name": name,
           "endpoint": f"cognito-idp.{ctx.region}.amazonaws.com/{pool_id}",
           "__summary__": f"{name} MFA {mfa}"}
    return out if resp is not None else failed(ctx, **out)


@resource("aws:cognito/userPoolClient:UserPoolClient")
def user_pool_client(ctx: Ctx) -> dict:
    i = ctx.inputs
    where: dict[str, str] = {}
    params = ctx.pick(i, {
        "UserPoolId": "userPoolId", "ClientName": "name", "GenerateSecret": "generateSecret",
        "ExplicitAuthFlows": "explicitAuthFlows",
        "PreventUserExistenceErrors": "preventUserExistenceErrors",
        "EnableTokenRevocation": "enableTokenRevocation",
        "AccessTokenValidity": "accessTokenValidity", "IdTokenValidity": "idTokenValidity",
        "RefreshTokenValidity": "refreshTokenValidity",
    }, where)
    units = i.get("tokenValidityUnits") or {}
    if units:
        params["TokenValidityUnits"] = ctx.pick(units, {
            "AccessToken": "accessToken", "IdToken": "idToken", "RefreshToken": "refreshToken",
        }, where, "TokenValidityUnits", "tokenValidityUnits")
    for wire, (member, low, high, default_unit) in _VALIDITY.items():
        value = i.get(f"{wire}Validity")
        if value is None:
            continue
        minutes = value * _MINUTES.get(units.get(wire) or default_unit, 1)
        if not low <= minutes <= high:
            ctx.problem(f"{wire}Validity", f"{value:g} {units.get(wire) or default_unit} is "
                                           f"outside {low}..{high} minutes ({member})")
    flows = i.get("explicitAuthFlows") or []
    if any(f.startswith("ALLOW_") for f in flows) and any(
            not f.startswith("ALLOW_") for f in flows):
        ctx.problem("explicitAuthFlows", "ALLOW_* flows cannot be mixed with legacy names")
    resp = ctx.call("cognito-idp", "CreateUserPoolClient", params, where)
    client = (resp or {}).get("UserPoolClient") or {}
    client_id = client.get("ClientId") or ctx.fake_id("", 26).lower()
    out = {"id": client_id, "clientSecret": client.get("ClientSecret", ""),
           "__summary__": f"{params.get('ClientName')} flows {flows}"}
    return out if resp is not None else failed(ctx, **out)
