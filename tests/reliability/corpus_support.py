"""Helpers shared by the bad-input and security suites: configurations on temp paths, sheet files,
and an inspector that says what is wrong with one sent e-mail (header injection, unescaped markup,
hostile text that did not come through literally)."""

import csv
import io
import re
import tomllib
import unicodedata
from functools import lru_cache
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from markupsafe import escape
from openpyxl import Workbook

from bot.config import Config
from bot.core import values

ROOT = Path(__file__).resolve().parents[2]

# Every header the bot writes; anything else in a message is an injection.
HEADERS = {"from", "to", "reply-to", "subject", "date", "message-id", "in-reply-to", "references", "auto-submitted",
           "x-auto-response-suppress", "mime-version", "content-type", "content-language",
           "content-transfer-encoding"}
_HEADER_LINE = re.compile(rb"^([A-Za-z0-9-]+):")
HEADER_BLOCK_MAX = 4000  # bytes: whatever a form answer holds, the headers stay small


def merged(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        out[key] = merged(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


def example_data() -> dict:
    return tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))


def make_config(tmp_path: Path, **sections) -> Config:
    """The example configuration on temp paths (outbox, state), shipped rules and templates."""
    return Config.model_validate(config_data(tmp_path, **sections))


def config_data(tmp_path: Path, **sections) -> dict:
    data = merged(example_data(), {
        "mail": {"backend": "outbox", "outbox": {"path": str(tmp_path / "outbox")}},
        "paths": {"state": str(tmp_path / "state.sqlite3"), "rules": str(ROOT / "rules"),
                  "templates": str(ROOT / "templates")},
        "schedule": {"notify_since": "2025-01-01T00:00:00+01:00"},
    })
    return merged(data, sections)


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(path: Path, data: dict) -> Path:
    """A TOML file from nested dicts: each dict a table, other values scalars or lists."""
    lines: list[str] = []

    def table(prefix: list[str], section: dict) -> None:
        if prefix:
            lines.append(f"[{'.'.join(prefix)}]")
        lines.extend(f"{k} = {toml_value(v)}" for k, v in section.items() if not isinstance(v, dict))
        lines.append("")
        for k, v in section.items():
            if isinstance(v, dict):
                table([*prefix, k], v)

    table([], data)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def config_file(tmp_path: Path, **sections) -> Path:
    """`make_config`'s configuration written as a file, for the CLI and subprocesses."""
    return write_config(tmp_path / "config.toml", config_data(tmp_path, **sections))


# --- sheet files ------------------------------------------------------------------------------------

def csv_bytes(rows: list[list[object]], *, delimiter: str = ",", encoding: str = "utf-8",
              lineterminator: str = "\r\n") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator=lineterminator).writerows(
        [["" if v is None else v for v in row] for row in rows])
    return buffer.getvalue().encode(encoding)


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    """Text stays text (a form answer starting with `=` is a string in an export, not a formula)."""
    book = Workbook()
    sheet = book.active
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is None or value == "":
                continue
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
    book.save(path)
    return path


# --- what a message must look like ---------------------------------------------------------------------

def flat(text: str) -> str:
    return " ".join(str(text).split())


@lru_cache(maxsize=4096)
def parse(raw: bytes) -> EmailMessage:
    """The message parsed (cached: the suites look at each message several times; do not modify it)."""
    return message_from_bytes(raw, policy=policy.default)


def header_problems(raw: bytes) -> list[str]:
    """Headers beyond the bot's own, repeated headers, a recipient list of more than one address."""
    problems = []
    head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
    if len(head) > HEADER_BLOCK_MAX:
        problems.append(f"a header block of {len(head)} bytes")
    seen: dict[str, int] = {}
    for line in head.splitlines():
        if line[:1] in (b" ", b"\t"):
            continue
        m = _HEADER_LINE.match(line)
        if not m:
            problems.append(f"not a header line: {line[:80]!r}")
            continue
        name = m.group(1).decode().lower()
        seen[name] = seen.get(name, 0) + 1
        if name not in HEADERS:
            problems.append(f"unexpected header {name}")
    problems += [f"header {n} appears {k} times" for n, k in seen.items() if k > 1]
    msg = parse(raw)
    for name in ("subject", "to", "from"):
        value = str(msg.get(name, ""))
        if "\r" in value or "\n" in value:
            problems.append(f"{name} holds a line break")
    to = msg.get("To")
    if to is None or len(to.addresses) != 1:
        problems.append(f"To is not exactly one address: {to!r}")
    return problems


@lru_cache(maxsize=4096)
def parts(raw: bytes) -> tuple[str, str]:
    """The text and the HTML part."""
    msg = parse(raw)
    return msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()


def shows_literally(value: str, texts: list[str], htmls: list[str]) -> list[str]:
    """`value` as it was typed (control characters aside: they are dropped) in at least one text part,
    escaped in at least one HTML part, its markup never raw in any HTML part."""
    problems = []
    shown = "".join(ch for ch in values.text(value) if ch in "\r\n\t" or unicodedata.category(ch) != "Cc")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\r\n\t" for t in texts + htmls for ch in t):
        problems.append("a control character reached an e-mail")
    lines = [line.strip() for line in shown.splitlines() if line.strip()]
    flat_texts = [flat(t) for t in texts]
    for line in lines:  # line by line: a quote puts "> " before each
        if not any(flat(line) in t for t in flat_texts):
            problems.append(f"text parts do not show {line[:60]!r} literally")
        if not any(str(escape(line)) in h for h in htmls):
            problems.append(f"HTML parts do not show {line[:60]!r} escaped")
        if any(ch in line for ch in "<>&\"'") and any(line in h for h in htmls):
            problems.append(f"HTML part holds {line[:60]!r} unescaped")
    return problems
