"""What every command shares: where to connect, output (table or ``--json``), errors that teach.

Targets (``open_target``), in this order:

* ``--live`` — the real exchange (``Environment.from_env()``); keys from ``MEXC_API_KEY`` /
  ``MEXC_API_SECRET``, a 0600 ``.env`` or the OS keyring (``config.load_credentials``);
* ``--emulator-url URL`` (or ``MEXC_EMULATOR_URL``) — an emulator already running
  (``mexc-futures emulator``); keys from the same sources as live;
* otherwise a fresh emulator started in-process on 127.0.0.1 with its own generated keys. Its
  account lives only as long as the command: use ``mexc-futures emulator`` plus
  ``--emulator-url`` for state that carries from one command to the next. Symbols are checked
  against the emulator's catalogue first (it would otherwise invent a contract for any name).

``connect(opts, keys=...)`` opens the target and a ``RestClient`` on it in one step.

State that must outlive one command (the journal and the kill-switch latch) lives in
``--state-dir`` (``MEXC_FUTURES_HOME``, default ``~/.mexc-futures``), one sub-directory per
account: ``live``, ``emulator-HOST-PORT`` for each emulator you started, ``emulator`` for the
in-process one (``Options.target_key``).

Errors: ``MexcError`` subclasses become a one-paragraph message that says what to do, exit code 1
(``CliError``); usage errors keep click's exit code 2. Library log records are shown from
``ERROR`` up (``-v``: ``INFO``, ``-vv``: ``DEBUG``) so that retries do not drown the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import msgspec
from rich.console import Console
from rich.table import Table

from mexc_futures.cli.keys import load_cli_credentials
from mexc_futures.config import Credentials, Environment
from mexc_futures.errors import (
    ApiError,
    AuthError,
    ConfigError,
    KillSwitchActive,
    MexcError,
    TransportError,
    ValidationError,
)
from mexc_futures.execution.common import RiskRejected
from mexc_futures.execution.facade import TradingOff
from mexc_futures.transport.rest import RestClient

if TYPE_CHECKING:
    from mexc_futures.emulator.server.server import Emulator

T = TypeVar("T")
ENV_EMULATOR_URL = "MEXC_EMULATOR_URL"
ENV_HOME = "MEXC_FUTURES_HOME"

def kill_help(opts: Options | None = None) -> str:
    """What to do about a tripped kill switch (commands spelled for the target kind)."""
    pre = "mexc-futures --live" if opts is not None and opts.live else "mexc-futures"
    return (
        f"Check what is open with `{pre} orders` and `{pre} positions`, fix the cause, "
        f"then re-arm with `{pre} kill --reset`."
    )


class CliError(click.ClickException):
    """A failure explained to the user (exit code 1)."""

    exit_code = 1


@dataclass(frozen=True)
class Options:
    """Group-level options, stored on the click context."""

    live: bool = False
    emulator_url: str | None = None
    state_dir: Path | None = None
    seed: int = 1
    speed: float = 1.0
    verbose: int = 0

    @property
    def kind(self) -> str:
        """``live`` or ``emulator``."""
        return "live" if self.live else "emulator"

    @property
    def target_key(self) -> str:
        """Which account the state belongs to: ``live``; ``emulator-HOST-PORT`` for an emulator
        you started (each its own journal and kill switch: ux-audit finding 14); ``emulator``
        for the fresh in-process one."""
        if self.live:
            return "live"
        url = emulator_url(self)
        if not url:
            return "emulator"
        where = re.sub(r"^[a-z]+://", "", url.rstrip("/"))
        return "emulator-" + re.sub(r"[^A-Za-z0-9.]+", "-", where).strip("-")

    def home(self) -> Path:
        """Directory for the journal and the kill-switch latch of this target (0700, in a base
        directory created 0700; ux finding 14, reliability D15)."""
        base = self.state_dir or Path(os.environ.get(ENV_HOME) or Path.home() / ".mexc-futures")
        base.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = base / self.target_key
        path.mkdir(exist_ok=True, mode=0o700)
        return path

    @property
    def journal_path(self) -> Path:
        """SQLite journal of this target kind."""
        return self.home() / "journal.sqlite"


@dataclass
class Target:
    """An open connection target."""

    env: Environment
    credentials: Credentials | None
    emulator: Emulator | None
    options: Options

    @property
    def live(self) -> bool:
        """Whether orders here cost real money."""
        return self.env.is_live


def options(ctx: click.Context) -> Options:
    """The group options of this invocation."""
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Options) else Options()


def _local_env(url: str) -> Environment:
    base = url.rstrip("/")
    ws = "ws" + base[len("http") :] + "/edge" if base.startswith("http") else base + "/edge"
    return Environment(name="local", rest_url=base, ws_url=ws, is_live=False)


def emulator_url(opts: Options) -> str | None:
    """The URL of an external emulator to use (``--emulator-url`` / env), if any."""
    return None if opts.live else (opts.emulator_url or os.environ.get(ENV_EMULATOR_URL) or None)


def check_emulator_symbols(symbols: Sequence[str]) -> None:
    """``CliError`` naming the valid symbols when one is not in the emulator's catalogue."""
    from mexc_futures.emulator.venue.contracts import build_contracts

    known = build_contracts()
    unknown = [s for s in symbols if s.upper() not in known]
    if unknown:
        some = ", ".join(list(known)[:8])
        raise CliError(
            f"Unknown symbol {', '.join(unknown)}: the built-in emulator lists {len(known)} "
            f"contracts ({some}, ...). See them all with `mexc-futures ticker`."
        )


