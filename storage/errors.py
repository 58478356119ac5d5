"""The errors ``storage`` raises on purpose.

    StorageError
     ├── RequestNotFound      no request has this id (also a LookupError)
     ├── DuplicateSubmission  a request was already filed from this submission
     ├── ConcurrentChange     the row changed under us more often than we retry
     ├── GuardLost            a one-time proof was spent by another transaction first
     ├── AlreadyEnrolled      the user has a step-up enrolment; reset it first
     └── NotEnrolled          the user has no step-up enrolment (also a LookupError)

SQLAlchemy's own exceptions (a database that is down, say) are not translated: they
mean "infrastructure", and the caller's error handler reports them as such. The bot's
Slack error handler maps this root with ``commands.errors`` and ``bot.errors`` in one
place (``bot.slack.listeners.errors``); ``tests/test_errors.py`` keeps the tree closed.
"""

from __future__ import annotations


class StorageError(Exception):
    """Base of every error ``storage`` raises on purpose."""


class RequestNotFound(StorageError, LookupError):
    """No request with this id exists."""

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        super().__init__(f"no request {request_id!r}")


class ConcurrentChange(StorageError):
    """A conditional write kept losing to other writers; nothing was written."""


class DuplicateSubmission(StorageError):
    """A request with this submission key exists already; nothing was written."""

    def __init__(self, submission_key: str, request_id: str | None) -> None:
        self.submission_key = submission_key
        self.request_id = request_id
        super().__init__(f"submission {submission_key!r} already filed as {request_id!r}")


class GuardLost(StorageError):
    """A Change's guard matched no row: the transaction was rolled back, nothing written.

    ``name`` is the guard's (``"totp_step"``, ``"recovery_code"``...), so the caller can
    say which proof was already spent.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"guard {name!r} lost: nothing was written")


class AlreadyEnrolled(StorageError):
    """The user has an enrolment; reset it first (a new secret replaces nothing silently)."""


class NotEnrolled(StorageError, LookupError):
    """The user has no enrolment."""
