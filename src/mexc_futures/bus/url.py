"""Where the bus is: ``--bus URL``, then ``MEXC_BUS_URL``, then ``[bus] url`` in a TOML file.

Accepted forms (redis-py's own URL grammar, narrowed to what the bus supports)::

    redis://127.0.0.1:6379/0        plain TCP, database 0 (port and database optional)
    rediss://bus.internal:6380/1    TLS (between machines: design §2.5)
    redis://trader@10.0.0.5:6379/0  an ACL user; its password from MEXC_BUS_PASSWORD

A password is never taken from the URL on the command line or in a file (it would sit in the
shell history, ``ps`` and the config file): such a URL is refused with a message that says to put
the password in ``MEXC_BUS_PASSWORD`` (the same rule as API secrets, reliability D15). Only an
URL from the environment may carry one. Pure: no I/O besides reading the named config file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from mexc_futures.errors import ConfigError

ENV_URL = "MEXC_BUS_URL"
ENV_PASSWORD = "MEXC_BUS_PASSWORD"  # noqa: S105  # nosec B105  # pragma: allowlist secret
DEFAULT_PORT = 6379
SCHEMES = ("redis", "rediss")


@dataclass(frozen=True, repr=False)
class BusURL:
    """A parsed bus address; ``repr``/``str`` never show the password."""

    host: str
    port: int = DEFAULT_PORT
    db: int = 0
    tls: bool = False
    username: str | None = None
    password: str | None = None
    source: str = "--bus"

    def __str__(self) -> str:
        user = f"{self.username}@" if self.username else ""
        return f"{'rediss' if self.tls else 'redis'}://{user}{self.host}:{self.port}/{self.db}"

    def __repr__(self) -> str:
        return f"BusURL({self!s}, password={'set' if self.password else 'none'})"

    @property
    def is_loopback(self) -> bool:
        return self.host in ("127.0.0.1", "localhost", "::1")


def parse_bus_url(text: str, *, source: str = "--bus", password: str | None = None) -> BusURL:
    """Parse ``text``; ``ConfigError`` naming ``source`` and the fix when it is not a bus URL."""
    text = text.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"{source}: {text!r} is not a valid bus URL ({exc}); "
                          "expected redis://HOST:PORT/DB, e.g. redis://127.0.0.1:6379/0") from None
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ConfigError(f"{source}: {text!r} is not a bus URL; expected redis://HOST:PORT/DB "
                          "(or rediss:// for TLS), e.g. redis://127.0.0.1:6379/0")
    if parts.password is not None and source != ENV_URL:
        raise ConfigError(f"{source}: the bus URL carries a password; remove it from the URL and "
                          f"set {ENV_PASSWORD} in the environment instead (a password on the "
                          "command line or in a file leaks into shell history and `ps`)")
    path = parts.path.strip("/")
    if path and not path.isdigit():
        raise ConfigError(f"{source}: database {path!r} in {text!r} must be a number (0-15)")
    if parts.query or parts.fragment:
        raise ConfigError(f"{source}: {text!r}: options after '?' or '#' are not supported")
    pw = unquote(parts.password) if parts.password is not None else password
    return BusURL(host=parts.hostname, port=port or DEFAULT_PORT, db=int(path or 0),
                  tls=parts.scheme == "rediss",
                  username=unquote(parts.username) if parts.username else None,
                  password=pw or None, source=source)


def bus_from_config(path: Path) -> str | None:
    """``[bus] url`` of a TOML file, or None when the file has no ``[bus]`` section."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the bus configuration: {exc}") from None
    section = data.get("bus")
    if section is None:
        return None
    if not isinstance(section, dict) or set(section) - {"url"}:
        raise ConfigError(f"{path}: [bus] takes one key, url = \"redis://HOST:PORT/DB\"")
    url = section.get("url")
    if url is not None and not isinstance(url, str):
        raise ConfigError(f"{path}: [bus] url must be a string like \"redis://127.0.0.1:6379/0\"")
    return url


def resolve_bus_url(cli: str | None, env: Mapping[str, str],
                    config_url: str | None = None, config_path: Path | None = None
                    ) -> BusURL | None:
    """The bus to use: ``--bus`` wins, then ``MEXC_BUS_URL``, then the config file; None = no bus
    (the default: one process, in-process callbacks, no Redis)."""
    password = env.get(ENV_PASSWORD) or None
    if cli:
        return parse_bus_url(cli, source="--bus", password=password)
    if env.get(ENV_URL):
        return parse_bus_url(env[ENV_URL], source=ENV_URL, password=password)
    if config_url:
        where = f"{config_path} [bus] url" if config_path else "config [bus] url"
        return parse_bus_url(config_url, source=where, password=password)
    return None
