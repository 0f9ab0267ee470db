"""Environments and credentials (spec §1; reliability.md "Security").

* ``Environment``: where to connect. ``Environment.live()`` uses REST ``https://api.mexc.com`` and
  WS ``wss://contract.mexc.com/edge`` (both overridable); ``Environment.local(host, port)`` points
  at the emulator. TLS is mandatory for live; plain ``http``/``ws`` is allowed only for loopback
  hosts.
* ``Credentials``: the API key and secret. ``repr``/``str`` show the key masked (``mx0v…EY01``)
  and never the secret.
* ``load_credentials``: ``MEXC_API_KEY``/``MEXC_API_SECRET`` from the environment, then a ``.env``
  file that must be mode 0600, then the OS keyring (service ``mexc-futures``). Secrets are never
  taken from command-line arguments; ``reject_cli_secrets(argv)`` lets the CLI enforce that, and
  ``reject_loaded_secret(argv, creds)`` checks a loaded secret (the CLI reads ``.env`` and the
  keyring only for commands that need credentials).

Every failure raises ``ConfigError`` with the command or setting that fixes it; no secret value
ever appears in a message.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from mexc_futures.errors import ConfigError
from mexc_futures.protocol.signing import Signer, mask_key

__all__ = [
    "EMULATOR_PORT",
    "ENV_API_KEY",
    "ENV_API_SECRET",
    "ENV_EMULATOR_URL",
    "ENV_REST_URL",
    "ENV_WS_URL",
    "KEYRING_SERVICE",
    "LIVE_REST_URL",
    "LIVE_WS_URL",
    "Credentials",
    "Environment",
    "load_credentials",
    "parse_env_file",
    "reject_cli_secrets",
    "reject_loaded_secret",
]

log = logging.getLogger(__name__)

LIVE_REST_URL = "https://api.mexc.com"
LIVE_WS_URL = "wss://contract.mexc.com/edge"
ENV_API_KEY = "MEXC_API_KEY"  # pragma: allowlist secret
ENV_API_SECRET = "MEXC_API_SECRET"  # noqa: S105  # nosec B105  # pragma: allowlist secret
ENV_REST_URL = "MEXC_REST_URL"
ENV_WS_URL = "MEXC_WS_URL"
ENV_EMULATOR_URL = "MEXC_EMULATOR_URL"
EMULATOR_PORT = 8000  # `mexc-futures emulator` and Environment.local() agree (ux-audit 17)
KEYRING_SERVICE = "mexc-futures"

_SETUP_HELP = (
    "Provide credentials in one of these ways: (1) export MEXC_API_KEY=... and "
    "MEXC_API_SECRET=... in the environment; (2) put both lines in a .env file and run "
    "'chmod 600 .env'; (3) store them in the OS keyring: 'keyring set mexc-futures MEXC_API_KEY' "
    "and 'keyring set mexc-futures MEXC_API_SECRET'. Never pass secrets as command-line arguments."
)


def _is_loopback(host: str) -> bool:
    if host.lower() in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(url: str, *, secure: str, plain: str, live: bool, what: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host:
        raise ConfigError(f"{what} {url!r} has no host; use e.g. {secure}://host")
    if parts.scheme == secure:
        return url.rstrip("/")
    if parts.scheme == plain:
        if live:
            raise ConfigError(
                f"{what} {url!r} is not encrypted; the live exchange requires {secure}://"
            )
        if not _is_loopback(host):
            raise ConfigError(
                f"{what} {url!r}: plain {plain}:// is allowed only for loopback hosts "
                f"(127.0.0.1, ::1, localhost); use {secure}:// for {host}"
            )
        return url.rstrip("/")
    raise ConfigError(f"{what} {url!r} must start with {secure}:// (or {plain}:// on loopback)")


@dataclass(frozen=True, slots=True)
class Environment:
    """Where to connect. Construct via ``live()``, ``local()`` or ``from_env()``; URL schemes are
    checked at construction (TLS for live and for any non-loopback host)."""

    name: str
    rest_url: str
    ws_url: str
    is_live: bool

    def __post_init__(self) -> None:
        rest = _check_url(
            self.rest_url, secure="https", plain="http", live=self.is_live, what="REST URL"
        )
        ws = _check_url(self.ws_url, secure="wss", plain="ws", live=self.is_live, what="WS URL")
        object.__setattr__(self, "rest_url", rest)
        object.__setattr__(self, "ws_url", ws)

    @classmethod
    def live(cls, rest_url: str = LIVE_REST_URL, ws_url: str = LIVE_WS_URL) -> Environment:
        """The real exchange (spec §1); the URLs may be overridden (e.g. the legacy host)."""
        return cls(name="live", rest_url=rest_url, ws_url=ws_url, is_live=True)

    @classmethod
    def local(
        cls, host: str = "127.0.0.1", port: int = EMULATOR_PORT, *, ws_path: str = "/edge"
    ) -> Environment:
        """The emulator on ``host:port`` over plain HTTP/WS (default: where ``mexc-futures
        emulator`` listens by default)."""
        netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        return cls(
            name="local",
            rest_url=f"http://{netloc}",
            ws_url=f"ws://{netloc}{ws_path}",
            is_live=False,
        )

    @classmethod
    def from_url(cls, url: str) -> Environment:
        """An emulator at ``url`` (``http://127.0.0.1:8000``); its WebSocket is ``/edge``."""
        base = url.rstrip("/")
        ws = "ws" + base[len("http") :] if base.startswith("http") else base
        return cls(name="local", rest_url=base, ws_url=ws + "/edge", is_live=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Environment:
        """``MEXC_EMULATOR_URL`` when set (an emulator, like the CLI); otherwise live, with
        ``MEXC_REST_URL``/``MEXC_WS_URL`` overrides when set."""
        env = os.environ if environ is None else environ
        if env.get(ENV_EMULATOR_URL):
            return cls.from_url(env[ENV_EMULATOR_URL])
        return cls.live(
            rest_url=env.get(ENV_REST_URL) or LIVE_REST_URL,
            ws_url=env.get(ENV_WS_URL) or LIVE_WS_URL,
        )


class Credentials:
    """An API key pair. ``repr``/``str`` show the key masked (``mx0v…EY01``), never the secret.

    Deliberately not a dataclass (reliability D15): ``dataclasses.asdict``/``astuple`` and any
    field dump would copy the secret out; here they raise, as do ``vars()``, pickling and
    ``copy.deepcopy``. Immutable; ``secret`` is a read-only property."""

    __slots__ = ("_secret", "api_key", "source")

    api_key: str
    source: str
    _secret: str

    def __init__(self, api_key: str, secret: str, source: str = "explicit") -> None:
        if not api_key.strip() or not secret.strip():
            raise ConfigError("API key and secret must both be non-empty. " + _SETUP_HELP)
        object.__setattr__(self, "api_key", api_key)
        object.__setattr__(self, "_secret", secret)
        object.__setattr__(self, "source", source)

    @property
    def secret(self) -> str:
        """The API secret (only for signing; never print it)."""
        return self._secret

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Credentials are immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Credentials):
            return NotImplemented
        return (self.api_key, self._secret, self.source) == (
            other.api_key,
            other._secret,
            other.source,
        )

    def __hash__(self) -> int:
        return hash((self.api_key, self._secret, self.source))

    @property
    def masked_key(self) -> str:
        """The key as shown to users."""
        return mask_key(self.api_key)

    def __repr__(self) -> str:
        return f"Credentials(api_key={self.masked_key!r}, source={self.source!r})"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("Credentials hold a secret and cannot be pickled")

    def signer(self) -> Signer:
        """A ``Signer`` with the HMAC key precomputed."""
        return Signer(self.api_key, self.secret)


_ENV_LINE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")


def parse_env_file(path: Path, *, check_mode: bool = True) -> dict[str, str]:
    """Parse ``KEY=VALUE`` lines (``export`` prefix, ``#`` comments, blank lines and matching
    quotes allowed). Refuses a file readable or writable by group/other (POSIX) with the
    ``chmod 600`` command in the message. Bad lines are reported by number, never by content."""
    if check_mode and os.name == "posix":
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(
                f"{path} has mode {stat.S_IMODE(mode):04o}; it holds secrets and must not be "
                f"readable by others. Run: chmod 600 {path}"
            )
    result: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        match = _ENV_LINE.match(text)
        if match is None:
            raise ConfigError(f"{path}, line {number}: expected KEY=VALUE")
        result[match.group(1)] = _env_value(match.group(2).strip())
    return result


def _env_value(value: str) -> str:
    """``"s" # note`` -> ``s``; ``'a b'`` -> ``a b``; ``v # note`` -> ``v`` (ux-audit 15: a
    quoted value followed by a comment kept its quotes)."""
    if value[:1] in ("'", '"'):
        end = value.find(value[0], 1)
        after = value[end + 1 :].strip() if end > 0 else "x"
        if after == "" or after.startswith("#"):
            return value[1:end]
    if " #" in value:
        return value.split(" #", 1)[0].rstrip()
    return value


def _keyring_lookup(name: str) -> str | None:
    """Read ``name`` from the OS keyring (service ``mexc-futures``); ``None`` when the
    ``keyring`` package or a backend is unavailable."""
    try:
        import keyring
    except ImportError:
        return None
    try:
        value = keyring.get_password(KEYRING_SERVICE, name)
    except Exception:  # keyring backends raise assorted errors when no backend exists
        log.debug("OS keyring unavailable", exc_info=False)
        return None
    return value if isinstance(value, str) and value else None


def _pair(source: Mapping[str, str], origin: str) -> Credentials | None:
    key = source.get(ENV_API_KEY, "").strip()
    secret = source.get(ENV_API_SECRET, "").strip()
    if key and secret:
        return Credentials(api_key=key, secret=secret, source=origin)
    if key or secret:
        missing = ENV_API_SECRET if key else ENV_API_KEY
        raise ConfigError(f"{origin} sets only one of the two credentials: {missing} is missing.")
    return None


def load_credentials(
    env_file: Path | None = None,
    *,
    use_keyring: bool = True,
    environ: Mapping[str, str] | None = None,
) -> Credentials:
    """Find the API key pair: environment variables, then ``env_file`` (default ``./.env`` when
    it exists; must be mode 0600), then the OS keyring. Raises ``ConfigError`` saying what to do
    when nothing is found or a source is unsafe or half-filled."""
    env = os.environ if environ is None else environ
    creds = _pair(env, "the environment")
    if creds is None:
        path = env_file if env_file is not None else Path(".env")
        if env_file is not None and not path.exists():
            raise ConfigError(f"{path} does not exist. " + _SETUP_HELP)
        if path.exists():
            creds = _pair(parse_env_file(path), str(path))
    if creds is None and use_keyring:
        key, secret = _keyring_lookup(ENV_API_KEY), _keyring_lookup(ENV_API_SECRET)
        if key and secret:
            creds = Credentials(api_key=key, secret=secret, source="keyring")
    if creds is None:
        raise ConfigError("No MEXC API credentials found. " + _SETUP_HELP)
    log.debug("credentials for %s loaded from %s", creds.masked_key, creds.source)
    return creds


_SECRET_OPTION = re.compile(
    r"^--?(?:mexc[-_])?(?:api[-_]?)?(?:secret|secret[-_]key|key|password|passphrase|token)(?:=|$)",
    re.IGNORECASE,
)
_SECRET_ASSIGN = re.compile(r"^MEXC_API_(?:KEY|SECRET)=", re.IGNORECASE)


def _configured_secrets(
    env: Mapping[str, str], env_file: Path | None, use_keyring: bool
) -> list[str]:
    """Every secret ``load_credentials`` could use: the environment's, ``env_file``'s (default
    ``./.env``) and the keyring's (reliability-audit D15: only the environment's was known)."""
    found = [env.get(ENV_API_SECRET, "").strip()]
    path = env_file if env_file is not None else Path(".env")
    if path.is_file():
        # an unreadable .env is reported by load_credentials itself
        with contextlib.suppress(ConfigError, OSError, UnicodeDecodeError):
            found.append(parse_env_file(path, check_mode=False).get(ENV_API_SECRET, "").strip())
    if use_keyring:
        found.append((_keyring_lookup(ENV_API_SECRET) or "").strip())
    return [secret for secret in found if len(secret) >= 8]


def reject_cli_secrets(
    argv: Sequence[str],
    environ: Mapping[str, str] | None = None,
    *,
    env_file: Path | None = None,
    use_keyring: bool = True,
    stored: bool = True,
) -> None:
    """Raise ``ConfigError`` if ``argv`` carries a secret: an option such as ``--api-secret`` /
    ``--key=``, a ``MEXC_API_SECRET=...`` assignment, or the value of a configured secret
    (from the environment, ``.env`` or the keyring). The message names the argument position,
    never its value.

    ``stored=False`` checks only the options and the environment's secret: no ``.env`` read,
    no keyring query. The CLI starts with that (most commands need no secret) and checks the
    secret it loads with ``reject_loaded_secret`` when a command needs credentials."""
    env = os.environ if environ is None else environ
    if stored:
        secrets = _configured_secrets(env, env_file, use_keyring)
    else:
        secrets = [s for s in [env.get(ENV_API_SECRET, "").strip()] if len(s) >= 8]
    _refuse(argv, secrets)


def reject_loaded_secret(argv: Sequence[str], credentials: Credentials) -> None:
    """Raise ``ConfigError`` if ``argv`` contains the secret of ``credentials`` (just loaded from
    the environment, ``.env`` or the keyring; reliability-audit D15, checked lazily)."""
    secret = credentials.secret.strip()
    _refuse(argv, [secret] if len(secret) >= 8 else [])


def _refuse(argv: Sequence[str], secrets: Sequence[str]) -> None:
    for index, arg in enumerate(argv):
        option = arg.split("=", 1)[0]
        if _SECRET_OPTION.match(arg) or _SECRET_ASSIGN.match(arg):
            raise ConfigError(
                f"argument {index} ({option!s}) would put a secret on the command line, where "
                "shell history and process lists expose it. " + _SETUP_HELP
            )
        if any(secret in arg for secret in secrets):
            raise ConfigError(
                f"argument {index} contains the API secret; remove it. " + _SETUP_HELP
            )
