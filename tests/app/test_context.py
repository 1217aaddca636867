"""What the e-mail templates see of a response (bot.app.context)."""

from bot.app.context import readable, response_display
from bot.core.intake import parse_response
from tests.core.samples import VALID


def test_control_characters_never_reach_an_email_and_line_breaks_stay():
    assert readable("Mar\x00tin\x1b[31m\x07") == "Martin[31m"
    assert readable("ligne 1\r\nligne 2\rligne 3\tfin") == "ligne 1\nligne 2\nligne 3\tfin"


def test_the_display_of_a_response_is_readable_text():
    shown = response_display(parse_response({**VALID, "mission": "a\x1b]0;titre\x07b\r\nc"}))
    assert shown["mission"] == "a]0;titreb\nc"


def test_the_leads_comment_is_readable_text_too(make_config):
    from bot.app.context import dossier_context
    from bot.core.events import Event, Recipient, Role

    context = dossier_context(make_config(), Event.KO, Recipient(Role.STUDENT, "lea@etu.example.net", "Léa"),
                              "FVMA-2026-0001", parse_response(VALID), (), "2025-2026", "À revoir\x1b[2J\r\nmerci")
    assert context["commentaire"] == "À revoir[2J\nmerci"
