"""`fvma-bot run` on a benchmark configuration, with a poll interval below the configuration's floor.

    python -m benchmarks.daemon CONFIG.json POLL_SECONDS

The configuration refuses `poll_every` under 5 seconds (a guard for people, not
a limit of the code). This runs the real command line, `bot.cli.main(["run"])`,
with its configuration loader replaced by one that reads the benchmark's JSON
configuration and sets `poll_every` past validation: everything else is the
daemon as shipped.
"""

import json
import sys
from pathlib import Path

import bot.cli
from bot.config import Config


def main(argv: list[str]) -> int:
    path, poll = Path(argv[0]), int(argv[1])

    def load_config(args) -> Config:
        config = Config.model_validate(json.loads(path.read_text(encoding="utf-8")))
        return config.model_copy(update={"schedule": config.schedule.model_copy(update={"poll_every": poll})})

    bot.cli.load_config = load_config
    return bot.cli.main(["run"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