@contextlib.asynccontextmanager
async def open_target(
    opts: Options,
    *,
    keys: bool,
    symbols: Sequence[str] | None = None,
    venue_options: dict[str, Any] | None = None,
) -> AsyncIterator[Target]:
    """Connect to the chosen target; ``keys`` loads credentials (``cli.keys``; ``ConfigError``
    says how).

    ``symbols`` limits an in-process emulator to those contracts (checked to exist first);
    ``venue_options`` go to its venue (e.g. ``{"flow_rate": 12.0}``).
    """
    if opts.live:
        creds = load_cli_credentials() if keys else None
        yield Target(Environment.from_env(), creds, None, opts)
        return
    url = emulator_url(opts)
    if url:
        creds = load_cli_credentials() if keys else None
        yield Target(_local_env(url), creds, None, opts)
        return
    from mexc_futures.emulator.server.server import Emulator

    if symbols:
        check_emulator_symbols(symbols)
    async with Emulator(
        seed=opts.seed, speed=opts.speed, symbols=symbols, venue_options=venue_options
    ) as ex:
        yield Target(ex.env, ex.credentials, ex, opts)


@contextlib.asynccontextmanager
async def connect(opts: Options, *, keys: bool) -> AsyncIterator[tuple[Target, RestClient]]:
    """``open_target`` plus a ``RestClient`` on it (signed when ``keys``)."""
    async with open_target(opts, keys=keys) as t, RestClient(t.env, t.credentials) as rest:
        yield t, rest


@contextlib.contextmanager
def journal_path(target: Target, prefix: str = "mexc-futures-") -> Iterator[Path]:
    """Where the journal of this target lives: the state dir, or a throw-away directory for an
    in-process emulator (whose account dies with the command)."""
    if target.emulator is None:
        yield target.options.journal_path
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield Path(tmp) / "journal.sqlite"


