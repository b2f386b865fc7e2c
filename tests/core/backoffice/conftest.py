from tests.workflows.helpers import _fresh_engine_cache, coordinator, demande, reference_lists, simple, worker  # noqa: F401
