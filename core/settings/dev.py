"""Local development: `make run`."""

from core.env import env_bool
from core.settings.base import *

DEBUG = env_bool("DEBUG", True)
HUEY["immediate"] = env_bool("HUEY_IMMEDIATE", False)
