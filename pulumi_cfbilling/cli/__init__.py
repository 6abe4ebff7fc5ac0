"""The ``cfbilling`` command: a thin layer over the library. It never imports ``pulumi`` or ``grpc``.

Exit codes: 0 ok, 2 usage or configuration error, 3 API or network error. Expected failures print one line on
stderr and no traceback. Credentials are read from the environment only, never from flags, so they cannot leak
through shell history or the process list.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from ..core.errors import APIError, CfBillingError, ConfigurationError
from ..core.settings import SETTINGS
from ..core.version import __version__
from ..guardrails.rules import GUARDRAILS
from ..service.fleet import DEFAULT_CONCURRENCY
from ..service.reader import EXIT_API_ERROR, EXIT_OK, EXIT_USAGE

__all__ = ["EXIT_API_ERROR", "EXIT_BROKEN_PIPE", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # what a shell reports for a program killed by SIGPIPE


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error message instead of the usage block, and no abbreviated flags.

    ``--min-balance 20`` must not quietly mean ``--min-balance-usd 20``: a flag is written whole, or refused.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def switch(command: argparse.ArgumentParser, flag: str, description: str) -> None:
    """A yes/no flag: alone it means yes; ``--flag=no`` (any of true/false, yes/no, on/off, 1/0) says which.

    The value is kept as written and read by the one boolean parser (``values.read_flag``), so the GitHub Action
    can pass its inputs through as they are and ``maybe`` is an error, never a quiet "off".
    """
    command.add_argument(flag, nargs="?", const="true", default=None, metavar="BOOL", help=description)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command-line parser; each command's help ends with an example.

    Given the ``argv`` about to be parsed, only the command named in it is built: the others' parsers and about a
    hundred flags cost every start 5 ms (argparse looks up a translation for each of its words, issue 27). With
    no command named (``cfbilling --help``) every command is listed, unbuilt. Without ``argv``, all are built.
    """
    wanted = None if argv is None else set(argv)
    # Options every command takes, before or after its name (`cfbilling --timeout 5 balance` works too).
    # SUPPRESS keeps a flag given before the command from being reset by the command's own parser.
    common = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    common.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log requests and retries on stderr (credentials are never logged)",
    )
    for row in SETTINGS:  # one flag per row of the settings table the CLI takes (credentials never are flags)
        if row.cli:
            common.add_argument(
                row.flag,
                metavar=row.name.rsplit("_", 1)[-1].upper(),
                default=argparse.SUPPRESS,
                help=f"{row.description} (environment: {row.env})",
            )
    parser = _Parser(
        prog="cfbilling",
        description="Watch and guard Cloudflare AI Gateway credits (Unified Billing).",
        epilog="Example:\n  cfbilling demo\n  cfbilling balance --account-id 0123456789abcdef0123456789abcdef",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"cfbilling {__version__}")
    sub: Any = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    commands: list[tuple[str, str, str, str, Callable[[argparse.ArgumentParser], None] | None]] = []

    def add(
        name: str,
        handler: str,
        summary: str,
        example: str,
        populate: Callable[[argparse.ArgumentParser], None] | None = None,
    ) -> None:
        commands.append((name, handler, summary, example, populate))

    def text_or_json(command: argparse.ArgumentParser) -> None:
        command.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")

    def account_options(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--account-id",
            action="append",
            metavar="ID",
            help="account to read (repeatable; default: CLOUDFLARE_ACCOUNT_ID)",
        )
        command.add_argument(
            "--accounts-file", metavar="FILE", help="file of account ids, one a line with an optional label; # comments"
        )
        command.add_argument(
            "--concurrency",
            type=int,
            default=DEFAULT_CONCURRENCY,
            metavar="N",
            help=f"accounts read at once (default {DEFAULT_CONCURRENCY})",
        )
        command.add_argument(
            "--quiet", "-q", action="store_true", help="no progress display on stderr (only the report and errors)"
        )

    def balance_options(command: argparse.ArgumentParser) -> None:
        account_options(command)
        text_or_json(command)
        switch(command, "--runway", "also read the usage history: days left at the last 7 days' spend")

    add(
        "balance",
        "balance",
        "Show the credit balance and top-up configuration of accounts.",
        "CLOUDFLARE_API_TOKEN=... cfbilling balance --account-id 0123456789abcdef0123456789abcdef",
        balance_options,
    )

    def usage_options(command: argparse.ArgumentParser) -> None:
        account_options(command)
        command.add_argument("--days", default="7", metavar="N", help="whole UTC days before today (1-90, default 7)")
        command.add_argument("--window", default="day", metavar="day|hour", help="bucket size (default day)")
        text_or_json(command)

    add(
        "usage",
        "usage",
        "Show the spend per day (or hour) of accounts over the last days, with a sparkline and the runway.",
        "cfbilling usage --account-id 0123456789abcdef0123456789abcdef --days 14",
        usage_options,
    )

    def route_options(command: argparse.ArgumentParser) -> None:  # the commands of the route functions
        account_options(command)
        text_or_json(command)

    add(
        "gateways",
        "gateways",
        "Show every AI gateway of accounts: what it bills, its spend limits, the uncapped ones, what stops first.",
        "cfbilling gateways --account-id 0123456789abcdef0123456789abcdef",
        route_options,
    )

    add(
        "invoice",
        "invoice",
        "Show the open billing period's invoice of accounts: amount due, paid and remaining.",
        "cfbilling invoice --account-id 0123456789abcdef0123456789abcdef",
        route_options,
    )

    def check_options(command: argparse.ArgumentParser) -> None:
        account_options(command)
        for entry in GUARDRAILS:  # one flag per row of the guardrail table, its value read by the kind's parser
            if entry.kind == "flag":
                switch(command, entry.flag, entry.description)
            else:
                command.add_argument(entry.flag, metavar=entry.value_kind.metavar, help=entry.description)
        switch(command, "--advisory", "report failed guardrails as warnings and exit 0")
        switch(
            command,
            "--runway",
            "also read the usage history (as --min-runway-days does): runway in the report, charts in the summary",
        )
        command.add_argument(
            "--format", choices=("text", "json", "github"), default="text", help="output format (default text)"
        )
        command.add_argument(
            "--report",
            metavar="FILE",
            help="also write the JSON report (as --format json prints it) to FILE, whatever the format",
        )

    add(
        "check",
        "check",
        "Check accounts against guardrails for CI: exit 0 all pass, 1 a guardrail failed, 2 usage error, 3 API error.",
        "cfbilling check --accounts-file accounts.txt --min-balance-usd 20 --require-auto-topup --format github",
        check_options,
    )

    def watch_options(command: argparse.ArgumentParser) -> None:
        account_options(command)
        for entry in GUARDRAILS:  # the guardrails of `check`; the numeric ones take a ladder of rungs
            if entry.kind == "flag":
                switch(command, entry.flag, entry.description)
            elif entry.takes_ladder:
                metavar = f"{entry.value_kind.metavar}[,{entry.value_kind.metavar}...]"
                command.add_argument(entry.flag, metavar=metavar, help=f"{entry.description} Rungs: comma-separated.")
            else:
                command.add_argument(entry.flag, metavar=entry.value_kind.metavar, help=entry.description)
        command.add_argument(
            "--notify",
            action="append",
            metavar="URL",
            help="an Apprise URL to tell (repeatable; default: CFBILLING_NOTIFY_URLS): slack://, msteams://, "
            "discord://, mailto://, pagerduty://, json://, form://, ... It is never printed or logged.",
        )
        command.add_argument(
            "--state",
            metavar="FILE",
            help="what was told, between runs (default: CFBILLING_WATCH_STATE, else "
            "~/.cache/cfbilling/watch-state.json)",
        )
        switch(command, "--dry-run", "print what would be sent; send nothing and leave the state file as it is")

    add(
        "watch",
        "watch",
        "For a schedule: tell notification URLs once when an account crosses a rung of a ladder, and once when it "
        "recovers; exit 3 if a URL did not take its messages (they are sent next run).",
        "cfbilling watch --accounts-file accounts.txt --min-runway-days 14,7,3 --min-balance-usd 100,20 "
        "--notify slack://TOKEN_A/TOKEN_B/TOKEN_C --state watch-state.json",
        watch_options,
    )

    def metrics_options(command: argparse.ArgumentParser) -> None:
        account_options(command)
        command.add_argument(
            "--output", metavar="FILE", help="write the metrics to FILE whole (for the textfile collector), not stdout"
        )

    add(
        "metrics",
        "metrics",
        "Print the accounts' balance, runway, burn and top-up state as Prometheus metrics (text format); exit 3 "
        "if an account could not be read.",
        "cfbilling metrics --accounts-file accounts.txt --output /var/lib/node_exporter/textfile/cfbilling.prom",
        metrics_options,
    )

    def exporter_options(command: argparse.ArgumentParser) -> None:
        account_options(command)
        command.add_argument("--port", type=int, default=9841, help="port to serve on (default 9841)")
        command.add_argument(
            "--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1; 0.0.0.0 for every interface)"
        )

    add(
        "exporter",
        "exporter",
        "Serve the metrics on /metrics for Prometheus, reading every account once per --max-age (default 5m).",
        "cfbilling exporter --accounts-file accounts.txt --port 9841 --max-age 5m",
        exporter_options,
    )

    def doctor_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--account-id", metavar="ID", help="account to try (default: CLOUDFLARE_ACCOUNT_ID)")

    add(
        "doctor",
        "doctor",
        "Diagnose the configuration, the token and access to the account's balance, with a fix for each problem.",
        "cfbilling doctor --account-id 0123456789abcdef0123456789abcdef",
        doctor_options,
    )

    add(
        "terraform-external",
        "terraform_external",
        "Speak Terraform's external data source protocol: a JSON query on stdin, flat JSON strings on stdout.",
        'echo \'{"account_id": "0123456789abcdef0123456789abcdef", "min_balance_usd": "20"}\' | '
        "cfbilling terraform-external",
    )

    def terraform_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("action", choices=("install-provider",), help="what to do")
        command.add_argument(
            "--dir", metavar="DIR", help="mirror folder (default ~/.command.d/plugins, which Terraform searches itself)"
        )
        command.add_argument(
            "--platform",
            action="append",
            metavar="OS_ARCH",
            help="also lay out the package for another machine of the team (linux_amd64, linux_arm64, darwin_amd64, "
            "darwin_arm64; repeatable), for `terraform providers lock -platform=...`",
        )

    add(
        "terraform",
        "install_provider",
        "Install the native Terraform provider (pulumi-cfbilling/cfbilling) into a filesystem mirror.",
        "cfbilling terraform install-provider --dir ./terraform-mirror",
        terraform_options,
    )

    def schema_options(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--check-report",
            action="store_true",
            help="print the JSON Schema of `cfbilling check --format json` instead (check_report.command.json)",
        )

    add(
        "schema",
        "schema",
        "Print the Pulumi package schema of the cfbilling provider plugin (the committed schema.json).",
        "cfbilling schema | diff - schema.json",
        schema_options,
    )

    add(
        "demo",
        "demo",
        "Run the tool against a built-in emulator with sample accounts: no Cloudflare account needed.",
        "cfbilling demo",
    )

    def emulator_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--port", type=int, default=8787, help="port on 127.0.0.1 (default 8787; 0 picks one)")
        command.add_argument(
            "--fixture", metavar="FILE", help="JSON file of tokens and accounts (default: sample accounts)"
        )
        command.add_argument(
            "--tls", action="store_true", help="serve HTTPS with a certificate made at start (needs openssl)"
        )
        command.add_argument(
            "--burn",
            type=float,
            default=0.0,
            metavar="CENTS",
            help="make every account's balance fall by CENTS a minute (to watch `cfbilling watch` cross its rungs)",
        )

    add(
        "emulator",
        "emulator",
        "Serve a local emulator of the credit-balance API and print the settings to use it.",
        "cfbilling emulator --port 8787 --fixture accounts.json",
        emulator_options,
    )
    # A command named in argv is the one parsed: only it is built, options and all. With none named (`--help`, a
    # mistake), every command is listed, none built: that is all the top-level help and errors show.
    named = [command for command in commands if wanted is None or command[0] in wanted]
    for name, handler, summary, example, populate in named or commands:
        built = bool(named)
        command: argparse.ArgumentParser = sub.add_parser(
            name,
            help=summary,
            description=summary,
            epilog=f"Example:\n  {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=[common] if built else [],
        )
        command.set_defaults(handler=handler)
        if built and populate is not None:
            populate(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    Ctrl-C ends any command at once (exit 130, one line); a closed pipe (``| head``) ends it quietly. Text the
    terminal's encoding cannot show (``PYTHONIOENCODING=ascii``) is replaced, never a ``UnicodeEncodeError``.
    """
    # From here on a Ctrl-C is a KeyboardInterrupt, handled below (the entry point quieted the imports before).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")
    try:
        return _run(argv)
    except KeyboardInterrupt:
        _interrupted()
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    raise AssertionError("unreachable")  # pragma: no cover - _interrupted never returns


def _interrupted() -> None:
    # A second Ctrl-C must not interrupt the exit itself (that is where tracebacks came from).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from ..api.transport import abort_all

    abort_all()  # reads in flight are abandoned, their sockets shut down; no request starts after this
    prefix = "\r\x1b[K" if sys.stderr.isatty() else ""  # erase a progress line first
    try:
        sys.stderr.write(f"{prefix}cfbilling: interrupted\n")
        sys.stderr.flush()
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    # Worker threads blocked in a read or a retry wait would hold an ordinary exit; none has anything to save.
    os._exit(EXIT_INTERRUPTED)


def _quiet_stdout() -> None:
    # The reader went away (`| head`): point stdout at /dev/null so the interpreter's final flush is silent.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if getattr(args, "verbose", False):
        _log_to_stderr()
    handler_name = getattr(args, "handler", None)
    if handler_name is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    # Only the chosen command's module is imported: `cfbilling check` never loads the emulator or the demo.
    handler = getattr(importlib.import_module(f".{handler_name}", __package__), handler_name)
    try:
        code: int = handler(args)
    except ConfigurationError as exc:
        return _fail(exc, EXIT_USAGE)
    except APIError as exc:
        return _fail(exc, EXIT_API_ERROR)
    except CfBillingError as exc:  # pragma: no cover - every subclass is handled above
        return _fail(exc, EXIT_API_ERROR)
    return code


def _fail(exc: CfBillingError, code: int) -> int:
    print(f"cfbilling: error: {exc}", file=sys.stderr)
    return code


def _log_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("cfbilling: %(levelname)s %(name)s: %(message)s"))
    for name in ("pulumi_cfbilling", "urllib3"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
