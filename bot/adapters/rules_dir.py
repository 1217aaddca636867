"""Loading the academic years' rules files from a folder (one TOML file per year)."""

import tomllib
from pathlib import Path

from bot.core.ruleset import RulesYear, build_year
from bot.errors import RulesError


def load_years(folder: Path) -> list[RulesYear]:
    """Every `*.toml` of `folder`, validated; raises RulesError naming the file and the problem."""
    files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    if not files:
        raise RulesError(f"{folder}: no rules file (*.toml) found — set [paths].rules to the folder holding "
                         f"files such as 2025-2026.toml")
    years = []
    for path in files:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise RulesError(f"{path}: cannot be read ({exc})") from None
        except tomllib.TOMLDecodeError as exc:
            raise RulesError(f"{path}: not valid TOML ({exc})") from None
        years.append(build_year(data, str(path)))
    names = [y.annee for y in years]
    if len(set(names)) != len(names):
        raise RulesError(f"{folder}: two rules files declare the same year ({', '.join(names)})")
    return years
