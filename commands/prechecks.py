"""Read-only look-ups that tell approvers what a call would meet: the spec's own.

``run_prechecks(client, spec, params)`` runs ``spec.quirks.prechecks`` (declared per
product in ``commands/catalog/<product>_quirks.py``) through a read-only
:class:`~commands.reads.CloudReader` and returns :class:`Finding` values for the approval
card. It never raises: a failing read-only call is a Finding with status ``"error"``.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel

from commands.catalog import DEFAULT_CATALOG, Catalog, OperationSpec
from commands.catalog.quirks import Checks, Finding, PollPolicy
from commands.errors import OffboardError
from commands.reads import CloudReader

__all__ = ["Finding", "PollPolicy", "run_prechecks"]

log = logging.getLogger(__name__)


def run_prechecks(
    client: Any,
    spec: OperationSpec,
    params: BaseModel,
    *,
    poll: PollPolicy | None = None,
    caller_uid: int | None = None,
    catalog: Catalog = DEFAULT_CATALOG,
) -> list[Finding]:
    """The findings for ``spec`` called with ``params``; ``[]`` when it declares none.

    ``client`` is a ``CloudClient``; its reads are the operations of ``catalog``.
    ``caller_uid`` is the UID of the account we call as (the management account): it
    lets QueryRelationList find a relation given only by RelationId.
    """
    check = spec.quirks.prechecks
    if check is None:
        return []
    checks = Checks(CloudReader(client, catalog), poll or PollPolicy(), caller_uid)
    try:
        return check(checks, params)
    except OffboardError as exc:
        return [Finding(f"{spec.action} pre-check", "error", (str(exc),))]
    except Exception as exc:  # never out of here: the card must still be posted
        log.exception("pre-check of %s failed", spec.action)
        why = f"Internal error ({type(exc).__name__})."
        return [Finding(f"{spec.action} pre-check", "error", (why,))]
