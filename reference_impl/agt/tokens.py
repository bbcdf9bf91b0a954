"""Secrets: opaque tokens stored only as sha256 hashes, and HMAC-signed access tokens.

Registration and refresh tokens are random, shown once, and stored hashed, so a
leaked table grants nothing. Access tokens are short-lived and stateless: a
payload signed with the deployment's key (HMAC-SHA256), verified in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from reference_impl.agt.errors import InvalidArgument, InvalidToken, TokenExpired

PREFIXES = {"registration": "agtreg_", "refresh": "agtref_", "agent_secret": "agtsec_"}
_BODY = re.compile(r"^[A-Za-z0-9_-]{43}$")  # 32 random bytes, url-safe base64 without padding


def new_token(kind: str) -> str:
    return PREFIXES[kind] + secrets.token_urlsafe(32)


def check_shape(kind: str, token: object) -> str:
    """Refuse a malformed token before any query runs (so nothing is written)."""
    prefix = PREFIXES[kind]
    if not isinstance(token, str) or not token.startswith(prefix):
        raise InvalidArgument(f"malformed {kind} token: expected a string starting {prefix!r}")
    if not _BODY.match(token[len(prefix) :]):
        raise InvalidArgument(
            f"malformed {kind} token: expected 43 url-safe characters after {prefix!r}"
        )
    return token


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def same_hash(stored: bytes | memoryview, token: str) -> bool:
    """Constant-time comparison of a stored hash with the hash of a presented token."""
    return hmac.compare_digest(bytes(stored), token_hash(token))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class AccessClaims:
    agent_id: str
    expires_at: datetime


def mint_access_token(key: bytes, agent_id: str, expires_at: datetime) -> str:
    payload = _b64(json.dumps({"sub": agent_id, "exp": expires_at.timestamp()}).encode())
    signature = _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{signature}"


def verify_access_token(key: bytes, token: object, now: datetime) -> AccessClaims:
    if not isinstance(token, str) or token.count(".") != 1:
        raise InvalidArgument("malformed access token: expected PAYLOAD.SIGNATURE")
    payload, signature = token.split(".")
    expected = _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise InvalidToken("access token signature does not verify")
    try:
        body = json.loads(_unb64(payload))
        agent_id, exp = str(body["sub"]), float(body["exp"])
    except (ValueError, KeyError, TypeError):
        raise InvalidArgument("malformed access token payload") from None
    expires_at = datetime.fromtimestamp(exp, tz=now.tzinfo)
    if expires_at <= now:
        raise TokenExpired("access token expired; renew it with the refresh token")
    return AccessClaims(agent_id, expires_at)
