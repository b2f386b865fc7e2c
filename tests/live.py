"""A real HTTP server and a real browser for the tests that need them.

- `http_server` (session): `manage.py runserver --noreload` in another process, on the test database, with
  test settings. It serves every territory on its own host: `http_server.url_for(territory, "/admin/")`.
  Data a browser must see has to be committed: use the `scratch_territory` fixture (committed, dropped after)
  or commit explicitly with `django_db_blocker.unblock()`.
- `browser` (session) / `page`: headless Debian Chromium driven by Playwright; a test is skipped with a clear
  reason when Chromium is missing (`make test` installs it). `page.shot(name)` saves a screenshot under
  `tests/artifacts/`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def test_database_url() -> str:
    db = settings.DATABASES["default"]
    host = (db.get("HOST") or db.get("OPTIONS", {}).get("host") or "").replace("/", "%2F")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgresql://{db['USER']}{password}@{host}{port}/{db['NAME']}"


test_database_url.__test__ = False  # not a test


def server_env(**extra: str) -> dict[str, str]:
    """Environment for a process (server, worker) that must use the test database and settings."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "core.settings.test",
        "DATABASE_URL": test_database_url(),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


# The test server writes its e-mails as files (one per message) that `sent_mails()` reads back.
MAIL_DIR = ROOT / "var" / "test-mail"
MAIL_TO_FILES = {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(MAIL_DIR)}


def sent_mails() -> list[str]:
    """The e-mails the test server sent so far (raw messages, oldest first)."""
    if not MAIL_DIR.exists():
        return []
    return [path.read_text() for path in sorted(MAIL_DIR.glob("*.log"), key=lambda p: p.stat().st_mtime)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    port: int
    process: subprocess.Popen

    def url_for(self, territory, path: str = "/") -> str:
        host = territory.primary_domain if territory is not None else settings.PPE_PUBLIC_DOMAIN
        return f"http://{host}:{self.port}{path}"


def _wait_until_up(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"test server exited: {server_output(process)}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers (404 for an unknown host is an answer)
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("test server did not start in time")


def server_start(port: int, *, clock: str | None = None, **extra: str) -> subprocess.Popen:
    """`manage.py runserver` on the test database (as `make run` serves; `PPE_TEST_DEBUG="true"` for DEBUG on),
    once it answers; with `clock` (an ISO 8601 moment) the server's clock starts there (`tests/clock_manage.py`).
    Stop it with `server_stop`."""
    log = tempfile.TemporaryFile()  # noqa: SIM115 (a file, not a pipe: a chatty server never blocks on it)
    manage = ["manage.py"] if clock is None else ["tests/clock_manage.py", clock]
    process = subprocess.Popen(
        [sys.executable, *manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=server_env(HUEY_IMMEDIATE="true", ALLOWED_HOSTS="*", PPE_URL_PORT=str(port), **MAIL_TO_FILES, **extra),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.log = log
    try:
        _wait_until_up(port, process)
    except BaseException:
        server_stop(process)
        raise
    return process


def server_output(process: subprocess.Popen) -> str:
    """What a test server printed so far."""
    log = getattr(process, "log", None)
    if log is None:
        return process.stdout.read().decode() if process.stdout else ""
    log.seek(0)
    return log.read().decode(errors="replace")


def server_stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    if getattr(process, "log", None) is not None:
        process.log.close()


@pytest.fixture(scope="session")
def http_server(test_territories):
    port = free_port()
    process = server_start(port)
    try:
        yield LiveServer(port=port, process=process)
    finally:
        server_stop(process)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium (Debian) absent : `make test` l'installe (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the tests still use the ORM synchronously.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def shot(name: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    page.shot = shot
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        shot("failure")
    context.close()


# --- Two-factor authentication in the browser ------------------------------------------------------------------
OTP_ENROL_PATH = "/compte/double-authentification/activer/"


def totp_now(secret_b32: str) -> str:
    """The code an authenticator application shows now for the key of the enrolment page (base32)."""
    import base64

    from django_otp.oath import totp

    return f"{totp(base64.b32decode(secret_b32.replace(' ', ''))):06d}"


def otp_enrol(page) -> str:
    """On the enrolment page an administrator reaches after signing in: read the key shown under the QR code,
    type the application's code, confirm. Returns the key (to give the code at a later sign-in)."""
    assert OTP_ENROL_PATH in page.url, page.url
    assert page.locator(".ppe-otp h1").inner_text() == "Activer la double authentification"
    secret = page.locator("#cle-secrete").inner_text().replace(" ", "")
    page.fill("#id_token", totp_now(secret))
    page.get_by_role("button", name="Activer la double authentification").click()
    page.wait_for_load_state()
    assert OTP_ENROL_PATH not in page.url, page.locator("body").inner_text()[:500]
    return secret
