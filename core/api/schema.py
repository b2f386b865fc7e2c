"""OpenAPI generation: only the platform's own `/api/` paths (Wagtail's admin API would appear otherwise)."""


def only_api_paths(endpoints, **kwargs):
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v")]
