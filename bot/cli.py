"""The `fvma-bot` command line (SPEC §6). Parses arguments, configures logging, maps errors to exit codes."""

import argparse
import io
import logging
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot import __version__
from bot.config import Config, find_config, load
from bot.errors import BotError

log = logging.getLogger("bot")

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fvma-bot", parents=[_common(None, False)],
        description="Checks FVMA responses, writes the review into the sheet and sends the e-mails exactly once.",
        epilog="`fvma-bot COMMAND --help` describes a command. Documentation: README.md, docs/setup-google.md "
               "(Google), deploy/README.md (systemd), docs/guide-responsable.md (the lead's guide).")
    parser.add_argument("--version", action="version", version=f"fvma-bot {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = _common(argparse.SUPPRESS, argparse.SUPPRESS)

    run = commands.add_parser("run", parents=[common], help="the daemon: a cycle every poll_every seconds",
                              description="Run the review cycle every poll_every seconds, the daily reminder "
                                          "and bounce polling, until SIGTERM/SIGINT (the cycle in flight "
                                          "finishes first). Logs go to stderr; under systemd, to the journal "
                                          "with their priority.")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="run one cycle, then exit")
    mode.add_argument("--dry-run", action="store_true",
                      help="print what a cycle would write and send; write and send nothing")

    check = commands.add_parser("check", parents=[common], help="auto-check an exported CSV or XLSX, offline",
                                description="Check every response of an exported CSV or XLSX file against the "
                                            "rules of its academic year. Exit 0: no error finding; 1: at least "
                                            "one; 2: bad file or configuration.")
    check.add_argument("file", metavar="FILE", type=Path)
    check.add_argument("--json", action="store_true", help="print one JSON array, one object per response")

    preview = commands.add_parser("preview", parents=[common], help="render an event's e-mails to files",
                                  description="Render the e-mails an event would send for a dossier to .eml and "
                                              ".html files; send nothing.")
    preview.add_argument("event", metavar="EVENT",
                         help="reception, ko, ok-pro, ok-apprentissage, cactus, rappel or rejet-adresse")
    preview.add_argument("--dossier", metavar="N", help="dossier number, e.g. FVMA-2026-0042")
    preview.add_argument("--out", metavar="DIR", type=Path, default=Path("preview"), help="output folder")

    commands.add_parser("doctor", parents=[common], help="check configuration, credentials, sheet, SMTP and IMAP",
                        description="Check everything the bot needs — the configuration, the rules and templates, "
                                    "the state file, the sheet (credentials, sharing, edit right, headers), SMTP "
                                    "and IMAP (login, TLS, folders) — and print a fix under each problem. "
                                    "Changes nothing in the sheet and sends nothing. Exit 0 when nothing is "
                                    "broken, 1 otherwise.")
    demo = commands.add_parser("demo", parents=[common], help="the whole flow on the embedded default",
                               description="Run the whole flow on a local sample workbook and an outbox folder: "
                                           "no account, no network.")
    demo.add_argument("--dir", metavar="DIR", type=Path, default=Path("demo"), help="where the demo writes")
    return parser


def _common(config_default, verbose_default) -> argparse.ArgumentParser:
    """`--config` and `--verbose`, accepted before or after the command (after: only when given)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", default=config_default,
                        help="configuration file (default: ./config.toml, then ./config.example.toml)")
    common.add_argument("-v", "--verbose", action="store_true", default=verbose_default,
                        help="log debug details")
    return common


def configure_logging(verbose: bool, quiet: bool = False, journal: bool = False) -> None:
    """One line per event on stderr. Under systemd (`journal`), no time stamp (journald adds its own) and a
    `<N>` syslog priority prefix on each line, so that `journalctl -p warning` finds the warnings."""
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JournalFormatter() if journal else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    for noisy in ("googleapiclient.discovery_cache", "urllib3", "mail.log"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class JournalFormatter(logging.Formatter):
    """`<6>INFO bot.app.daemon: …`: the prefix is the syslog priority journald reads (sd-daemon(3))."""

    PRIORITIES = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        priority = self.PRIORITIES.get(record.levelno, 6)
        return "\n".join(f"<{priority}>{line}" for line in super().format(record).splitlines())


def is_journal(stream: TextIO, journal_stream: str | None) -> bool:
    """True when `stream` is the connection to journald that systemd names in $JOURNAL_STREAM ("device:inode");
    a program started from a shell inside a service inherits the variable but not the stream."""
    try:
        device, inode = (int(part) for part in (journal_stream or "").split(":"))
        status = os.fstat(stream.fileno())
    except (ValueError, OSError, AttributeError, io.UnsupportedOperation):
        return False
    return (status.st_dev, status.st_ino) == (device, inode)


def load_config(args: argparse.Namespace) -> Config:
    return load(find_config(args.config, Path.cwd()))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose, quiet=args.command in ("check", "demo", "preview", "doctor"),
                      journal=is_journal(sys.stderr, os.environ.get("JOURNAL_STREAM")))
    try:
        return dispatch(args)
    except BotError as exc:
        print(f"fvma-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `fvma-bot check … | head`
        sys.stderr.close()
        return EXIT_OK


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "check":
        from bot.app.check import run_check

        return run_check(load_config(args), args.file, datetime.now().date(), args.json, sys.stdout, sys.stderr)
    if args.command == "run":
        from bot.app.daemon import run_command

        return run_command(load_config(args), once=args.once, dry_run=args.dry_run, out=sys.stdout)
    if args.command == "demo":
        from bot.app.demo import run_demo

        return run_demo(load_config(args), args.dir, sys.stdout)
    if args.command == "preview":
        from bot.app.preview import run_preview

        return run_preview(load_config(args), args.event, args.dossier, args.out, sys.stdout)
    if args.command == "doctor":
        from bot.app.doctor import run_doctor

        return run_doctor(args.config, sys.stdout)
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
