"""The repository: every method is one transaction; callers never see a Session.

``Repository`` combines the parts: requests and decisions (``requests``), executions and
their leases (``executions``), the outbox (``outbox``), over the shared transaction
helpers (``transactions``).
"""

from storage.repository.requests import Decide, Repository

__all__ = ["Decide", "Repository"]
