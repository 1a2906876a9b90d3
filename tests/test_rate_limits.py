"""Rate limits are counted once for all web processes: two gunicorn processes sharing Redis
refuse the attempt after the limit, whichever process receives it."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
import requests

from tests.servers import gunicorn, server_env

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def _attempt(base: str, browser: requests.Session, username: str) -> int:
    page = browser.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    return browser.post(f"{base}/login", data={
        "username": username, "password": "not the password", "csrf_token": token.group(1)},
        allow_redirects=False, timeout=30).status_code


def _attempts_until_refused(bases: list[str], limit: int) -> list[int]:
    username = f"nobody-{uuid.uuid4().hex[:8]}"
    browsers = [requests.Session() for _ in bases]
    return [_attempt(bases[n % len(bases)], browsers[n % len(bases)], username)
            for n in range(limit + 1)]


@pytest.mark.parametrize("shared", [True, False], ids=["redis", "memory"])
def test_two_web_processes_share_one_sign_in_limit(app, database_url: str, tmp_path: Path,
                                                    shared: bool) -> None:
    from service.web.guard import SIGN_IN_PER_NAME

    if shared and not _redis_up():
        pytest.skip("Redis is not reachable")
    limit = int(SIGN_IN_PER_NAME.split()[0])
    extra = {"RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    if shared:
        extra["REDIS_URL"] = REDIS_URL
    env = server_env(tmp_path / "instance", database_url, **extra)
    with gunicorn(env, tmp_path / "one.log", "-w", "1") as one, \
            gunicorn(env, tmp_path / "two.log", "-w", "1") as two:
        codes = _attempts_until_refused([one, two], limit)
    assert codes[:limit] == [401] * limit
    if shared:  # each process saw only half the attempts, yet the next one is refused
        assert codes[limit] == 429
    else:  # the contrast: in memory, each process counts alone
        assert codes[limit] == 401
