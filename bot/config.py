"""The configuration (SPEC §7): one TOML file, validated once into pydantic models.

This is the only module that reads the environment: secrets are named in the
file (`password_env`, `password_file`) and resolved here, never stored inline.
"""

import os
import re
import tomllib
from datetime import datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.core.values import parse_email
from bot.errors import ConfigError

DEFAULT_FILES = ("config.toml", "config.example.toml")
PACKAGE_ROOT = Path(__file__).resolve().parent.parent


PLACEHOLDER = "…"   # deploy/config.toml marks what each site must fill in with « … »


def _email(value: str) -> str:
    if PLACEHOLDER in value:    # left to fill in: `doctor` lists them all, `run` refuses to start
        return value
    if parse_email(value) is None:
        raise ValueError("expected one e-mail address such as name@example.org")
    return value


def _hhmm(value: str) -> str:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ValueError("expected a time HH:MM, 24-hour, e.g. 08:30")
    return value


Email = Annotated[str, AfterValidator(_email)]
OptionalEmail = Annotated[str, AfterValidator(lambda v: _email(v) if v else v)]
Port = Annotated[int, Field(ge=1, le=65535, json_schema_extra={"expected": "an integer 1–65535"})]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretRef(Section):
    """Where a password lives: an environment variable or a file, never the config itself."""

    password_env: str = ""
    password_file: str = ""

    @model_validator(mode="after")
    def _one_source(self) -> "SecretRef":
        if self.password_env and self.password_file:
            raise ValueError("set password_env or password_file, not both")
        return self


class LocalSheet(Section):
    path: str = "demo/fvma-demo.xlsx"
    worksheet: str = ""


class GoogleSheet(Section):
    spreadsheet_id: str = ""
    worksheet: str = ""
    credentials_file: str = ""
    credentials_type: Literal["service_account", "authorized_user"] = "service_account"
    api_endpoint: str = ""
    token_uri: str = ""


class FormsIntake(Section):
    form_id: str = ""
    review_spreadsheet_id: str = ""
    review_worksheet: str = "Suivi FVMA"
    api_endpoint: str = ""
    full_scan_minutes: int = Field(default=60, ge=0, json_schema_extra={
        "expected": "a whole number of minutes, 0 or more (0: only when the bot starts)"})


class SheetConfig(Section):
    backend: Literal["local", "google", "forms"] = "local"
    local: LocalSheet = LocalSheet()
    google: GoogleSheet = GoogleSheet()
    forms: FormsIntake = FormsIntake()
    aliases: dict[str, list[str]] = {}

    @field_validator("aliases")
    @classmethod
    def _known_aliases(cls, aliases: dict[str, list[str]]) -> dict[str, list[str]]:
        from bot.core.fields import BY_KEY

        unknown = [k for k in aliases if k not in BY_KEY]
        if unknown:
            raise ValueError(f"{unknown[0]} is not a field of the form (expected one of {', '.join(BY_KEY)})")
        return aliases


class Smtp(SecretRef):
    host: str = "localhost"
    port: Port = 587
    security: Literal["starttls", "ssl", "none"] = "starttls"
    user: str = ""
    verify_tls: bool = True
    ca_file: str = ""
    timeout: float = Field(default=30, gt=0)


class Imap(SecretRef):
    enabled: bool = False
    host: str = "localhost"
    port: Port = 993
    security: Literal["ssl", "starttls", "none"] = "ssl"
    user: str = ""
    verify_tls: bool = True
    ca_file: str = ""
    timeout: float = Field(default=30, gt=0)
    sent_folder: str = "Sent"
    bounce_folder: str = "INBOX"
    poll_every: int = Field(default=0, ge=0, json_schema_extra={"expected": "a whole number of seconds (0: with every cycle)"})


class Outbox(Section):
    path: str = "outbox"


class MailConfig(Section):
    backend: Literal["outbox", "smtp"] = "outbox"
    outbox: Outbox = Outbox()
    smtp: Smtp = Smtp()
    imap: Imap = Imap()


class Secretariat(Section):
    name: str
    email: Email
    phone: str = ""
    address: str = ""


class People(Section):
    lead_name: str
    lead_email: Email
    sender_name: str = "MIAGE Aix-Marseille — alternance"
    sender_email: Email
    message_id_domain: str = Field(pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$",
                                   json_schema_extra={"expected": "a domain name such as miage.example.org"})
    feg_name: str = "Service de la Formation Continue de la FEG (Colbert)"
    feg_email: Email
    secretariats: dict[Literal["Aix", "Marseille"], Secretariat]


class Links(Section):
    form_url: str
    alternance_page: str = "https://www.miage-aix-marseille.fr/alternance"
    fiche_formation: str = ""
    calendrier: str = ""
    cout: str = ""
    fiche_rncp: str = ""
    cactus_url: str = ""


class Schedule(Section):
    poll_every: int = Field(default=60, ge=1, json_schema_extra={"expected": "a whole number of seconds, 1 or more"})
    rappel_at: Annotated[str, AfterValidator(_hhmm)] = "08:30"
    notify_since: datetime | None = None
    retry_minutes: int = Field(default=10, ge=1)

    @property
    def rappel_time(self) -> time:
        return time.fromisoformat(self.rappel_at)


class Paths(Section):
    state: str = "state/fvma-bot.sqlite3"
    rules: str = "rules"
    templates: str = "templates"


