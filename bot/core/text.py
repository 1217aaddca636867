"""Text normalisation shared by header matching and enumeration matching."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_TRAILING = re.compile(r"[\s:?？*]+$")


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise(text: str) -> str:
    """Lower-case, accent-free, single-spaced text without a trailing colon or question mark.

    Typographic apostrophes and dashes are folded to their ASCII forms so that
    `Contrat d’apprentissage` and `Contrat d'apprentissage` compare equal.
    """
    text = strip_accents(str(text)).lower()
    text = text.replace("’", "'").replace("‘", "'").replace("–", "-").replace("—", "-")
    text = _SPACES.sub(" ", text).strip()
    return _TRAILING.sub("", text)


def words(text: str) -> list[str]:
    """The alphanumeric words of `text`, normalised."""
    return re.findall(r"[a-z0-9]+", normalise(text))
