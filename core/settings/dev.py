"""Local development: `make run`."""

from core.env import env_bool, env_str
from core.settings.base import *

DEBUG = env_bool("DEBUG", True)
HUEY["immediate"] = env_bool("HUEY_IMMEDIATE", False)
PPE_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = env_bool("PPE_WEBHOOKS_ALLOW_PRIVATE_NETWORKS", True)


def _served_port() -> str:
    """The port `make run` serves on (`run_setup --port` writes it to var/), so that links in e-mails and
    printed by commands run from another shell carry it; 8000, runserver's, otherwise."""
    try:
        return (VAR_DIR / "dev-port.txt").read_text().strip() or "8000"
    except OSError:
        return "8000"


PPE_URL_PORT = env_str("PPE_URL_PORT", "") or _served_port()
