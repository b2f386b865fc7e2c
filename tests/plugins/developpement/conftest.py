from tests.workflows.helpers import _fresh_engine_cache  # noqa: F401
