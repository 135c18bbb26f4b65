"""Slack's OAuth installations and install states, in Pacer's database, tokens sealed.

slack_sdk's SQLAlchemy stores do the work (saving, finding, deleting installations; issuing
and consuming OAuth states). Two things they leave to us: their tables are created here by
an Alembic migration (not by their create_tables at start-up), and they store tokens as plain
text, so the token columns of the tables we hand them are `Sealed`: Fernet ciphertext with a
key from the environment (PACER_TOKEN_KEY) that the database never holds.

The tables are slack_sdk's own definitions, rebuilt column by column. `schema(metadata)` puts
a plain copy on SQLModel.metadata for the migrations and the test that compares them with the
models; the stores get copies whose token columns encrypt. A slack_sdk upgrade that adds a
column therefore shows up in that test until a migration adds it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Column, Engine, Index, MetaData, String, Table, desc, select
from sqlalchemy.types import TypeDecorator, TypeEngine

if TYPE_CHECKING:  # the keys come from bot/config.py, which imports it when there are some
    from cryptography.fernet import MultiFernet

BOTS = SQLAlchemyInstallationStore.default_bots_table_name  # slack_bots
INSTALLATIONS = SQLAlchemyInstallationStore.default_installations_table_name
STATES = SQLAlchemyOAuthStateStore.default_table_name  # slack_oauth_states
# Every credential an installation can carry. Fernet ciphertext is about 1.4 times the
# token plus 100 characters, so the columns are wider than slack_sdk's 200.
SECRET_COLUMNS = frozenset({"bot_token", "bot_refresh_token", "user_token",
                            "user_refresh_token", "incoming_webhook_url"})
SECRET_LENGTH = 1000
STATE_SECONDS = 600  # an install link is good for ten minutes


class TokenKeyError(RuntimeError):
    """A stored token cannot be decrypted with PACER_TOKEN_KEY."""


class Sealed(TypeDecorator):
    """A secret stored as Fernet ciphertext (authenticated encryption); plain text in Python.
    Fernet is non-deterministic, so a sealed column can be read and written, never searched."""

    impl = String(SECRET_LENGTH)
    cache_ok = True

    def __init__(self, keys: MultiFernet) -> None:
        super().__init__()
        self.keys = keys

    def process_bind_param(self, value: str | None, dialect: object) -> str | None:
        return None if value is None else self.keys.encrypt(value.encode()).decode()

    def process_result_value(self, value: str | None, dialect: object) -> str | None:
        if value is None:
            return None
        from cryptography.fernet import InvalidToken  # loaded already: self.keys is one

        try:
            return self.keys.decrypt(value.encode()).decode()
        except InvalidToken as exc:
            raise TokenKeyError(
                "a stored Slack token cannot be decrypted with PACER_TOKEN_KEY: was the key "
                "changed? List the new key first and the old one after it, comma separated"
            ) from exc


def _rebuilt(source: Table, metadata: MetaData, secret: TypeEngine) -> Table:
    """slack_sdk's table on `metadata`, its secret columns of type `secret`."""
    columns = [Column(c.name, secret if c.name in SECRET_COLUMNS else c.type,
                      primary_key=c.primary_key, nullable=c.nullable,
                      autoincrement=c.autoincrement,
                      default=c.default.arg if c.default is not None else None)
               for c in source.columns]
    indexes = [Index(index.name, *(c.name for c in index.columns)) for index in source.indexes]
    return Table(source.name, metadata, *columns, *indexes)


def bots_table(metadata: MetaData, secret: TypeEngine) -> Table:
    built = SQLAlchemyInstallationStore.build_bots_table(MetaData(), BOTS)
    return _rebuilt(built, metadata, secret)


def installations_table(metadata: MetaData, secret: TypeEngine) -> Table:
    built = SQLAlchemyInstallationStore.build_installations_table(MetaData(), INSTALLATIONS)
    return _rebuilt(built, metadata, secret)


def schema(metadata: MetaData) -> None:
    """The three tables as the database holds them (ciphertext is a string)."""
    bots_table(metadata, String(SECRET_LENGTH))
    installations_table(metadata, String(SECRET_LENGTH))
    SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, STATES)


class SealedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's SQLAlchemy installation store with every token encrypted at rest."""

    def __init__(self, *, client_id: str, engine: Engine, keys: MultiFernet) -> None:
        super().__init__(client_id=client_id, engine=engine)
        self.metadata = MetaData()
        self.bots = bots_table(self.metadata, Sealed(keys))
        self.installations = installations_table(self.metadata, Sealed(keys))

    def bot_for(self, workspace_id: str) -> Bot | None:
        """The newest bot installed in a workspace (by Slack team id), Enterprise Grid or not:
        what scheduled jobs post with. slack_sdk's find_bot needs the enterprise id too."""
        c = self.bots.c
        query = (select(self.bots)
                 .where(c.client_id == self.client_id, c.team_id == workspace_id,
                        c.bot_token.is_not(None))
                 .order_by(desc(c.installed_at)).limit(1))
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return self.build_bot_entity(row) if row is not None else None


def state_store(engine: Engine) -> SQLAlchemyOAuthStateStore:
    """One-time `state` values for the install link (slack_sdk's store as it is: a state is
    random, single-use and short-lived, so nothing in it needs sealing)."""
    return SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine)
