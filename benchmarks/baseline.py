"""The straightforward way such a bot is usually written, to compare the real adapters with.

Same core, same decisions, same e-mails, same cells: only the two boundaries
differ, written the way tutorials and most bots of this kind write them:

- the sheet through gspread's everyday calls: `get_all_values()` to read, and
  one `update_cell()` per cell that changed, at the row number read (no batch,
  no row metadata);
- e-mail through `smtplib.SMTP(...)` opened, secured, logged in to and closed
  for every message.

It is honest, not a straw man: it reads the sheet once per cycle like the bot
does, writes only the cells that changed (the cycle computes them), and opens
the spreadsheet once at start.
"""

import smtplib
import ssl
from email.message import EmailMessage

import gspread
from gspread.utils import DateTimeOption, ValueRenderOption

from bot.adapters.google_http import client_class
from bot.adapters.sheet import BOT_HEADERS, RowWrite, Snapshot
from bot.adapters.smtp import SmtpSettings
from bot.adapters.templates import Renderer
from bot.adapters.rules_dir import load_years
from bot.app.cycle import Cycle
from bot.app.wiring import make_copier, make_sheet, open_store, smtp_settings
from bot.config import Config
from bot.core import values
from bot.errors import MailError


class NaiveGoogleSheet:
    """gspread as the tutorials use it: one request per changed cell."""

    def __init__(self, credentials, spreadsheet_id: str, worksheet: str = "", endpoint: str = ""):
        client = gspread.Client(auth=credentials, http_client=client_class(endpoint))
        self.spreadsheet_id, self.worksheet_title, self.client = spreadsheet_id, worksheet, client
        self.ws: gspread.Worksheet | None = None
        self.header: list[object] = []

    def _worksheet(self) -> gspread.Worksheet:
        if self.ws is None:
            book = self.client.open_by_key(self.spreadsheet_id)
            self.ws = book.worksheet(self.worksheet_title) if self.worksheet_title else book.sheet1
        return self.ws

    def prepare(self) -> None:
        ws = self._worksheet()
        header = ws.row_values(1)
        missing = [h for h in BOT_HEADERS if h not in header]
        if len(header) + len(missing) > ws.col_count:
            ws.add_cols(len(header) + len(missing) - ws.col_count)
        for offset, name in enumerate(missing):
            ws.update_cell(1, len(header) + offset + 1, name)

    def read(self) -> Snapshot:
        rows = self._worksheet().get_all_values(value_render_option=ValueRenderOption.unformatted,
                                                date_time_render_option=DateTimeOption.serial_number)
        self.header = list(rows[0]) if rows else []
        return Snapshot(self.header, [(i, list(r)) for i, r in enumerate(rows[1:], start=2)])

    def write(self, writes: list[RowWrite], fingerprint_columns: dict[str, int]) -> set[str]:
        ws = self._worksheet()
        columns = {values.text(h): i + 1 for i, h in enumerate(self.header)}
        for w in writes:
            for name, value in w.cells.items():
                ws.update_cell(w.row, columns[name], value)
        return {w.dossier for w in writes}


class NaiveSmtpMailer:
    """`smtplib.SMTP` per message: connect, EHLO, STARTTLS, EHLO, AUTH, MAIL/RCPT/DATA, QUIT."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self.context = ssl.create_default_context()

    def __enter__(self) -> "NaiveSmtpMailer":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def send(self, msg: EmailMessage) -> None:
        s = self.settings
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
                if s.security == "starttls":
                    smtp.starttls(context=self.context)
                if s.user:
                    smtp.login(s.user, s.password or "")
                smtp.send_message(msg)
        except smtplib.SMTPResponseException as exc:
            raise MailError(f"{s.where}: {exc.smtp_code} {exc.smtp_error!r}",
                            permanent=500 <= exc.smtp_code < 600, code=exc.smtp_code) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"{s.where}: {exc}") from exc


def make_naive_cycle(config: Config) -> Cycle:
    """`bot.app.wiring.make_cycle` with the baseline's sheet (google backend) and mailer (smtp backend)."""
    if config.sheet.backend == "google":
        from bot.adapters.sheet_google import google_credentials

        g = config.sheet.google
        sheet = NaiveGoogleSheet(google_credentials(config), g.spreadsheet_id, g.worksheet, g.api_endpoint)
    else:
        sheet = make_sheet(config)
    if config.mail.backend != "smtp":
        raise ValueError("the baseline sends over SMTP: set [mail].backend = \"smtp\"")
    return Cycle(config=config, sheet=sheet, store=open_store(config), mailer=NaiveSmtpMailer(smtp_settings(config)),
                 renderer=Renderer(config.path(config.paths.templates)),
                 years=load_years(config.path(config.paths.rules)), copier=make_copier(config))
