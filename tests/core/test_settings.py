"""Settings read from the environment fail early, in one clear line."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.env import ConfigError, env_bool, env_url

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u:p@localhost/db", "schéma 'mysql'"),
        ("postgresql://u:p@localhost:notaport/db", "le port n'est pas un nombre"),
        ("postgresql://u:p@localhost", "il manque l'hôte ou le nom de la base"),
    ],
)
def test_bad_database_url_says_so_in_one_line(url, message):
    result = _manage("check", DATABASE_URL=url)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_production_requires_a_secret_key():
    result = _manage("check", DJANGO_SETTINGS_MODULE="core.settings.production", SECRET_KEY="")
    assert result.returncode == 2
    assert "SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_requires_allowed_hosts():
    result = _manage("check", DJANGO_SETTINGS_MODULE="core.settings.production", SECRET_KEY="x" * 60, ALLOWED_HOSTS="")
    assert result.returncode == 2
    assert "ALLOWED_HOSTS" in result.stderr


def test_env_helpers(monkeypatch):
    monkeypatch.setenv("FLAG", "peut-être")
    with pytest.raises(ConfigError, match="booléen"):
        env_bool("FLAG")
    monkeypatch.setenv("FLAG", "oui")
    assert env_bool("FLAG") is True
    monkeypatch.setenv("X_URL", "postgresql://u:secret@db.example/ppe")
    assert env_url("X_URL", schemes=("postgresql",)) == "postgresql://u:secret@db.example/ppe"
    monkeypatch.setenv("X_URL", "postgresql://u:secret@db.example")
    with pytest.raises(ConfigError) as excinfo:
        env_url("X_URL", schemes=("postgresql",))
    assert "secret" not in str(excinfo.value)
