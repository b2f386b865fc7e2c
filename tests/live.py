"""A real HTTP server and a real browser for the tests that need them.

- `http_server` (session): `manage.py runserver --noreload` in another process, on the test database, with
  test settings. It serves every territory on its own host: `http_server.url_for(territory, "/admin/")`.
  Data a browser must see has to be committed: use the `scratch_territory` fixture (committed, dropped after)
  or commit explicitly with `django_db_blocker.unblock()`.
  With `PPE_TEST_TOPOLOGY=prod` it is the production topology of `make prod` instead (`ProdTopology`: PgBouncer
  in transaction pooling mode in front of the test database, gunicorn with 2 workers and 2 huey consumers going
  through it, DEBUG off): `PPE_TEST_TOPOLOGY=prod .venv/bin/pytest tests/journeys/`.
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

from core.processes import processes_stop

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


def wait_for(predicate, timeout: float, what: str):
    """Poll `predicate` until it returns something true (returned), for at most `timeout` seconds: generous
    waits on a loaded machine, never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


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
    processes_stop([process], seconds=10)
    if getattr(process, "log", None) is not None:
        process.log.close()


class ProdTopology:
    """`make prod`'s processes on the database `server` (Django connection settings of the server itself):
    PgBouncer in transaction mode, gunicorn (2 workers) and `run_workers --consumers 2` through it, with test
    settings (DEBUG off; e-mails written to MAIL_DIR). `env` adds to their environment."""

    def __init__(self, server: dict, *, port: int | None = None, pool_size: int = 10, wait_timeout: int = 10,
                 **env: str) -> None:  # fmt: skip
        from core.pgbouncer import PgBouncer

        self.server = server
        self.port = port or free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="ppe-topology-"))
        self.folder.chmod(0o755)  # PgBouncer may run as another user (never as root): it must reach its folder
        self.bouncer = PgBouncer(
            self.folder / "pgbouncer", server, port=free_port(), pool_size=pool_size, wait_timeout=wait_timeout
        )
        self.extra = env
        self.processes: dict[str, subprocess.Popen] = {}

    def env(self, **extra: str) -> dict[str, str]:
        from core.settings.database import database_url

        return server_env(
            **{
                "DATABASE_URL": self.bouncer.url(),
                "DB_TRANSACTION_POOLING": "true",
                "PPE_DATABASE_DIRECT_URL": database_url(self.server),
                "HUEY_IMMEDIATE": "false",
                "ALLOWED_HOSTS": "*",
                "PPE_URL_PORT": str(self.port),
                "DB_POOL_MAX_SIZE": "2",
                **MAIL_TO_FILES,
                **self.extra,
                **extra,
            }
        )

    def spawn(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("w")
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        return process

    def start(self) -> ProdTopology:
        from core.management.commands.run_prod import gunicorn_command

        self.bouncer.start()
        env = self.env()
        try:
            self.spawn("web", gunicorn_command(self.port, 2, bind="127.0.0.1"), env)
            self.spawn("workers", [sys.executable, "manage.py", "run_workers", "--consumers", "2"], env)
            _wait_until_up(self.port, self.processes["web"], timeout=120)
        except BaseException:
            self.stop()
            raise
        return self

    def output(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-4000:] for p in sorted(self.folder.glob("*.log")))

    def stop(self) -> None:
        processes_stop(self.processes.values(), seconds=30)
        self.bouncer.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def http_server(test_territories):
    if os.environ.get("PPE_TEST_TOPOLOGY") == "prod":
        from django.db import connections

        topology = ProdTopology(dict(connections["default"].settings_dict)).start()
        try:
            yield LiveServer(port=topology.port, process=topology.processes["web"])
        finally:
            topology.stop()
        return
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
