"""The test suite: fast hasher, locmem cache keyed by territory, huey immediate, mail in memory."""

from core.env import env_bool, env_str
from core.settings.base import *
from core.settings.database import connections_bound

DEBUG = env_bool("PPE_TEST_DEBUG", False)  # a test server as `make run` serves sets it on
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HUEY["immediate"] = env_bool("HUEY_IMMEDIATE", True)  # a real consumer started by a test sets it off
PPE_EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")  # files for test servers
# No pool in the test process (its connection carries the test's transaction); servers the tests start may
# ask for one (DB_POOL_MAX_SIZE).
connections_bound(DATABASES["default"], default_pool_size=0)
MEDIA_ROOT = VAR_DIR / "test-media"
WAGTAILADMIN_BASE_URL = "http://testserver"
# Static files straight from the apps (no collectstatic) for the test server processes.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
PPE_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True  # the tests' receivers listen on 127.0.0.1
PPE_POLE_CACHE_CHECK_MS = 0  # the same: a test's pole switches are rolled back
PPE_WEBHOOK_CACHE_CHECK_MS = 0  # a test's subscriptions are rolled back, and live servers are other processes
AXES_FAILURE_LIMIT = 3
# The page cache of the test runs, shared by the test process and its server processes, apart from dev's.
if CACHES["cms"]["BACKEND"].endswith("FileBasedCache"):
    CACHES["cms"]["LOCATION"] = str(VAR_DIR / "test-cache" / "cms")
STORAGES["backups"]["OPTIONS"]["location"] = str(VAR_DIR / "test-backups")
PPE_PRIVATE_DIR = VAR_DIR / "test-private"
