"""Fixtures for the browser tests: the demo platform served on a free loopback port, and Debian's Chromium.

The server is the real thing a user gets from `make demo`: a fresh data directory, `gongzhi migrate`,
`gongzhi load_demo` and `gongzhi runserver --insecure` in a subprocess, on SQLite, whatever DATABASE_URL says (so a
browser run never writes demo data into a real database). Chromium is Debian's (/usr/bin/chromium, installed by
scripts/ensure-chromium.sh); Playwright only drives it and never downloads a browser.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
# --no-sandbox: CI runs as root; the background-networking flags keep Chromium from calling out of a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE: ViewportSize = {"width": 360, "height": 780}
DEMO_USERS = (
    "demo-office",
    "demo-authority",
    "demo-dept",
    "demo-finance",
    "demo-community",
    "demo-resident",
    "demo-panel",
    "demo-admin",
)
# Fetched from the demo database after load_demo: each demo user's active memberships' organization names.
MEMBERSHIPS_SCRIPT = """
import json
from gongzhi.orgs.models import Membership
names = {}
rows = Membership.objects.filter(user__username__startswith="demo-", revoked_at__isnull=True)
for m in rows.select_related("user", "organization"):
    names.setdefault(m.user.username, []).append(m.organization.name)
print(json.dumps(names, ensure_ascii=False))
"""


@dataclass(frozen=True)
class DemoServer:
    url: str
    password: str
    data_dir: Path
    env: dict[str, str]
    memberships: dict[str, list[str]]

    def manage(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return _manage(self.env, *args, timeout=timeout)


def _manage(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _checked(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    done = _manage(env, *args, timeout=timeout)
    if done.returncode != 0:
        pytest.fail(
            f"gongzhi {' '.join(args)} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_serving(url: str, proc: subprocess.Popen[bytes], log: Path, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the demo server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/login/", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    pytest.fail(f"the demo server did not answer on {url} within {limit:.0f}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    data_dir = tmp_path_factory.mktemp("gongzhi-demo")
    password = "Demo-" + secrets.token_urlsafe(12)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GONGZHI_ENV", "GONGZHI_TEST_DB")}
    env.update(
        DJANGO_SETTINGS_MODULE="gongzhi.settings",
        GONGZHI_DATA_DIR=str(data_dir),
        GONGZHI_DEMO_PASSWORD=password,
        GONGZHI_ALLOWED_HOSTS="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
    )
    _checked(env, "migrate", "--noinput")
    _checked(env, "load_demo")
    memberships = json.loads(_checked(env, "shell", "-c", MEMBERSHIPS_SCRIPT).strip().splitlines()[-1])

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = data_dir / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "runserver",
                "--insecure",
                "--noreload",
                f"127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        _wait_until_serving(url, proc, log)
        yield DemoServer(url=url, password=password, data_dir=data_dir, env=env, memberships=memberships)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: run `bash scripts/ensure-chromium.sh` (Debian's chromium package)"
        )
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, demo_server: DemoServer) -> Iterator[Page]:
    """A fresh phone-width tab (no cookies) whose browser asks for Chinese, as a Tongling resident's would."""
    context = browser.new_context(
        base_url=demo_server.url,
        viewport=PHONE,
        device_scale_factor=1,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()
