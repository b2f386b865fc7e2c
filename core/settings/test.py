"""The test suite: fast hasher, locmem cache keyed by territory, huey immediate, mail in memory."""

from core.env import env_bool, env_str
from core.settings.base import *

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HUEY["immediate"] = env_bool("HUEY_IMMEDIATE", True)  # a real consumer started by a test sets it off
PPE_EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")  # files for test servers
DATABASES["default"]["CONN_MAX_AGE"] = 0
MEDIA_ROOT = VAR_DIR / "test-media"
WAGTAILADMIN_BASE_URL = "http://testserver"
# Static files straight from the apps (no collectstatic) for the test server processes.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
PPE_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True  # the tests' receivers listen on 127.0.0.1
AXES_FAILURE_LIMIT = 3
# The page cache of the test runs, shared by the test process and its server processes, apart from dev's.
if CACHES["cms"]["BACKEND"].endswith("FileBasedCache"):
    CACHES["cms"]["LOCATION"] = str(VAR_DIR / "test-cache" / "cms")
STORAGES["backups"]["OPTIONS"]["location"] = str(VAR_DIR / "test-backups")
