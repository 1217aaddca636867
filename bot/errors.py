"""The bot's error hierarchy.

Adapters translate library errors into these, with a message a person can act
on: it names the file, row, key or field and says how to fix it.
"""


class BotError(Exception):
    """Base class of every error the bot reports to a person."""


class ConfigError(BotError):
    """The configuration file is missing, unreadable or invalid."""


class RulesError(BotError):
    """A rules file is missing, unreadable or inconsistent."""


class InputFileError(BotError):
    """An exported responses file cannot be read."""


class SheetError(BotError):
    """The sheet backend failed.

    `transient` is True for errors worth retrying later (quota, 5xx, network).
    """

    def __init__(self, message: str, *, transient: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after


class MailError(BotError):
    """Sending or reading mail failed.

    `permanent` is True when retrying cannot help (5xx reply, address refused);
    False for 4xx replies, dropped connections and timeouts.
    """

    def __init__(self, message: str, *, permanent: bool = False, code: int | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.code = code


class StateError(BotError):
    """The state database cannot be opened or written."""