class Config(Section):
    sheet: SheetConfig = SheetConfig()
    mail: MailConfig = MailConfig()
    people: People
    links: Links
    schedule: Schedule = Schedule()
    paths: Paths = Paths()
    dossier_prefix: str = Field(default="FVMA", pattern=r"^[A-Z][A-Z0-9]{1,9}$")

    # Set by `load`: the folder relative paths are resolved against.
    base_dir: Path = Field(default=Path("."), exclude=True)

    def path(self, value: str) -> Path:
        """A configured path, relative ones taken from the configuration file's folder."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.base_dir / p


def find_config(explicit: str | None, cwd: Path) -> Path:
    """`--config PATH`, else ./config.toml, else ./config.example.toml, else the one shipped with the code."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"{explicit}: no such configuration file")
        return path
    for name in DEFAULT_FILES:
        if (cwd / name).is_file():
            return cwd / name
    shipped = PACKAGE_ROOT / "config.example.toml"
    if shipped.is_file():
        return shipped
    raise ConfigError("no configuration: pass --config PATH or create ./config.toml from config.example.toml")


def load(path: Path) -> Config:
    """Read and validate the file; raises ConfigError naming the key, the value and what is expected."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe(path.name, exc.errors()[0], data)) from None
    return config.model_copy(update={"base_dir": path.resolve().parent})


# Key names under which someone may have typed a secret inline (password, passwd, mot_de_passe, token…).
_SECRET_NAME = re.compile(r"pas+w|passe|pass$|^pass|secret|token|private|credential|api.?key|^key$|mdp", re.I)


def describe(filename: str, error: dict[str, Any], data: dict[str, Any]) -> str:
    """`config.toml: [mail.smtp].port = "abc": expected an integer 1–65535`."""
    loc = [str(p) for p in error["loc"] if not str(p).startswith("function-")]
    if loc[-1:] == ["[key]"]:  # a table's own name is wrong: [people.secretariats.Aixe]
        loc = loc[:-1]
        return f"{filename}: [{'.'.join(loc)}]: unknown name, {_expected(error, loc)}"
    section, key = loc[:-1], loc[-1] if loc else ""
    where = f"[{'.'.join(section)}].{key}" if section else key
    table = f"[{'.'.join(loc)}]"
    if error["type"] == "missing":
        return f"{filename}: {table if _is_section(loc) else where} is missing"
    if error["type"] == "extra_forbidden":
        model = _model_at(section)
        known = ", ".join(k for k, f in model.model_fields.items() if not f.exclude) if model else ""
        expected = f"expected one of {known}; " if known else ""
        if isinstance(error["input"], dict):
            return f"{filename}: {table}: unknown section ({expected}check its spelling against config.example.toml)"
        if _SECRET_NAME.search(key):  # a secret written inline: say so, never repeat it
            return (f"{filename}: {where}: unknown key — a secret never sits in the configuration: put it in an "
                    f"environment variable named by password_env, or in a file named by password_file, then "
                    f"remove this line (and treat the secret as exposed)")
        return (f"{filename}: {where} = {_toml(error['input'])}: unknown key "
                f"({expected}check its spelling against config.example.toml)")
    if isinstance(error["input"], dict):  # a check over a whole section
        return f"{filename}: {table}: {_expected(error, loc)}"
    return f"{filename}: {where} = {_toml(error['input'])}: {_expected(error, loc)}"


def _model_at(loc: list[str]) -> Any:
    """The section model at `loc` (Config for []), or None when `loc` is not a section."""
    model: Any = Config
    for part in loc:
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return None
        model = fields[part].annotation
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _is_section(loc: list[str]) -> bool:
    return bool(loc) and _model_at(loc) is not None


def _expected(error: dict[str, Any], loc: list[str]) -> str:
    extra = _field_extra(loc)
    if extra:
        return "expected " + extra
    kind = error["type"]
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return "expected an integer"
    if kind in {"float_parsing", "float_type"}:
        return "expected a number"
    if kind in {"bool_parsing", "bool_type"}:
        return "expected true or false"
    if kind == "literal_error":
        return "expected one of " + error["ctx"]["expected"].replace("'", "\"")
    if kind in {"string_type"}:
        return "expected a quoted text"
    if kind.startswith("datetime"):
        return "expected a date-time such as 2026-09-01T00:00:00+02:00"
    if kind == "string_pattern_mismatch":
        return f"expected text matching {error['ctx']['pattern']}"
    message = error["msg"].removeprefix("Value error, ")
    return message if message.startswith("expected") else message[0].lower() + message[1:]


def _field_extra(loc: list[str]) -> str:
    model: Any = Config
    for part in loc:
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return ""
        info = fields[part]
        if part == loc[-1]:
            return (info.json_schema_extra or {}).get("expected", "") if isinstance(info.json_schema_extra, dict) else ""
        model = info.annotation
    return ""


def _toml(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def secret(ref: SecretRef, section: str) -> str | None:
    """The password a section names, or None when it names none; raises ConfigError when it cannot be read."""
    if ref.password_env:
        value = os.environ.get(ref.password_env)
        if not value:
            raise ConfigError(f"[{section}].password_env = \"{ref.password_env}\": this environment variable is "
                              f"not set or empty (put it in the service's environment file)")
        return value
    if ref.password_file:
        try:
            return Path(ref.password_file).expanduser().read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"[{section}].password_file = \"{ref.password_file}\": cannot be read "
                              f"({exc.strerror})") from None
    return None


def placeholders(config: "Config") -> list[str]:
    """The keys still holding the template's « … » marker, as `[section].key`."""
    return [key for key, value in _leaves(config.model_dump(mode="json")) if isinstance(value, str)
            and PLACEHOLDER in value]


def _leaves(data: dict, prefix: str = ""):
    for key, value in data.items():
        if isinstance(value, dict):
            yield from _leaves(value, f"{prefix}{key}.")
        else:
            section, _, name = f"{prefix}{key}".rpartition(".")
            yield (f"[{section}].{name}" if section else name), value
