"""A pole from another package joins through the `ppe.poles` entry-point group.

The test builds and installs the small pole package of tests/fixtures/ppe_pole_demo into a temporary target
directory (never the shared venv), then shows, in fresh processes, that settings list it, `manage.py check`
accepts it and the plugin manager calls its hook; without that directory on the path, the pole is gone.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live import ROOT, server_env

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "ppe_pole_demo"

PROBE = """
import json, django
django.setup()
from django.conf import settings
from core.plugins import plugin_manager, poles, results_by_pole
print(json.dumps({
    "tenant_apps": settings.TENANT_APPS,
    "poles": list(poles()),
    "registered": plugin_manager().get_plugin("demo") is not None,
    "services": {pole: [s.code for s in specs] for pole, specs in results_by_pole("catalogue_services").items()},
}))
"""


@pytest.fixture(scope="module")
def installed_pole(tmp_path_factory):
    work = tmp_path_factory.mktemp("pole")
    source = work / "src"
    shutil.copytree(FIXTURE, source)  # the build writes next to the sources: keep the repository clean
    target = work / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    yield target
    shutil.rmtree(work)  # "uninstall": the package only ever lived in this directory


def _run(args, pythonpath=None):
    env = server_env()
    env["PYTHONPATH"] = ":".join(str(p) for p in ([pythonpath] if pythonpath else []) + [ROOT])
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_an_entry_point_pole_is_installed_registered_and_called(installed_pole):
    dist_info = list(installed_pole.glob("ppe_pole_demo-*.dist-info"))
    assert dist_info
    assert "ppe.poles" in (dist_info[0] / "entry_points.txt").read_text()

    probe = _run([sys.executable, "-c", PROBE], pythonpath=installed_pole)
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    assert found["tenant_apps"][-1] == "ppe_pole_demo"
    assert found["poles"] == ["support", "developpement", "remplacement", "demo"]
    assert found["registered"] is True
    assert found["services"]["demo"] == ["demo-service"]

    check = _run([sys.executable, "manage.py", "check"], pythonpath=installed_pole)
    assert check.returncode == 0, check.stderr
    assert "no issues" in check.stdout


@pytest.mark.slow
def test_without_the_package_the_pole_is_gone(installed_pole):
    probe = _run([sys.executable, "-c", PROBE])
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    assert "demo" not in found["poles"]
    assert "ppe_pole_demo" not in found["tenant_apps"]
