"""`offboard-bot call`: one API call from the command line, with no approval bypass.

Reads run and print the normalised result. Nothing that changes the cloud is ever sent
from here, a write no more than a destructive call: both go through Slack and other
people's approval. `--dry-run` prints the exact signed request with the signature and any
STS token masked, so an operator can see what an approved request would send.

Every error is a message and an exit code, never a traceback: 0 done, 1 the cloud refused
or could not be reached, 2 bad input or local set-up (a field error names the parameter),
3 refused because the call changes the cloud.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence

import structlog

from bot.cloud import make_cloud_client
from bot.settings import Settings
from commands.catalog import (
    OperationClass,
    OperationSpec,
    get_spec,
    prepare_params,
    validate_params,
)
from commands.client import CallResult
from commands.errors import ApiError, CloudError, OffboardError, ParameterError

log = structlog.get_logger(__name__)

EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3


def parse_assignments(assignments: Sequence[str]) -> dict[str, str]:
    """`["AccountId=1", "Hosts=[...]"]` -> dict; the first `=` splits name from value."""
    raw: dict[str, str] = {}
    bad = [a for a in assignments if "=" not in a or a.startswith("=")]
    if bad:
        raise ParameterError({b or "(empty)": "expected Param=Value" for b in bad})
    for assignment in assignments:
        name, value = assignment.split("=", 1)
        if name in raw:
            raise ParameterError({name: "given more than once"})
        raw[name] = value
    return raw


def render_result(result: CallResult) -> str:
    """Code, Message, RequestId and HTTP status on one line, then the body as JSON."""
    head = (
        f"HTTP {result.http_status}  Code: {result.code or '-'}  "
        f"Message: {result.message or '-'}  RequestId: {result.request_id or '-'}"
    )
    if result.recommend:
        head += f"\nRecommend: {result.recommend}"
    return head + "\n" + json.dumps(result.body, indent=2, sort_keys=True, ensure_ascii=False)


def run_call(
    settings: Settings,
    action: str,
    assignments: Sequence[str],
    *,
    dry_run: bool,
    out: Callable[[str], None],
) -> int:
    """Validate, then run (a read), print (dry run) or refuse (a write); the exit code."""
    try:
        return _run(settings, action, assignments, dry_run=dry_run, out=out)
    except ParameterError as exc:
        for name, message in exc.field_errors.items():
            out(f"error: {name}: {message}")
        return EXIT_USAGE
    except ApiError as exc:
        out(render_result(exc.result))
        return EXIT_API_ERROR
    except CloudError as exc:
        out(f"error: {type(exc).__name__}: {exc}")
        return EXIT_API_ERROR
    except (OffboardError, ValueError) as exc:  # credentials, a bad endpoint setting
        out(f"error: {exc}")
        return EXIT_USAGE
    except Exception as exc:  # a bug: say so in one line; the traceback is a debug log
        log.debug("call_failed", error_type=type(exc).__name__, exc_info=True)
        out(f"error: unexpected {type(exc).__name__}; run with --log-level DEBUG for details")
        return EXIT_API_ERROR


def _run(
    settings: Settings,
    action: str,
    assignments: Sequence[str],
    *,
    dry_run: bool,
    out: Callable[[str], None],
) -> int:
    spec = get_spec(action)
    params = validate_params(spec, parse_assignments(assignments))
    # A BSS RequestId must be unique per logical call; a CLI call is its own.
    params = prepare_params(spec, params, offboard_request_id=f"cli-{uuid.uuid4()}")
    with make_cloud_client(settings.alibaba_endpoint, bss_site=settings.bss_site) as client:
        client.endpoint_for(spec, params)  # what prevents building it is a field error
        op_class = spec.classify(params)
        if op_class.changes_cloud and not dry_run:
            out(refusal(spec, op_class))
            return EXIT_REFUSED
        if dry_run:
            out(client.describe(client.build_request(spec, params)))
            return EXIT_OK
        out(render_result(client.call(spec, params)))
        return EXIT_OK


def refusal(spec: OperationSpec, op_class: OperationClass) -> str:
    """Why a call that changes the cloud is not sent from the command line."""
    if op_class is OperationClass.DESTRUCTIVE:
        kind, count = "is destructive", "OFFBOARD_REQUIRED_APPROVALS"
    else:
        kind, count = "changes the cloud (a write)", "OFFBOARD_REQUIRED_WRITE_APPROVALS"
    return (
        f"refused: {spec.action} with these parameters {kind}. It runs only as a request "
        f"in Slack (/offboard) that other people approve ({count}); nothing was sent. "
        "Add --dry-run to print the signed request it would send."
    )
