"""Real people for tests, created the product's way: an invitation (`core.services.accounts.invitation_create`),
its e-mail, the link followed through the test client, a password set on the page « Définir votre mot de
passe ». Never a superuser, never `user_create` with a password.

    from tests.people import person_invite, person_client

    director = person_invite(territory, role="structure_member", structure=lutins)
    client = person_client(territory, director)          # a Client of the territory's host, signed in
    admin = person_invite(territory, role="platform_admin")
    substitute = person_invite(territory, role="substitute")   # the pool's way: record first, then invitation

Works inside a test transaction (`db`, `tenant`: the invitation's on-commit e-mail is run at once) and with
committed data (`django_db_blocker.unblock()`, browser tests). The connection is left in the territory's
schema.
"""

from __future__ import annotations

import itertools
import re
import uuid
from urllib.parse import urlsplit

from django.core import mail
from django.db import connection
from django.test import Client, TestCase

PASSWORD = "Creche-Soleil-2026!"  # accepted by Django's password validators
LINK = re.compile(r"https?://[^\s]+/compte/invitation/[^\s/]+/")
_seq = itertools.count(1)


def _territory_of(territory_or_client):
    if isinstance(territory_or_client, Client):
        from tenants.models import Domain

        host = territory_or_client.defaults.get("HTTP_HOST", "").split(":")[0]
        return Domain.objects.select_related("tenant").get(domain=host).tenant
    return territory_or_client


def invitation_link(email: str) -> str:
    """The link of the latest invitation e-mail sent to `email` (test process outbox)."""
    for message in reversed(mail.outbox):
        if email in message.to and (found := LINK.search(message.body)):
            return found.group(0)
    raise AssertionError(f"no invitation e-mail to {email} in the outbox")


def invitation_follow(link: str, *, password: str = PASSWORD, first_name: str = "", last_name: str = "") -> Client:
    """Open an invitation link and set the password, as the person would; returns the (signed-in) client."""
    parts = urlsplit(link)
    client = Client(HTTP_HOST=parts.hostname)
    page = client.get(parts.path)
    assert page.status_code == 200, page.content.decode()[:500]
    assert "Définir votre mot de passe" in page.content.decode()
    answer = client.post(
        parts.path,
        {"first_name": first_name, "last_name": last_name, "new_password1": password, "new_password2": password},
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    from django.contrib.auth import SESSION_KEY, get_user_model

    from core.otp import otp_required

    connection.set_tenant(_territory_of(client))
    user = get_user_model().objects.get(pk=client.session[SESSION_KEY])
    if otp_required(user):  # an administrator would now enrol an authenticator application
        otp_session_verify(client, user)
    return client


def _invite(territory, *, email, roles, structure, operator, first_name, last_name, actor) -> None:
    from core.services.accounts import invitation_create

    with TestCase.captureOnCommitCallbacks(execute=True):
        invitation_create(
            email=email,
            roles=roles,
            first_name=first_name,
            last_name=last_name,
            structure=structure,
            operator=operator,
            actor=actor,
        )
    connection.set_tenant(territory)  # the e-mail task resets the connection to the public schema


def _substitute_record(email: str, first_name: str, last_name: str):
    """What `substitute_from_application` does for an accepted application: the account (no password yet)
    and the pool's record with the application's criminal-record extract, then the invitation."""
    import datetime as dt

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from core.services.users import user_create
    from plugins.remplacement.demo import SAMPLE_PDF
    from plugins.remplacement.services import document_add, substitute_create

    user = user_create(email=email, first_name=first_name, last_name=last_name, send_welcome=False)
    substitute = substitute_create(
        user=user, home_commune_insee="35238", qualifications=["auxiliaire_puericulture"], actor=None
    )
    document_add(
        substitute=substitute,
        kind="casier",
        file=ContentFile(SAMPLE_PDF, name="casier-judiciaire.pdf"),
        issued_on=timezone.localdate(),
        expires_on=timezone.localdate() + dt.timedelta(days=90),
        verified=True,
        actor=None,
    )
    document_add(
        substitute=substitute,
        kind="vaccins",
        file=ContentFile(SAMPLE_PDF, name="vaccinations.pdf"),
        verified=True,
        actor=None,
    )


_SURNAMES = {
    "platform_admin": "Le Gall",
    "pole_coordinator": "Le Roux",
    "case_worker": "Hamon",
    "structure_member": "Guérin",
    "operator": "Lebreton",
    "substitute": "Morvan",
}


def person_invite(
    territory_or_client,
    *,
    role: str | None = None,
    roles: list[str] | None = None,
    structure=None,
    operator=None,
    email: str | None = None,
    first_name: str = "",
    last_name: str = "",
    password: str = PASSWORD,
    actor=None,
):
    """A person of the territory holding `role` (or `roles`), created by invitation and its link; returns the
    `User` (its password is `password`). A structure member needs `structure`, an operator `operator`."""
    territory = _territory_of(territory_or_client)
    roles = list(roles or [role])
    email = (email or f"{roles[0].replace('_', '.')}.{next(_seq)}.{uuid.uuid4().hex[:6]}@example.org").lower()
    first_name = first_name or "Camille"
    # A French surname per role (what people see on screens and in screenshots), never the role's code.
    last_name = last_name or _SURNAMES.get(roles[0], "Martin")
    connection.set_tenant(territory)
    if "substitute" in roles:
        _substitute_record(email, first_name, last_name)
    _invite(territory, email=email, roles=roles, structure=structure, operator=operator, first_name=first_name,
            last_name=last_name, actor=actor)  # fmt: skip
    invitation_follow(invitation_link(email), password=password, first_name=first_name, last_name=last_name)
    connection.set_tenant(territory)
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=email)


def person_client(territory, user) -> Client:
    """A client of the territory's host signed in as `user`."""
    client = Client(HTTP_HOST=territory.primary_domain)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


# --- Two-factor authentication --------------------------------------------------------------------------------
# Platform administrators (and whoever enrolled) give a TOTP code after their password (core/otp.py). A test
# that signs an administrator in with `Client.force_login` / `Client.login` gets what the enrolment page gives:
# a confirmed device and a verified session (`otp_test_logins`, installed by tests/conftest.py). Tests of the
# second factor itself sign in through the pages (tests/core/test_otp.py).


def otp_device(user):
    """The person's confirmed TOTP device (created, as the enrolment page confirms one, when missing)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="Application d'authentification", confirmed=True
    )


def otp_token(device) -> str:
    """The code the person's application shows now."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def otp_session_verify(client: Client, user) -> None:
    """Mark the client's session as having given its second factor with the person's device."""
    from django_otp import DEVICE_ID_SESSION_KEY

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = otp_device(user).persistent_id
    session.save()


def otp_test_logins() -> None:
    """Make `Client.force_login` and `Client.login` verify the second factor of people who owe one."""
    from django.contrib.auth import SESSION_KEY, get_user_model

    from core.otp import otp_required

    if getattr(Client, "_ppe_otp", False):
        return
    force_login, login = Client.force_login, Client.login

    def force_login_verified(self, user, backend=None):
        force_login(self, user, backend)
        if otp_required(user):
            otp_session_verify(self, user)

    def login_verified(self, **credentials):
        signed_in = login(self, **credentials)
        if signed_in:
            user = get_user_model().objects.get(pk=self.session[SESSION_KEY])
            if otp_required(user):
                otp_session_verify(self, user)
        return signed_in

    Client.force_login, Client.login, Client._ppe_otp = force_login_verified, login_verified, True
