"""Production: everything comes from the environment, and a missing or malformed value stops the start."""

from core.env import ConfigError, env_bool, env_int, env_list, env_str
from core.settings.base import *

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY", required=True)
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("dev-only"):
    raise ConfigError("SECRET_KEY doit faire au moins 50 caractères aléatoires (et ne pas être la clé de dev).")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ConfigError("ALLOWED_HOSTS est obligatoire en production (ex. : .plateforme-petite-enfance.fr).")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Cookies only over HTTPS; `make prod` serves plain HTTP on localhost and sets PPE_SECURE_COOKIES=false.
SESSION_COOKIE_SECURE = env_bool("PPE_SECURE_COOKIES", True)
PPE_URL_SCHEME = env_str("PPE_URL_SCHEME", "https")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
