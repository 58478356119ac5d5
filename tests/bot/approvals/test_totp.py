"""The step-up rules, pure: RFC 6238 codes and drift, what a typed code is, lock-outs,
recovery codes as slow hashes, and secrets sealed to their user."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from bot.approvals import recovery, totp
from bot.approvals.digest import SignedCall, digest, shown
from bot.approvals.sealing import SealBroken, SecretBox, SecretKeyProblem

NOW = datetime(2026, 11, 23, 9, 0, 10, tzinfo=UTC)
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code(offset_steps: int) -> str:
    return totp.code_at(SECRET, totp.time_step(NOW) + offset_steps)


def test_codes_are_rfc_6238_as_authenticators_make_them() -> None:
    # The same code an authenticator app (pyotp's reference TOTP) shows at that moment.
    assert totp.code_at(SECRET, totp.time_step(NOW)) == pyotp.TOTP(SECRET).at(NOW)
    # RFC 6238 Appendix B, SHA-1, T = 59 s: 94287082, of which a 6-digit app shows 287082.
    rfc_secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp.code_at(rfc_secret, 59 // 30) == "287082"


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_a_code_one_step_either_side_matches_its_own_step(offset: int) -> None:
    assert totp.matching_step(SECRET, code(offset), NOW) == totp.time_step(NOW) + offset


@pytest.mark.parametrize("offset", [-2, 2, -20])
def test_a_code_two_or_more_steps_away_never_matches(offset: int) -> None:
    assert totp.matching_step(SECRET, code(offset), NOW) is None


def test_a_wrong_code_matches_nothing() -> None:
    wrong = next(c for c in ("000000", "111111", "222222") if c not in {code(-1), code(0), code(1)})
    assert totp.matching_step(SECRET, wrong, NOW) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("123456", totp.TotpCode("123456")),
        (" 123 456 ", totp.TotpCode("123456")),
        ("3-abcde-fghjk", totp.RecoveryCode(3, "3-ABCDE-FGHJK")),
        ("3ABCDEFGHJK", totp.RecoveryCode(3, "3-ABCDE-FGHJK")),
        ("12345", None),
        ("1234567", None),
        ("", None),
        (None, None),
        ("9-ABCDE-FGHJK", None),  # no slot 9
        ("3-ABCDE-FGHJU", None),  # U is not Crockford base32
        ("１２３４５６", None),  # full-width digits are not a code
    ],
)
def test_what_a_typed_code_is(typed: str | None, expected: object) -> None:
    assert totp.parse_code(typed) == expected


def test_five_failures_within_fifteen_minutes_lock_out_for_fifteen_minutes() -> None:
    minute = timedelta(minutes=1)
    four = [NOW - 4 * minute, NOW - 3 * minute, NOW - 2 * minute, NOW - minute]
    assert totp.lock_until(four, NOW) is None
    assert totp.lock_until([*four, NOW], NOW) == NOW + timedelta(minutes=15)
    spread = [NOW - 16 * minute, *four[1:], NOW]  # the first is out of the window
    assert totp.lock_until(spread, NOW) is None
    locked_until = NOW + timedelta(minutes=15)
    assert totp.is_locked(locked_until, NOW + timedelta(minutes=14))
    assert not totp.is_locked(locked_until, locked_until)


def test_the_provisioning_uri_is_what_authenticators_scan() -> None:
    uri = totp.provisioning_uri(SECRET, "U0BOB")
    assert uri.startswith("otpauth://totp/Offboard:U0BOB?")
    assert pyotp.parse_uri(uri).now() == pyotp.TOTP(SECRET).now()


def test_recovery_codes_are_eight_one_per_slot_and_only_their_hash_is_kept() -> None:
    codes = recovery.new_codes()
    assert [c.split("-")[0] for c in codes] == [str(n) for n in range(1, 9)]
    assert len(set(codes)) == 8
    assert all(totp.parse_code(c) == totp.RecoveryCode(int(c[0]), c) for c in codes)
    hashed = [recovery.hash_code(c) for c in codes]
    assert len({h.salt for h in hashed}) == 8  # a salt of its own per code
    for plain, stored in zip(codes, hashed, strict=True):
        assert plain not in stored.digest and stored.slot == int(plain[0])
        assert recovery.matches(plain, stored.salt, stored.digest)
    assert not recovery.matches(codes[1], hashed[0].salt, hashed[0].digest)


def key() -> bytes:
    return os.urandom(32)


def test_a_sealed_secret_opens_only_for_its_user_and_with_its_key() -> None:
    box = SecretBox(key())
    sealed = box.seal("U0BOB", SECRET)
    assert SECRET not in sealed and box.open("U0BOB", sealed) == SECRET
    assert box.seal("U0BOB", SECRET) != sealed  # a fresh nonce every time
    with pytest.raises(SealBroken):  # copied onto another user's row
        box.open("U0MALLORY", sealed)
    with pytest.raises(SealBroken):
        SecretBox(key()).open("U0BOB", sealed)
    raw = bytearray(base64.b64decode(sealed))
    raw[-1] ^= 1
    with pytest.raises(SealBroken):
        box.open("U0BOB", base64.b64encode(bytes(raw)).decode())


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (None, "must be set"),
        ("", "must be set"),
        ("not base64!", "not valid base64"),
        (base64.b64encode(b"short").decode(), "decodes to 5 bytes"),
    ],
)
def test_a_bad_key_is_refused_without_echoing_it(value: str | None, words: str) -> None:
    with pytest.raises(SecretKeyProblem) as refused:
        SecretBox.from_base64(value)
    assert words in str(refused.value)
    assert not value or value not in str(refused.value)


def test_the_key_id_names_a_key_without_revealing_it() -> None:
    raw = key()
    text = base64.b64encode(raw).decode()
    box = SecretBox.from_base64(text)
    assert box.key_id == SecretBox(raw).key_id != SecretBox(key()).key_id
    assert box.key_id not in (text, raw.hex())


def call(**changes: object) -> SignedCall:
    fields: dict[str, object] = {
        "action": "DeleteAccount",
        "product": "ResourceManager",
        "version": "2020-03-31",
        "endpoint": "https://resourcemanager.aliyuncs.com",
        "params": {"AccountId": "1512996702208737"},
        "summary": "Delete member account 1512996702208737",
        "danger": "",
    }
    fields.update(changes)
    return SignedCall(**fields)  # type: ignore[arg-type]


def test_the_digest_covers_operation_parameters_endpoint_and_version() -> None:
    base = digest(call())
    assert digest(call(summary="other words")) == base  # only what is signed and where
    for changed in (
        call(action="DeregisterDelegatedAdministrator"),
        call(params={"AccountId": "1512996702208738"}),
        call(params={"AccountId": "1512996702208737", "Extra": "1"}),
        call(endpoint="https://evil.example"),
        call(version="2016-11-11"),
    ):
        assert digest(changed) != base
    assert len(base) == 16 and shown(base).count(" ") == 3