def setup_logging(verbose: int) -> None:
    """Library logs on stderr: errors only by default, ``-v`` info, ``-vv`` debug."""
    level = (logging.ERROR, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    lib = logging.getLogger("mexc_futures")
    lib.handlers[:] = [handler]
    lib.setLevel(level)
    lib.propagate = False


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine, turning library errors into messages that say what to do."""
    try:
        return asyncio.run(coro)
    except KeyboardInterrupt:
        raise click.Abort() from None
    except MexcError as exc:
        raise CliError(explain(exc)) from None


@contextlib.contextmanager
def explained() -> Iterator[None]:
    """Turn library errors raised outside ``run`` into ``CliError`` messages."""
    try:
        yield
    except MexcError as exc:
        raise CliError(explain(exc)) from None


def _current_options() -> Options:
    ctx = click.get_current_context(silent=True)
    return options(ctx) if ctx is not None else Options()


EMULATOR_KEYS_HELP = (
    "An emulator accepts only its own test keys: export MEXC_API_KEY and MEXC_API_SECRET as "
    "`mexc-futures emulator` printed them (or start it with --api-key/--api-secret of your "
    "choice)."
)


def explain(exc: MexcError, opts: Options | None = None) -> str:
    """The user-facing text for ``exc``: what happened and what to do."""
    opts = opts or _current_options()
    external = emulator_url(opts)
    if isinstance(exc, KillSwitchActive):
        return f"Kill switch is TRIPPED: nothing was sent. {exc} {kill_help(opts)}"
    if isinstance(exc, ApiError) and exc.code == 1001:
        return (
            f"Unknown symbol ({exc.message or 'contract does not exist'}). Symbols look like "
            "BTC_USDT (base_quote, upper case); list them with `mexc-futures ticker`."
        )
    if isinstance(exc, ValidationError):
        text = str(exc).rstrip(".")
        if exc.nearest is not None:
            text = re.sub(r";? *nearest valid value: *\S+$", "", text, flags=re.IGNORECASE)
            text += f". Nearest valid value: {exc.nearest}"
        return f"Rejected before sending: {text}. Nothing was sent."
    if isinstance(exc, AuthError) and external:
        return f"{exc} {EMULATOR_KEYS_HELP}"
    if isinstance(exc, TradingOff):
        return (
            f"Trading is switched off: {exc}. Nothing was sent. Orders stay off until the cause "
            "is fixed; cancels still work (`mexc-futures order cancel-all`)."
        )
    if isinstance(exc, RiskRejected):
        return risk_text(exc)
    if isinstance(exc, ConfigError):
        return str(exc)
    if isinstance(exc, TransportError):
        if external:
            return (
                f"Network problem: {exc}. Is the emulator running at {external}? Start it with "
                "`mexc-futures emulator` or drop --emulator-url / MEXC_EMULATOR_URL to use a "
                "fresh in-process one."
            )
        return f"Network problem: {exc}. Check the URL and your connection, then retry."
    return str(exc)


_CLOSE = re.compile(r"close (\S+) \+ resting closes (\S+) > position (\S+)")


def risk_text(exc: RiskRejected) -> str:
    """The risk gate's refusal in a trader's words (ux-audit finding 10: "reduce_only: close 1
    + resting closes 0 > position 0" was internal jargon)."""
    rule, detail = exc.rejection.rule, exc.rejection.detail
    match = _CLOSE.fullmatch(detail) if rule == "reduce_only" else None
    if match is not None:
        vol, covered, held = (Decimal(x) for x in match.groups())
        if held == 0:
            return (
                "Rejected before sending: there is no position on that side to close. "
                "Nothing was sent."
            )
        free = max(held - covered, Decimal(0))
        resting = f" minus {covered} already in resting close orders" if covered else ""
        return (
            f"Rejected before sending: closing {vol} contracts is more than the position of "
            f"{held}{resting}; close at most {free}. Nothing was sent."
        )
    if rule == "no_position":
        return f"Rejected before sending: {detail}. Nothing was sent."
    return f"Rejected before sending by the risk gate ({rule}): {detail}. Nothing was sent."


async def gather_or_fail(*aws: Awaitable[T]) -> list[T]:
    """``asyncio.gather`` that propagates the first error."""
    return list(await asyncio.gather(*aws))


# ---------------------------------------------------------------- output


def console() -> Console:
    """The stdout console (plain when not a terminal, so tests read clean text). Piped output
    gets 160 columns unless ``COLUMNS`` says otherwise, so ids are never cut short."""
    piped = not sys.stdout.isatty() and "COLUMNS" not in os.environ
    return Console(highlight=False, soft_wrap=False, width=160 if piped else None)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return value


def emit_json(data: Any) -> None:
    """Print ``data`` (structs, lists, dicts; Decimals as strings) as JSON on stdout."""
    click.echo(msgspec.json.encode(data, enc_hook=_plain, order="deterministic").decode())


def emit_table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[object]], *, empty: str = ""
) -> None:
    """Print a table (or ``empty`` when there are no rows)."""
    if not rows and empty:
        click.echo(empty)
        return
    table = Table(title=title, title_justify="left")
    for col in columns:
        table.add_column(col, justify="right" if col[:1].islower() else "left")
    for row in rows:
        table.add_row(*(str(c) for c in row))
    console().print(table)


