"""The anti-abuse limit counts attempts per address and scope, per territory."""

from __future__ import annotations

from django.db import connection

from cms.ratelimit import rate_limit_hit


def test_attempts_beyond_the_limit_are_refused(tenant):
    hits = [rate_limit_hit(scope="demande", ident="203.0.113.7", limit=3, window_seconds=3600) for _ in range(5)]
    assert hits == [False, False, False, True, True]
    assert rate_limit_hit(scope="demande", ident="203.0.113.8", limit=3, window_seconds=3600) is False
    assert rate_limit_hit(scope="contact", ident="203.0.113.7", limit=3, window_seconds=3600) is False


def test_each_territory_counts_its_own_attempts(tenant, other_territory):
    for _ in range(3):
        rate_limit_hit(scope="demande", ident="198.51.100.1", limit=2, window_seconds=3600)
    assert rate_limit_hit(scope="demande", ident="198.51.100.1", limit=2, window_seconds=3600) is True
    connection.set_tenant(other_territory)
    assert rate_limit_hit(scope="demande", ident="198.51.100.1", limit=2, window_seconds=3600) is False


def test_behind_a_proxy_the_configured_header_gives_the_address(rf, settings):
    from cms.ratelimit import client_address

    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7")
    assert client_address(request) == "10.0.0.2"
    settings.PPE_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    assert client_address(request) == "198.51.100.7"
