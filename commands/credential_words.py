"""What ``alibabacloud-credentials`` reports, said in our words and without its values.

The package's exception texts can quote an answer body (a credentials URI's JSON with
its ``AccessKeySecret``, STS's reply) or a request URL (the AssumeRole query with the
caller's ``Signature`` and ``SecurityToken``). So they are never shown: they are only
searched for a few fixed markers, and what we say is built from the package's class
and provider names, HTTP status digits and Alibaba error codes.
"""

from __future__ import annotations

import re

__all__ = ["describe_failure", "describe_source"]

# The links of the default chain, by the class names its "unable to load credentials
# from any of the providers in the chain" message lists.
_LINKS = {
    "EnvironmentVariableCredentialsProvider": (
        "the environment (ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET)"
    ),
    "OIDCRoleArnCredentialsProvider": "OIDC (RRSA)",
    "CLIProfileCredentialsProvider": (
        "the aliyun CLI profile (~/.aliyun/config.json, ALIBABA_CLOUD_PROFILE)"
    ),
    "ProfileCredentialsProvider": (
        "the credentials file (ALIBABA_CLOUD_CREDENTIALS_FILE or ~/.alibabacloud/credentials.ini)"
    ),
    "EcsRamRoleCredentialsProvider": "the ECS instance RAM role",
    "URLCredentialsProvider": "ALIBABA_CLOUD_CREDENTIALS_URI",
}

# The package's provider names, as they appear in a credential's provider name.
_SOURCES = {
    "env": "the environment variables",
    "oidc_role_arn": "OIDC (RRSA)",
    "cli_profile": "the aliyun CLI profile",
    "profile": "the credentials file",
    "ecs_ram_role": "the ECS instance RAM role",
    "credential_uri": "ALIBABA_CLOUD_CREDENTIALS_URI",
    "ram_role_arn": "a RAM role (STS AssumeRole)",
    "static_ak": "an AccessKey",
    "static_sts": "an STS token",
}

# Fixed phrases of the package -> what they mean. First match wins; TLS before network.
_REASONS = (
    ("CERTIFICATE_VERIFY_FAILED", "the TLS certificate is not trusted"),
    ("cannot be empty", "not set"),
    ("is disabled", "disabled"),
    ("unable to open", "no such file"),
    ("failed to parse", "the file cannot be read"),
    ("unable to get profile", "no such profile"),
    ("failed to get credential from credentials file", "no such profile"),
    ("unsupported", "an unsupported profile type"),
    ("error retrieving credentials", "the answer holds no complete credentials"),
)
_UNREACHABLE = ("Max retries exceeded", "Connection", "timed out", "Failed to establish")
_HTTP = re.compile(r"(?:http_code[=:]\s*|HttpCode=)(\d{3})")
_CODE = re.compile(r'"Code"\s*:\s*"([A-Za-z][A-Za-z0-9.]{0,80})"')
_LINK = re.compile(r"\b(" + "|".join(_LINKS) + r")\b")


def describe_failure(error: BaseException) -> str:
    """Why the package found no credentials, in our words; never a value from its text."""
    text = str(error)
    if "providers in the chain" in text:
        return _chain_failure(text)
    return _reason(text, type(error).__name__)


def describe_source(provider_name: str | None) -> str:
    """``ram_role_arn/default/env`` -> "a RAM role (STS AssumeRole) via the environment
    variables": where credentials came from, from the package's provider name."""
    parts = [part for part in (provider_name or "").split("/") if part and part != "default"]
    if not parts:
        return "an unnamed source"
    return " via ".join(_SOURCES.get(part, part) for part in parts)


def _chain_failure(text: str) -> str:
    found = list(_LINK.finditer(text))
    if not found:
        return "no link of the chain found credentials"
    tried = []
    for index, match in enumerate(found):
        end = found[index + 1].start() if index + 1 < len(found) else len(text)
        reason = _reason(text[match.end() : end], "")
        tried.append(f"{_LINKS[match.group(1)]}: {reason}")
    return "no link of the chain found credentials; tried " + "; ".join(tried)


def _reason(text: str, kind: str) -> str:
    for marker, meaning in _REASONS[:1]:
        if marker in text:
            return meaning
    status = _HTTP.search(text)
    if status:
        code = _CODE.search(text)
        return f"answered HTTP {status.group(1)}" + (f" {code.group(1)}" if code else "")
    if any(marker in text for marker in _UNREACHABLE):
        return "the endpoint could not be reached"
    for marker, meaning in _REASONS[1:]:
        if marker in text:
            return meaning
    return f"it failed ({kind})" if kind else "it failed"
