"""kill -9 of the huey worker in the middle of a webhook delivery and in the middle of an e-mail: the supervisor
(`manage.py run_workers`, what `make run` starts) says so and restarts it, the outbox hands the effect over
again, and each effect happens exactly once (one delivery answered, one message accepted by the mail server),
nothing committed lost. Real processes on the test database; slow, so one supervisor serves both."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django_tenants.utils import schema_context
from huey.contrib.djhuey import HUEY

from core.api import events
from core.api.models import WebhookDelivery
from core.api.webhooks import webhook_event_emit, webhook_subscription_create
from core.tasks import user_welcome_email_send
from tenants.outbox.models import Effect, SentMessage
from tests.live import ROOT, server_env, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.faults]


class StallingReceiver:
    """A webhook endpoint whose first request hangs (the worker is killed meanwhile); the others get 200."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.answered: list[str] = []
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                delivery = self.headers["X-PPE-Delivery"]
                receiver.requests.append(delivery)
                if len(receiver.requests) == 1:
                    receiver.release.wait(60)
                    return  # never answered: its worker is dead
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")
                receiver.answered.append(delivery)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class StallingSmtp:
    """A mail server that counts the messages it accepts (250 after the data); it never answers the first one's
    data, so the worker sending it is killed before the message is accepted."""

    def __init__(self) -> None:
        self.accepted: list[str] = []
        self.sessions = 0
        self.release = threading.Event()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(client,), daemon=True).start()

    def _session(self, client: socket.socket) -> None:
        self.sessions += 1
        stall = self.sessions == 1
        stream = client.makefile("rb")
        try:
            client.sendall(b"220 essai ESMTP\r\n")
            while True:
                line = stream.readline()
                if not line:
                    return
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    client.sendall(b"250 essai\r\n")
                elif verb == b"DATA":
                    client.sendall(b"354 go\r\n")
                    body = b""
                    while not body.endswith(b"\r\n.\r\n"):
                        chunk = stream.readline()
                        if not chunk:
                            return
                        body += chunk
                    if stall:
                        self.release.wait(60)
                        return  # never accepted: its worker is dead
                    match = re.search(rb"Message-ID: (<[^>]+>)", body, re.IGNORECASE)
                    self.accepted.append(match.group(1).decode() if match else "?")
                    client.sendall(b"250 accepted\r\n")
                elif verb == b"QUIT":
                    client.sendall(b"221 bye\r\n")
                    return
                else:
                    client.sendall(b"250 ok\r\n")
        except OSError:
            return
        finally:
            client.close()

    def close(self) -> None:
        self.release.set()
        self.sock.close()


class Supervisor:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "run_workers", "--workers", "1", "--no-periodic"],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text()

    def worker_pid(self) -> int:
        pids = re.findall(r"Worker huey n°1 démarré \(pid (\d+)\)", self.output())
        return int(pids[-1]) if pids else 0

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def smtp():
    server = StallingSmtp()
    yield server
    server.close()


@pytest.fixture(scope="module")
def supervisor(test_territories, smtp, tmp_path_factory):
    env = server_env(
        HUEY_IMMEDIATE="false",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp.port),
        EMAIL_TIMEOUT="60",
    )
    env.pop("DB_POOL_MAX_SIZE", None)
    running = Supervisor(env, tmp_path_factory.mktemp("faults") / "workers.log")
    HUEY.immediate = False  # what this process enqueues goes to the PostgreSQL queue the worker reads
    try:
        wait_for(running.worker_pid, 60, "the supervisor's first worker")
        yield running
    finally:
        HUEY.immediate = True
        running.stop()


def _kill_worker_and_wait_for_its_return(supervisor: Supervisor) -> None:
    dead = supervisor.worker_pid()
    os.kill(dead, signal.SIGKILL)
    wait_for(lambda: supervisor.worker_pid() not in (0, dead), 30, "the worker's restart")
    output = supervisor.output()
    assert f"(pid {dead}) s'est arrêté (tué par le signal 9) : redémarrage" in output, output


def test_a_delivery_in_flight_when_the_worker_is_killed_is_delivered_once(supervisor, django_db_blocker):
    receiver = StallingReceiver()
    try:
        with django_db_blocker.unblock(), schema_context("dep_35"):
            with transaction.atomic():
                subscription = webhook_subscription_create(
                    name="Panne de worker", url=receiver.url, events=[events.CASE_OPENED]
                )
                (delivery,) = webhook_event_emit(event=events.CASE_OPENED, data={"reference": "SUP-PANNE-1"})
            wait_for(lambda: receiver.requests, 60, "the first try to reach the receiver")
            _kill_worker_and_wait_for_its_return(supervisor)
            receiver.release.set()

            def settled():
                delivery.refresh_from_db()
                return delivery.status == WebhookDelivery.Status.SUCCEEDED

            wait_for(settled, 60, "the delivery after the restart")
            assert receiver.answered == [str(delivery.uuid)]  # delivered once, under its one id
            assert receiver.requests == [str(delivery.uuid)] * 2  # the try cut short, then the one that counted
            assert (delivery.attempts, [a.status_code for a in delivery.attempt_log.all()]) == (1, [200])
            effect = Effect.objects.get(key=f"webhook:{delivery.uuid}:1")
            assert (effect.status, effect.attempts) == ("done", 1)
            subscription.delete()
            effect.delete()
            connection.set_schema_to_public()
    finally:
        receiver.close()


def test_an_e_mail_in_flight_when_the_worker_is_killed_is_sent_once(supervisor, smtp, django_db_blocker):
    User = get_user_model()
    with django_db_blocker.unblock(), schema_context("dep_35"):
        with transaction.atomic():
            user = User.objects.create(username="panne-mail", email="panne-mail@example.org", first_name="Anne")
            effect = user_welcome_email_send.enqueue_on_commit(user.pk)
        wait_for(lambda: smtp.sessions, 60, "the worker to reach the mail server")
        _kill_worker_and_wait_for_its_return(supervisor)
        smtp.release.set()

        def done():
            effect.refresh_from_db()
            return effect.status == Effect.Status.DONE

        wait_for(done, 60, "the e-mail after the restart")
        assert len(smtp.accepted) == 1  # accepted once
        with schema_context("public"):
            (row,) = SentMessage.objects.filter(key__startswith=f"dep_35:{effect.key}:")
        assert (row.status, row.message_id) == ("sent", smtp.accepted[0])
        assert effect.attempts == 1
        user.delete()
        effect.delete()
        connection.set_schema_to_public()
