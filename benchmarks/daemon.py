"""`fvma-bot run` on a benchmark configuration (JSON, as the benchmark writes it) and a poll interval.

    python -m benchmarks.daemon CONFIG.json POLL_SECONDS

This runs the real command line, `bot.cli.main(["run"])`, with its configuration
loader replaced by one that validates the benchmark's JSON configuration with
`poll_every` set: everything else is the daemon as shipped.
"""

import json
import sys
from pathlib import Path

import bot.cli
from bot.config import Config


def main(argv: list[str]) -> int:
    path, poll = Path(argv[0]), int(argv[1])

    def load_config(args) -> Config:
        data = json.loads(path.read_text(encoding="utf-8"))
        data.setdefault("schedule", {})["poll_every"] = poll
        return Config.model_validate(data)

    bot.cli.load_config = load_config
    return bot.cli.main(["run"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
