"""The e-mails' text (SPEC §5): Jinja2 templates, one subject, text and HTML part per event and role.

Templates live in `templates/<event>/<role>.{subject,txt,html}.j2`. What a
response says is DATA: it reaches the templates through the context and is
never compiled as template source, so `{{ 7*7 }}` typed in a form stays
`{{ 7*7 }}`; HTML parts are autoescaped, the subject and text parts are not.
"""

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from bot.core.events import Event, Role
from bot.core.recipients import ROLES
from bot.errors import BotError

# Who receives each event (SPEC §5): the core's table, one template set per entry.
RECIPIENTS = ROLES

PARTS = ("subject", "txt", "html")
# Macros and loops leave runs of empty lines in the text part: one blank line is enough.
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
TEXT_WIDTH = 76
# What starts a line whose continuation lines hang under its text: "- ", "✖ ", "2. ", a "> " quote.
_LINE_START = re.compile(r"( *)(- |✖ |⚠ |\d+\. |> )?")


class TemplateError(BotError):
    """A template is missing, does not compile, or needs a value the context lacks."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def one_line(value: str) -> str:
    """A header-safe line: CR, LF, tabs and other line breaks collapsed to one space."""
    return " ".join(str(value).split())


# How much of one answer a subject may quote: a form field can hold 50,000 characters, and a
# subject of that size is refused or cut by mail servers (and would push the dossier number,
# which ends every subject, out of sight).
SUBJECT_VALUE = 80


def shortened(value: Any, limit: int = SUBJECT_VALUE) -> Any:
    """`value` with every text in it cut to `limit` characters (an ellipsis marks the cut)."""
    if isinstance(value, str):
        return value if len(value) <= limit else value[:limit - 1].rstrip() + "…"
    if isinstance(value, dict):
        return {k: shortened(v, limit) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [shortened(v, limit) for v in value]
    return value


def wrap(text: str, width: int = TEXT_WIDTH) -> str:
    """The text part with each line longer than `width` folded at spaces.

    Continuation lines hang under the line's text (list items, numbered steps)
    or repeat a quote's "> "; words longer than a line (addresses, links) are
    never cut. Templates write each paragraph on one line and leave the rest here,
    so a long company name never leaves a ragged paragraph.
    """
    out = []
    for line in text.split("\n"):
        if len(line) <= width or line == "-- ":
            out.append(line)
            continue
        indent, marker = _LINE_START.match(line).groups()
        lead = indent + (marker or "")
        hanging = lead if marker == "> " else " " * len(lead)
        out.append(textwrap.fill(line[len(lead):], width=width, initial_indent=lead, subsequent_indent=hanging,
                                 break_long_words=False, break_on_hyphens=False))
    return "\n".join(out)


def nl2br(value: Any) -> Markup:
    """Escaped text whose line breaks survive in HTML (a mission described over several lines)."""
    lines = str(value).splitlines() or [""]
    return Markup("<br>\n").join(escape(line) for line in lines)


def template_name(event: Event, role: Role, part: str) -> str:
    return f"{event.value}/{role.value}.{part}.j2"


class Renderer:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self.folder)),
            undefined=jinja2.StrictUndefined,
            autoescape=lambda name: bool(name) and name.endswith(".html.j2"),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters["nl2br"] = nl2br

    def render(self, event: Event, role: Role, context: dict[str, Any]) -> Rendered:
        """The three parts of one e-mail; raises TemplateError naming the template at fault."""
        subject = one_line(self._render(template_name(event, role, "subject"), shortened(context)))
        full = {**context, "sujet": subject}
        text = wrap(_BLANK_LINES.sub("\n\n", self._render(template_name(event, role, "txt"), full)).strip()) + "\n"
        html = self._render(template_name(event, role, "html"), full)
        return Rendered(subject=subject, text=text, html=html)

    def check(self) -> list[str]:
        """Render every event × role on a sample context (for `doctor`).

        Returns the names of the templates checked; raises TemplateError on the
        first one that is missing or broken.
        """
        from bot.adapters.template_samples import sample_context

        checked = []
        for event, roles in RECIPIENTS.items():
            for role in roles:
                rendered = self.render(event, role, sample_context(event, role))
                if not rendered.subject or not rendered.text.strip() or not rendered.html.strip():
                    raise TemplateError(f"{self.folder / template_name(event, role, 'txt')}: renders an empty "
                                        f"subject or body; fill in the template")
                checked.extend(template_name(event, role, part) for part in PARTS)
        return checked

    def _render(self, name: str, context: dict[str, Any]) -> str:
        where = self.folder / name
        try:
            return self.env.get_template(name).render(context)
        except jinja2.TemplateNotFound as exc:
            missing = self.folder / exc.name if exc.name and exc.name != name else where
            raise TemplateError(f"{missing}: template not found (every event and recipient needs "
                                f"a .subject.j2, .txt.j2 and .html.j2 file)") from None
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"{self.folder / (exc.name or name)}, line {exc.lineno}: {exc.message}") from None
        except jinja2.UndefinedError as exc:
            raise TemplateError(f"{where}: {exc.message} (the context has no such value; "
                                f"check the variable's spelling)") from None
        except (jinja2.TemplateError, TypeError, ValueError, AttributeError) as exc:
            raise TemplateError(f"{where}: cannot be rendered ({exc})") from None
