"""`offboard-bot call`: one API call from the command line, with no approval bypass.

Read-only operations run and print the normalised result. Destructive ones are never
sent from here; `--dry-run` prints the exact signed request with secret-derived parts
masked, so an operator can see what an approved request would send.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence

from bot.cloud import make_cloud_client
from bot.settings import Settings
from commands.catalog import get_spec, prepare_params, validate_params
from commands.client import CallResult
from commands.errors import ApiError, CloudError, CredentialsError, ParameterError

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
    """Validate, then run (read-only), print (dry run) or refuse (destructive); exit code."""
    try:
        spec = get_spec(action)
        params = validate_params(spec, parse_assignments(assignments))
    except ParameterError as exc:
        for name, message in exc.field_errors.items():
            out(f"error: {name}: {message}")
        return EXIT_USAGE
    # A BSS RequestId must be unique per logical call; a CLI call is its own.
    params = prepare_params(spec, params, offboard_request_id=f"cli-{uuid.uuid4()}")
    if spec.is_destructive(params) and not dry_run:
        out(
            f"refused: {spec.action} is destructive. It runs only as a request in Slack "
            "(/offboard) that two other people approve. Add --dry-run to print the "
            "signed request it would send."
        )
        return EXIT_REFUSED
    try:
        client = make_cloud_client(settings.alibaba_endpoint, bss_site=settings.bss_site)
    except CredentialsError as exc:
        out(f"error: {exc}")
        return EXIT_USAGE
    try:
        if dry_run:
            out(client.describe(client.build_request(spec, params)))
            return EXIT_OK
        out(render_result(client.call(spec, params)))
        return EXIT_OK
    except CredentialsError as exc:
        out(f"error: {exc}")
        return EXIT_USAGE
    except ApiError as exc:
        out(render_result(exc.result))
        return EXIT_API_ERROR
    except CloudError as exc:
        out(f"error: {type(exc).__name__}: {exc}")
        return EXIT_API_ERROR
    finally:
        client.close()
