"""People of a territory: accounts are per territory (each schema has its own users)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from core.tasks import user_welcome_email_send


@transaction.atomic
def user_create(
    *,
    email: str,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    groups: list[str] | None = None,
    is_staff: bool = False,
    is_superuser: bool = False,
    send_welcome: bool = True,
) -> AbstractUser:
    """Create an account in the current territory; the welcome e-mail goes out once the account exists."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": "Adresse électronique invalide."}) from None
    User = get_user_model()
    if User.objects.filter(username=email).exists():
        raise ValidationError({"email": "Un compte existe déjà avec cette adresse."})
    user = User(
        username=email,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=is_staff or is_superuser,
        is_superuser=is_superuser,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    for name in groups or []:
        group, _ = Group.objects.get_or_create(name=name)
        user.groups.add(group)
    if send_welcome:
        user_welcome_email_send.enqueue_on_commit(user.pk)
    return user
