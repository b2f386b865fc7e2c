"""Local development: `make run`."""

from core.env import env_bool
from core.settings.base import *

DEBUG = env_bool("DEBUG", True)
HUEY["immediate"] = env_bool("HUEY_IMMEDIATE", False)
PPE_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = env_bool("PPE_WEBHOOKS_ALLOW_PRIVATE_NETWORKS", True)
