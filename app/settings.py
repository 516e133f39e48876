"""The playback API's runtime contract: every setting, its environment variable and default.

`Settings` is the one table. Each field declares its default and, through
`env_setting(...)`, the variable(s) it is read from and its lower bound;
`settings_from_environment()` reads them and `environment_from_settings()`
renders them, so the Pulumi program (user data), the local twin and the tests
build the API's environment from the same names. Importing this module loads
neither Flask nor boto3.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import Field, dataclass, field, fields, replace
from typing import Any, get_type_hints

from app.catalog import CATALOG_KEY

# Every variable the API owns starts with this; the twin drops inherited ones.
ENV_PREFIX = "EDGEFLIX_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_VARIABLE = "edgeflix.environment"


@dataclass(frozen=True)
class EnvironmentVariable:
    """Where one setting comes from: its variable names, in order, and its lower bound.

    `blank_is_unset` follows the AWS SDKs' convention for their standard variables
    (`AWS_REGION=""` counts as unset); the API's own variables take a blank value as given.
    """

    names: tuple[str, ...]
    minimum: float | None = None
    blank_is_unset: bool = False

    @property
    def name(self) -> str:
        """The variable a rendered environment sets."""
        return self.names[0]


def env_setting(default: Any, *names: str, minimum: float | None = None,
                     blank_is_unset: bool = False) -> Any:
    """A Settings field read from the first of `names` that is set (a dataclass field)."""
    variable = EnvironmentVariable(names, minimum, blank_is_unset)
    return field(default=default, metadata={_VARIABLE: variable})


@dataclass(frozen=True)
class Settings:
    """Every knob of the API; defaults suit the local twin on loopback."""

    bucket: str = env_setting("edgeflix-media", "EDGEFLIX_BUCKET")
    catalog_key: str = env_setting(CATALOG_KEY, "EDGEFLIX_CATALOG_KEY")
    signing_secret_id: str = env_setting(
        "edgeflix/cloudfront-signing-key", "EDGEFLIX_SIGNING_SECRET_ID")
    table: str = env_setting("edgeflix-plays", "EDGEFLIX_TABLE")
    # The key id a bare-PEM signing secret signs under; a rotation document names its own.
    key_pair_id: str = env_setting("K2JCJMDEHXQW5F", "EDGEFLIX_KEY_PAIR_ID")
    # Seconds between re-reads of the signing secret: the longest a key switch takes
    # to reach a worker (infra/rotation.py waits this long before retiring a key).
    signing_key_refresh_seconds: float = env_setting(
        60.0, "EDGEFLIX_SIGNING_KEY_REFRESH_SECONDS", minimum=1)
    cdn_url: str = env_setting("http://127.0.0.1:8080", "EDGEFLIX_CDN_URL")
    # Seconds a playback grant's signed cookies stay valid.
    cookie_ttl: int = env_setting(600, "EDGEFLIX_COOKIE_TTL", minimum=60)
    cookie_secure: bool = env_setting(True, "EDGEFLIX_COOKIE_SECURE")
    region: str = env_setting("us-east-1", "AWS_REGION", "AWS_DEFAULT_REGION",
                                   blank_is_unset=True)
    endpoint_url: str | None = env_setting(None, "AWS_ENDPOINT_URL", blank_is_unset=True)
    # How often the catalog is re-fetched with a conditional GET; 0 disables the
    # background refresher (tests call CatalogStore.refresh() themselves).
    catalog_refresh_seconds: float = env_setting(
        30.0, "EDGEFLIX_CATALOG_REFRESH_SECONDS", minimum=0)
    # Plays are batched and written by a background writer this often; 0 writes
    # them synchronously on the request path (used by tests that read them back).
    play_flush_seconds: float = env_setting(1.0, "EDGEFLIX_PLAY_FLUSH_SECONDS", minimum=0)
    # Budget for the DynamoDB part of a recommendation before falling back.
    recommendation_deadline_seconds: float = env_setting(
        0.25, "EDGEFLIX_RECOMMENDATION_DEADLINE_SECONDS", minimum=0.01)
    # Per-process caches of plays-table reads that tolerate bounded staleness
    # (app/play_reads.py): seconds a read is reused before DynamoDB is asked again;
    # 0 disables that cache. Trending: every title's daily play counters.
    trending_cache_seconds: float = env_setting(
        30.0, "EDGEFLIX_TRENDING_CACHE_SECONDS", minimum=0)
    # A title's co-play counters (recommendation signals); this worker's own
    # increments show at once, other workers' within this many seconds.
    coplay_cache_seconds: float = env_setting(30.0, "EDGEFLIX_COPLAY_CACHE_SECONDS", minimum=0)
    # A profile's recently played titles; this worker's own plays show at once,
    # plays granted by other workers within this many seconds.
    history_cache_seconds: float = env_setting(10.0, "EDGEFLIX_HISTORY_CACHE_SECONDS", minimum=0)
    # Per-profile playback authorisations per minute in one worker; 0 disables.
    plays_per_minute: int = env_setting(60, "EDGEFLIX_PLAYS_PER_MINUTE", minimum=0)
    # How long after a play's grant its renewal token still renews the cookies: a
    # feature film plus generous pauses. Past it the player starts a new play.
    renewal_window_seconds: int = env_setting(
        21600, "EDGEFLIX_RENEWAL_WINDOW_SECONDS", minimum=60)
    # Per-profile grant renewals per minute in one worker; 0 disables. A player
    # renews once per cookie TTL (plus a retry on a 403), so this is generous.
    renewals_per_minute: int = env_setting(12, "EDGEFLIX_RENEWALS_PER_MINUTE", minimum=0)
    # The Cognito user pool and public app client that sign viewers in (app/auth.py);
    # without both, the accounts API is unavailable (503).
    user_pool_id: str | None = env_setting(None, "EDGEFLIX_USER_POOL_ID", blank_is_unset=True)
    user_pool_client_id: str | None = env_setting(
        None, "EDGEFLIX_USER_POOL_CLIENT_ID", blank_is_unset=True)
    # The tokens' `iss` and the pool's JWKS; unset, both derive from region and pool id
    # as on AWS. The twin sets the JWKS URL to the moto server's (FACTS.md).
    token_issuer: str | None = env_setting(None, "EDGEFLIX_TOKEN_ISSUER", blank_is_unset=True)
    jwks_url: str | None = env_setting(None, "EDGEFLIX_JWKS_URL", blank_is_unset=True)
    # Which service this process runs (app/service_map.py): catalog, accounts, plans,
    # recommendations, or `all` of them in one process (local development and tests).
    service: str = env_setting("all", "EDGEFLIX_SERVICE")
    # Where the catalog service asks for an account's plan (the plans service's base
    # URL, e.g. http://127.0.0.1:8082 on a shared instance); unset, it reads the plan
    # of record from the table itself (app/plan_store.py).
    plans_url: str | None = env_setting(None, "EDGEFLIX_PLANS_URL", blank_is_unset=True)
    # Seconds an account's plan, once read, is reused before the plans service is asked
    # again; and the oldest (seconds since it was read) a last known plan may be and still
    # be used while the plans service is down (bounded staleness), after which
    # plan-gated playback gets a 503 (app/plan_lookup.py).
    plan_cache_seconds: float = env_setting(30.0, "EDGEFLIX_PLAN_CACHE_SECONDS", minimum=0)
    plan_stale_seconds: float = env_setting(900.0, "EDGEFLIX_PLAN_STALE_SECONDS", minimum=0)
    # Not from the environment: a property of the API's own request bodies.
    max_body_bytes: int = 4096

    @property
    def cdn_base(self) -> str:
        """The CDN base URL without a trailing slash."""
        return self.cdn_url.rstrip("/")

    @property
    def sign_in_configured(self) -> bool:
        """Both the user pool and its app client are set."""
        return bool(self.user_pool_id and self.user_pool_client_id)

    @property
    def issuer(self) -> str:
        """The tokens' expected `iss`: https://cognito-idp.<region>.amazonaws.com/<pool id>."""
        if self.token_issuer:
            return self.token_issuer
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @property
    def jwks(self) -> str:
        """Where the pool's public keys are fetched: `<issuer>/.well-known/jwks.json` by default."""
        return self.jwks_url or f"{self.issuer}/.well-known/jwks.json"

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        """A copy with the given fields replaced (tests pass plain dicts)."""
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        return replace(self, **dict(overrides))


