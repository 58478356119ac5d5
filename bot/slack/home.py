"""Publishing each person's Home tab, when they open it and whenever a request of theirs
changes.

Opening the tab (``app_home_opened``) publishes it at once. A change to a request is
announced with a ``card`` row in the outbox, written with the change; when the announcer
delivers that row it queues a ``home`` row for each person the change concerns (the
requester, everyone who may approve, everyone who decided), and delivers those like any
other announcement: durably, retried, from whichever replica claims them. Each ``home``
row is rendered from the database when it is delivered, so:

- a person has at most one ``home`` row waiting (:meth:`Repository.queue_per_user`), and
- rows wait :data:`COALESCE` before they are delivered, so the burst of changes one
  decision causes (decided, running, done) is one ``views.publish`` per person.

``views.publish`` is Tier 4 (100+ a minute per workspace); the Web API client waits out
a 429's ``Retry-After``, and a failed row is retried by the announcer with backoff.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from bot.deps import Deps
from bot.events import Surface
from bot.slack import rendering
from bot.slack.listeners import step_up
from bot.slack.views.card import CardModel
from bot.slack.views.guide import access_refusal
from bot.slack.views.home import MAX_MINE, MAX_OUTCOMES, MAX_WAITING, HomeModel, build_home
from storage.records import RequestRecord
from storage.states import OUTCOMES, Status

#: The outbox kind of a Home tab refresh (payload ``{"user": id}``).
HOME = str(Surface.HOME)
COALESCE = timedelta(seconds=2)
_FINAL = [s for s in Status if s.is_final]
_SCAN = 100  # pending requests looked at for one person's waiting list


def publish(deps: Deps, user_id: str) -> None:
    """Render ``user_id``'s tab from the database and ``views.publish`` it."""
    deps.slack.views_publish(user_id=user_id, view=build_home(home_model(deps, user_id)))


def queue_refresh(deps: Deps, users: Iterable[str]) -> int:
    """Queue a Home refresh for each of ``users`` (coalesced); how many were queued."""
    now = deps.clock()
    return deps.repo.queue_per_user(HOME, users, now=now, available_at=now + COALESCE)


def concerned(deps: Deps, record: RequestRecord) -> set[str]:
    """Whose tab a change to ``record`` changes: the requester, everyone who may approve
    (their waiting list and the last outcomes), everyone who decided on it."""
    deciders = {d.user_id for d in deps.repo.decisions_for(record.id)}
    return {record.requester, *deps.policy.directory.approvers(), *deciders}


def home_model(deps: Deps, user_id: str) -> HomeModel:
    """What ``user_id`` may see: nothing but why, unless they may read requests."""
    denial = deps.access.may_read(user_id)
    if denial is not None:
        return HomeModel(user_id, refusal=access_refusal(denial, reading=True))
    repo = deps.repo
    approver = user_id in deps.policy.directory.approvers()
    waiting: list[CardModel] = []
    more = 0
    if approver:
        for record in repo.list_requests(statuses=[Status.PENDING], limit=_SCAN):
            decisions = repo.decisions_for(record.id)
            if record.requester == user_id or any(d.user_id == user_id for d in decisions):
                continue
            if len(waiting) < MAX_WAITING:
                waiting.append(_model(deps, record))
            else:
                more += 1
    mine = repo.list_requests(requester=user_id, limit=MAX_MINE)
    # Approvers see the team's last outcomes; everyone else their own.
    finished = repo.list_requests(
        statuses=_FINAL, requester=None if approver else user_id, limit=MAX_OUTCOMES
    )
    return HomeModel(
        user_id,
        waiting=waiting,
        mine=[_model(deps, r) for r in mine],
        outcomes=[_model(deps, r) for r in finished],
        step_up=step_up.enabled(deps),
        more_waiting=more,
    )


def _model(deps: Deps, record: RequestRecord) -> CardModel:
    execution = deps.repo.get_execution(record.id) if record.status in OUTCOMES else None
    return rendering.card_model(
        record,
        deps.repo.decisions_for(record.id),
        deps.cloud,
        execution,
        policy=deps.policy.snapshot(),
    )
