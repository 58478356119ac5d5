"""Structured logs (structlog): one JSON line per event, tracebacks included, secrets masked.

Every record, from a structlog logger or a stdlib one (``logging.exception`` in a
library), goes through one ``ProcessorFormatter``, in this order:

1. the exception is formatted into the event (``exception``: the whole traceback), so the
   error reference the Slack error handler shows a person leads to the traceback;
2. the event is scrubbed by the one redaction rule (``storage.redaction``, which the
   audit log uses too): a key named like a secret is blanked whatever its value, and
   secret-shaped substrings (Slack tokens, ``Bearer`` values, ``Signature=``, AccessKey
   secrets) are masked in every string, the traceback included;
3. the event is rendered, and the rendered line is masked once more, so nothing a
   renderer adds (a repr, an exception it formats itself) escapes the rule.

The redaction is a last line of defence: code should never log a secret in the first place.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import IO, Any

import structlog

from storage.redaction import REDACTED, mask, scrub

__all__ = ["REDACTED", "configure"]


def _redact_event(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    redacted: MutableMapping[str, Any] = scrub(dict(event_dict))
    return redacted


def _mask_line(_logger: Any, _method: str, line: str) -> str:
    return mask(line)


def configure(level: str = "INFO", *, json: bool = True, stream: IO[str] | None = None) -> None:
    """Route stdlib logging and structlog through one redacting JSON (or console) renderer.

    ``stream`` defaults to ``sys.stderr``.
    """
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    rendering: list[Any]
    if json:
        # A plain traceback string, not structlog's dict tracebacks: those can carry
        # frame locals, and a string is what the masking reads.
        rendering = [structlog.processors.format_exc_info, _redact_event]
        rendering.append(structlog.processors.JSONRenderer())
    else:
        # The console renderer formats exc_info itself (with format_exc_info before it,
        # it warns); plain_traceback, never a formatter that prints frame locals.
        console = structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
        rendering = [_redact_event, console]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    # _mask_line takes the rendered string, which structlog's types do not foresee.
    formatting: list[Any] = [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        *rendering,
        _mask_line,
    ]
    formatter = structlog.stdlib.ProcessorFormatter(foreign_pre_chain=shared, processors=formatting)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # waitress warns "Task queue depth is N" whenever a request waits for a worker
    # thread; with a bounded pool under load that is expected, not news.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
