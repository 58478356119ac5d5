"""Structured logs (structlog), with secret-looking values redacted before rendering.

The redaction is a last line of defence: code should never log a secret in the first
place, but a key named like one (token, secret, signature, authorization, password) is
blanked whatever its value, and Slack/AccessKey-shaped strings are masked anywhere.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_SECRET_KEY = re.compile(r"(secret|token|signature|authorization|password)", re.IGNORECASE)
# xoxb-/xapp-/xoxp- Slack tokens and ACS3 Signature=... values.
_SECRET_VALUE = re.compile(r"(xox[abpr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|Signature=[0-9a-f]{16,})")
REDACTED = "[redacted]"


def redact(value: Any) -> Any:
    """Mask secret-shaped substrings in strings; recurse into containers."""
    if isinstance(value, str):
        return _SECRET_VALUE.sub(REDACTED, value)
    if isinstance(value, dict):
        return {
            k: (REDACTED if _SECRET_KEY.search(str(k)) else redact(v)) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def _redact_processor(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    redacted: MutableMapping[str, Any] = redact(dict(event_dict))  # same rules as values
    return redacted


def configure(level: str = "INFO", *, json: bool = True) -> None:
    """Route stdlib logging and structlog through one redacting JSON (or console) renderer."""
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact_processor,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # waitress warns "Task queue depth is N" whenever a request waits for a worker
    # thread; with a bounded pool under load that is expected, not news.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
