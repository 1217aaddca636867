"""The state database (SQLite): dossiers, the outbox of e-mails, and small counters.

WAL mode, one transaction per change, the file created 0600. The outbox makes
e-mails exactly-once: an intent is recorded (with the full message) before the
SMTP transaction, and the result right after it.
"""

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from bot.core.review import DossierState
from bot.errors import StateError

SCHEMA = """
CREATE TABLE IF NOT EXISTS dossiers (
    dossier TEXT PRIMARY KEY,
    state TEXT NOT NULL,            -- DossierState as JSON
    identity TEXT NOT NULL,         -- the student's keys, JSON list
    submitted_at TEXT,
    bound INTEGER NOT NULL DEFAULT 0,
    info TEXT NOT NULL DEFAULT '{}' -- display data for the reminder and previews
);
CREATE TABLE IF NOT EXISTS outbox (
    key TEXT PRIMARY KEY,
    dossier TEXT NOT NULL,
    event TEXT NOT NULL,
    role TEXT NOT NULL,
    address TEXT NOT NULL,
    message_id TEXT NOT NULL,
    raw BLOB NOT NULL,
    status TEXT NOT NULL,           -- pending | sending | sent | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try TEXT NOT NULL,
    error TEXT,
    created TEXT NOT NULL,
    sent_at TEXT,
    copied INTEGER NOT NULL DEFAULT 0,
    bounced TEXT,                   -- the refused address (a bounce, or a permanent SMTP refusal)
    bounced_at TEXT
);
CREATE INDEX IF NOT EXISTS outbox_status ON outbox(status, next_try);
CREATE INDEX IF NOT EXISTS outbox_message_id ON outbox(message_id);
CREATE INDEX IF NOT EXISTS outbox_dossier ON outbox(dossier);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# Every cycle looks for the few messages in trouble among a season's: without these, each look reads every
# row, and with it the message body stored before the columns asked for. (After _migrate: older files gain
# the columns first.)
INDEXES = """
CREATE INDEX IF NOT EXISTS outbox_bounced ON outbox(bounced) WHERE bounced IS NOT NULL;
CREATE INDEX IF NOT EXISTS outbox_uncopied ON outbox(copied) WHERE copied = 0;
"""


@dataclass(frozen=True, slots=True)
class OutboxRow:
    key: str
    dossier: str
    event: str
    role: str
    address: str
    message_id: str
    raw: bytes
    status: str
    attempts: int
    next_try: str
    error: str | None = None
    sent_at: str | None = None
    copied: int = 0
    bounced: str | None = None
    bounced_at: str | None = None


class StateStore:
    """One SQLite file. Raises StateError with the path and what to do when it cannot be used."""

    def __init__(self, path: Path):
        self.path = path
        # Messages the SMTP server accepted whose `sent` could not be written (disk full): kept in memory
        # so that this process records them later instead of sending them again.
        self.sent_unrecorded: dict[str, datetime] = {}
        self._dossiers: tuple[int, dict[str, StoredDossier]] | None = None   # (data_version, decoded)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            self.db = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(SCHEMA)
            _migrate(self.db)
            self.db.executescript(INDEXES)
        except (OSError, sqlite3.Error) as exc:
            raise StateError(f"state file {path}: cannot be opened ({exc}) — check [paths].state, the folder's "
                             f"permissions and free disk space") from None

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:     # SQLite may have rolled back already (disk full)
                    self.db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StateError(f"state file {self.path}: write failed ({exc}) — check free disk space and "
                             f"permissions; nothing was lost, the cycle will be retried") from None

    # --- meta ----------------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str, db: sqlite3.Connection | None = None) -> None:
        (db or self.db).execute("INSERT INTO meta(key, value) VALUES(?, ?) "
                                "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    # --- dossiers ------------------------------------------------------------------------------------

    def dossiers(self) -> dict[str, "KnownDossier"]:
        """Every dossier's stored state, what a cycle needs of it. Decoded once and kept while nothing changes
        them: not this store (`save_dossier`, `mark_bound` forget the copy) nor another connection (SQLite's
        data_version). What the dossier shows the lead is read apart (`infos`, `info`): a season's worth of
        it would weigh a kilobyte a dossier between cycles."""
        version = self.db.execute("PRAGMA data_version").fetchone()[0]
        if self._dossiers is None or self._dossiers[0] != version:
            rows = self.db.execute("SELECT dossier, state, bound, info FROM dossiers")
            self._dossiers = version, {
                r[0]: KnownDossier(DossierState(**json.loads(r[1])), bool(r[2]), json.loads(r[3]).get("action", ""))
                for r in rows}
        return dict(self._dossiers[1])

    def infos(self) -> dict[str, dict]:
        """Each dossier's stored display data (name, dates, decision…), as the reminder and previews show it."""
        return {r[0]: json.loads(r[1]) for r in self.db.execute("SELECT dossier, info FROM dossiers")}

    def info(self, dossier: str) -> dict:
        """One dossier's stored display data ({} for a dossier the state does not know)."""
        row = self.db.execute("SELECT info FROM dossiers WHERE dossier = ?", (dossier,)).fetchone()
        return json.loads(row[0]) if row else {}

    def save_dossier(self, db: sqlite3.Connection, stored: "StoredDossier") -> None:
        self._dossiers = None
        db.execute(
            "INSERT INTO dossiers(dossier, state, identity, submitted_at, bound, info) VALUES(?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(dossier) DO UPDATE SET state = excluded.state, identity = excluded.identity, "
            "submitted_at = excluded.submitted_at, bound = excluded.bound, info = excluded.info",
            (stored.state.dossier, json.dumps(asdict(stored.state)), json.dumps(list(stored.identity)),
             stored.submitted_at, int(stored.bound), stored.encoded_info))

    def mark_bound(self, dossiers: list[str]) -> None:
        self._dossiers = None
        with self.transaction() as db:
            db.executemany("UPDATE dossiers SET bound = 1 WHERE dossier = ?", [(d,) for d in dossiers])

    # --- outbox --------------------------------------------------------------------------------------

    def add_intent(self, db: sqlite3.Connection, key: str, dossier: str, event: str, role: str, address: str,
                   message_id: str, raw: bytes, now: datetime) -> bool:
        """Record an e-mail to send; False when this key was already recorded (it is never sent twice)."""
        cursor = db.execute(
            "INSERT OR IGNORE INTO outbox(key, dossier, event, role, address, message_id, raw, status, next_try, "
            "created) VALUES(?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
            (key, dossier, event, role, address, message_id, raw, now.isoformat(), now.isoformat()))
        return cursor.rowcount == 1

    def due(self, now: datetime) -> list[OutboxRow]:
        """Messages to send now: pending ones whose time has come, and any left `sending` by a crash.
        Without their bodies (`body(key)` reads one): a season's worth of them would not fit in memory."""
        return self._outbox("WHERE status IN ('pending', 'sending') AND next_try <= ? ORDER BY rowid",
                            (now.isoformat(),), raw="x''")

    def body(self, key: str) -> bytes:
        """The message recorded under `key`, as it will be sent."""
        row = self.db.execute("SELECT raw FROM outbox WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise StateError(f"state file {self.path}: no e-mail recorded under {key}")
        return row[0]

    def outbox(self, dossier: str | None = None) -> list[OutboxRow]:
        if dossier is None:
            return self._outbox("ORDER BY rowid", ())
        return self._outbox("WHERE dossier = ? ORDER BY rowid", (dossier,))

    def by_message_id(self, message_id: str) -> OutboxRow | None:
        """Our message with this Message-ID (angle brackets included), compared without case."""
        rows = self._outbox("WHERE message_id = ? COLLATE NOCASE", (message_id.strip(),))
        return rows[0] if rows else None

    def uncopied(self) -> list[OutboxRow]:
        """Sent messages whose copy is not yet in the IMAP Sent folder (without their bodies: see `body`)."""
        return self._outbox("WHERE status = 'sent' AND copied = 0 ORDER BY rowid", (), raw="x''")

    def has(self, key: str) -> bool:
        return self.db.execute("SELECT 1 FROM outbox WHERE key = ?", (key,)).fetchone() is not None

    def rejected(self) -> list[OutboxRow]:
        """Messages whose address was refused (bounced or refused for good by the SMTP server)."""
        return self._outbox("WHERE rowid IN (SELECT rowid FROM outbox WHERE bounced IS NOT NULL) ORDER BY rowid", ())

    def troubled(self) -> list[OutboxRow]:
        """Messages the sheet's statuses report (without their bodies): addresses refused, and sends that failed
        and wait for their next try."""
        return self._outbox("WHERE rowid IN (SELECT rowid FROM outbox WHERE bounced IS NOT NULL UNION "
                            "SELECT rowid FROM outbox WHERE status IN ('pending', 'sending') AND attempts > 0) "
                            "ORDER BY rowid", (), raw="x''")

    def _outbox(self, where: str, args: tuple, raw: str = "raw") -> list[OutboxRow]:
        cols = (f"key, dossier, event, role, address, message_id, {raw}, status, attempts, next_try, error, sent_at, "
                "copied, bounced, bounced_at")
        return [OutboxRow(*r) for r in self.db.execute(f"SELECT {cols} FROM outbox {where}", args)]

    def mark_sending(self, key: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE key = ?", (key,))

    def mark_sent(self, key: str, now: datetime) -> None:
        with self.transaction() as db:
            db.execute("UPDATE outbox SET status = 'sent', sent_at = ?, error = NULL WHERE key = ?",
                       (now.isoformat(), key))

    def mark_retry(self, key: str, next_try: datetime, error: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE outbox SET status = 'pending', next_try = ?, error = ? WHERE key = ?",
                       (next_try.isoformat(), error, key))

    def mark_failed(self, key: str, error: str, now: datetime) -> None:
        """Refused for good by the SMTP server: never retried, and its address counts as rejected."""
        with self.transaction() as db:
            db.execute("UPDATE outbox SET status = 'failed', error = ?, bounced = address, bounced_at = ? "
                       "WHERE key = ?", (error, now.isoformat(), key))

    def mark_copied(self, key: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE outbox SET copied = 1 WHERE key = ?", (key,))

    def mark_bounced(self, db: sqlite3.Connection, key: str, address: str, reason: str, now: datetime) -> bool:
        """Record a bounce for a sent message (inside the caller's transaction); False when already known."""
        cursor = db.execute("UPDATE outbox SET bounced = ?, bounced_at = ?, error = ? WHERE key = ? AND "
                            "bounced IS NULL", (address, now.isoformat(), reason, key))
        return cursor.rowcount == 1


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a state file written by an older version up to SCHEMA (columns are only ever added)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(outbox)")}
    if "bounced_at" not in columns:
        db.execute("ALTER TABLE outbox ADD COLUMN bounced_at TEXT")


@dataclass(frozen=True, slots=True)
class StoredDossier:
    """A dossier as saved: its state, the student's keys, when it was submitted, and its display data."""

    state: DossierState
    identity: tuple[str, ...]
    submitted_at: str | None
    bound: bool
    encoded_info: str     # the display data (`info`) as stored: JSON, with the Dernière action under "action"

    @classmethod
    def of(cls, state: DossierState, identity: tuple[str, ...], submitted_at: str | None, bound: bool,
           info: dict) -> "StoredDossier":
        return cls(state, identity, submitted_at, bound, json.dumps(info, ensure_ascii=False))


@dataclass(frozen=True, slots=True)
class KnownDossier:
    """A dossier as a cycle reads it back: its state, whether its row is tagged, and its Dernière action."""

    state: DossierState
    bound: bool
    action: str
