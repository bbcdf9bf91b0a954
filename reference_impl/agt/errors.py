"""One root exception for everything the agent command server refuses on purpose.

Each refusal is raised before anything is written (or inside a transaction that
is then rolled back), so a caller that sees one knows the database is unchanged.
"""

from __future__ import annotations


class AgtError(Exception):
    """Root of every deliberate refusal of the agent command server."""


class InvalidArgument(AgtError):
    """Malformed input: a token of the wrong shape, a negative interval, a bad id."""


class InvalidToken(AgtError):
    """A registration, refresh or access token that is unknown, used, revoked or forged."""


class TokenExpired(InvalidToken):
    """A token that was valid once and is past its expiry."""


class UnknownAgent(AgtError):
    """No agent with that id exists."""


class UnknownCommand(AgtError):
    """No command with that id belongs to that agent, or it is not awaiting acknowledgement."""


class RateLimited(AgtError):
    """The agent polled more often than its limit allows; retry after ``retry_after_s``."""

    def __init__(self, agent_id: str, retry_after_s: float) -> None:
        self.agent_id = agent_id
        self.retry_after_s = retry_after_s
        super().__init__(f"agent {agent_id} is rate limited; retry in {retry_after_s:.1f} s")


class MigrationError(AgtError):
    """A migration could not be applied or reverted; the message names which."""