def _flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("expected true or false")


def _number(kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            return kind(text)
        except ValueError:
            raise ValueError(f"expected a {kind.__name__}") from None

    return parse


_PARSERS: dict[Any, Callable[[str], Any]] = {
    str: str, str | None: str, bool: _flag, int: _number(int), float: _number(float),
}


def _render(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class _Setting:
    field: Field
    variable: EnvironmentVariable
    parse: Callable[[str], Any]

    def read(self, name: str, text: str) -> Any:
        """`text` parsed and bounds-checked; ValueError names the variable."""
        try:
            value = self.parse(text)
        except ValueError as exc:
            raise ValueError(f"{name}={text!r}: {exc}") from None
        minimum = self.variable.minimum
        if minimum is not None and value < minimum:
            raise ValueError(f"{name}={text!r}: must be >= {minimum}")
        return value


def _table() -> dict[str, _Setting]:
    hints = get_type_hints(Settings)
    return {
        f.name: _Setting(f, f.metadata[_VARIABLE], _PARSERS[hints[f.name]])
        for f in fields(Settings)
        if _VARIABLE in f.metadata
    }


_SETTINGS = _table()


def settings_from_environment(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from `env` (default `os.environ`); unset variables leave the default.

    Raises ValueError naming the variable, its value and what was expected.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for name, setting in _SETTINGS.items():
        for variable in setting.variable.names:
            text = env.get(variable)
            if text is None or (text == "" and setting.variable.blank_is_unset):
                continue
            values[name] = setting.read(variable, text)
            break
    return Settings(**values)


def environment_from_settings(values: Settings | Mapping[str, Any]) -> dict[str, str]:
    """The environment variables that give these settings, as {name: text}.

    A Settings renders every field read from the environment (None left out); a
    mapping of field names renders only those fields, so a caller may leave the
    rest to the API's defaults. Each value is checked as the API will read it:
    ValueError names the variable for a value out of bounds, and names the field
    when it is unknown or not read from the environment.
    """
    if isinstance(values, Settings):
        values = {name: getattr(values, name) for name in _SETTINGS}
    env: dict[str, str] = {}
    for name, value in values.items():
        setting = _SETTINGS.get(name)
        if setting is None:
            raise ValueError(f"{name!r} is not a setting read from the environment")
        if value is None:
            continue
        text = _render(value)
        setting.read(setting.variable.name, text)
        env[setting.variable.name] = text
    return env
