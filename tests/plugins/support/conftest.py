from tests.plugins.support.helpers import *  # noqa: F403
from tests.workflows.helpers import _fresh_engine_cache  # noqa: F401
