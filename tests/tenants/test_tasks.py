"""Background tasks run in the schema of the territory that enqueued them, in a real consumer process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django_tenants.utils import schema_context
from huey.contrib.djhuey import HUEY

from core.services.users import user_create
from core.tasks import user_welcome_email_send

ROOT = Path(__file__).resolve().parents[2]


def test_welcome_email_is_sent_once_the_account_exists(tenant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = user_create(email="Directrice@Creche.example.org", first_name="Anne")
    assert user.username == "directrice@creche.example.org"
    assert len(mail.outbox) == 1
    assert "Ille-et-Vilaine" in mail.outbox[0].subject
    assert mail.outbox[0].to == ["directrice@creche.example.org"]


def test_enqueueing_outside_a_territory_is_refused(db):
    connection.set_schema_to_public()
    with pytest.raises(RuntimeError, match="outside of any territory"):
        user_welcome_email_send.enqueue(1)


def _database_url() -> str:
    db = settings.DATABASES["default"]
    host = db["HOST"].replace("/", "%2F")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgresql://{db['USER']}{password}@{host}{port}/{db['NAME']}"


@pytest.mark.slow
def test_a_real_consumer_runs_each_task_in_its_own_territory(territory, other_territory, django_db_blocker):
    """Two tasks of two territories, consumed by `manage.py run_huey` in another process."""
    User = get_user_model()
    created = []
    HUEY.immediate = False  # enqueue into the PostgreSQL queue of the test database
    try:
        with django_db_blocker.unblock():
            for t in (territory, other_territory):
                with schema_context(t.schema_name):
                    user = User.objects.create(username=f"task-{t.code}", email=f"task-{t.code}@example.org")
                    created.append((t, user.pk))
            HUEY.storage.flush_results()
            results = []
            for t, user_id in created:
                with schema_context(t.schema_name):
                    results.append(user_welcome_email_send.enqueue(user_id))
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "core.settings.test",
                "DATABASE_URL": _database_url(),
                "HUEY_IMMEDIATE": "false",
            }
            consumer = subprocess.Popen(
                [sys.executable, "manage.py", "run_huey", "--workers", "2"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            try:
                values = [result.get(blocking=True, timeout=60) for result in results]
            finally:
                consumer.terminate()
                output = consumer.communicate(timeout=20)[0].decode()
            assert values == ["dep_35", "dep_22"], output
    finally:
        HUEY.immediate = True
        with django_db_blocker.unblock():
            for t, user_id in created:
                with schema_context(t.schema_name):
                    User.objects.filter(pk=user_id).delete()
            connection.set_schema_to_public()