def json_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--json``."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(
        fn
    )


def emit(
    as_json: bool,
    data: Any,
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    empty: str = "",
) -> None:
    """``data`` as JSON with ``--json``, else ``rows`` as a table."""
    if as_json:
        emit_json(data)
    else:
        emit_table(title, columns, rows, empty=empty)


def yes_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--yes`` (skip the confirmation on ``--live``)."""
    return click.option("--yes", is_flag=True, help="Do not ask before sending on --live.")(fn)


def margin_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--margin isolated|cross`` (default: keep the contract's current mode)."""
    return click.option(
        "--margin",
        type=click.Choice(["isolated", "cross"]),
        default=None,
        help="Margin mode. Default: the mode the contract already has on this account "
        "(never switched silently).",
    )(fn)


async def open_type_for(rest: RestClient, symbol: str, margin: str | None, side: int) -> int:
    """The ``openType`` to send: 1 isolated / 2 cross as asked, else the account's current mode
    for that position side (``position/leverage``), isolated when the venue shows none (ux
    finding 13: a default must not switch a cross symbol to isolated)."""
    if margin is not None:
        return 1 if margin == "isolated" else 2
    for row in await rest.get_leverage(symbol):
        if row.position_type == side and row.open_type in (1, 2):
            return int(row.open_type)
    return 1


def params_option(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add ``-p/--param KEY=VALUE`` (repeatable) for ``what``'s parameters."""
    return click.option(
        "-p",
        "--param",
        "params",
        multiple=True,
        metavar="KEY=VALUE",
        help=f"{what} parameter, repeatable: -p size=2 -p max_position=6 (list them with "
        "`mexc-futures run STRATEGY --show-params`).",
    )


def symbol_filter_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--symbol`` (an optional filter)."""
    return click.option("--symbol", metavar="SYMBOL", help="Only this contract, e.g. BTC_USDT.")(
        fn
    )


def confirm_live(target: Target, what: str, yes: bool) -> None:
    """On the live exchange, ask before the first order unless ``--yes``."""
    if not target.live or yes:
        return
    if not click.confirm(f"LIVE exchange: {what}. Send it?", default=False):
        raise CliError("Not sent (answer was no). Add --yes to skip this question in scripts.")


__all__ = [
    "ENV_EMULATOR_URL",
    "ENV_HOME",
    "CliError",
    "Options",
    "Target",
    "check_emulator_symbols",
    "confirm_live",
    "connect",
    "emit",
    "emit_json",
    "emit_table",
    "emulator_url",
    "explain",
    "explained",
    "journal_path",
    "json_option",
    "kill_help",
    "margin_option",
    "open_target",
    "open_type_for",
    "options",
    "params_option",
    "run",
    "setup_logging",
    "symbol_filter_option",
    "yes_option",
]
