"""The repository: every method is one transaction; callers never see a Session.

``Repository`` combines the parts: requests and decisions (``requests``), claims behind
the door and the sent mark (``executions``), results (``results``), leases (``leases``),
the outbox (``outbox``), step-up enrolments (``step_up``), the audit trail and health
check (``audit_trail``), over the shared transaction helpers (``transactions``).
``Repository(engine, clock=...)``: leases are judged by the database's clock unless a
clock is injected.
"""

from storage.repository.executions import Admit
from storage.repository.requests import Decide, Repository

__all__ = ["Admit", "Decide", "Repository"]
