"""E-mail sent by an outbox effect: a stable Message-ID and a ledger, so a retry never sends it twice.

`LedgerEmailBackend` wraps the real backend (`PPE_EMAIL_BACKEND`). Outside an effect it only passes messages
on. Inside one, each message gets the key `<schema>:<effect key>:<n>` (n: its rank in the effect's run) and:
the ledger row (public schema, on a connection of its own, committed at once) is claimed before the send;
a message already marked sent is skipped; after the mail server accepted it, the row is marked sent. A worker
killed between the server's acceptance and the mark leaves the row « sending »: the retry sends it again with
the same Message-ID, which receiving servers and clients use to drop the duplicate.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend

from tenants.outbox.effects import current_effect

logger = logging.getLogger("ppe.outbox")


def message_id_for(key: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "localhost"
    return f"<{digest}@{domain}>"


class _LedgerConnection:
    """A connection of its own, in autocommit: a ledger row outlives the effect's transaction."""

    def __enter__(self):
        from django.db import connections

        self.wrapper = connections.create_connection("default")
        self.wrapper.set_schema_to_public()
        self.cursor = self.wrapper.cursor()
        return self

    def execute(self, sql: str, params: list) -> tuple | None:
        self.cursor.execute(sql, params)
        return self.cursor.fetchone() if self.cursor.description else None

    def __exit__(self, *exc) -> None:
        self.cursor.close()
        self.wrapper.close()


class LedgerEmailBackend(BaseEmailBackend):
    def __init__(self, fail_silently: bool = False, **kwargs) -> None:
        super().__init__(fail_silently=fail_silently)
        self.inner = get_connection(settings.PPE_EMAIL_BACKEND, fail_silently=fail_silently, **kwargs)

    def open(self):
        return self.inner.open()

    def close(self):
        return self.inner.close()

    def send_messages(self, email_messages) -> int:
        effect = current_effect.get()
        if effect is None or not email_messages:
            return self.inner.send_messages(email_messages)
        sent = 0
        with _LedgerConnection() as ledger:
            for message in email_messages:
                key = effect.next_message_key()
                message_id = message_id_for(key)
                message.extra_headers["Message-ID"] = message_id
                status = ledger.execute(
                    "INSERT INTO public.outbox_sentmessage (key, message_id, status, claimed_at) "
                    "VALUES (%s, %s, 'sending', now()) "
                    "ON CONFLICT (key) DO UPDATE SET claimed_at = now() RETURNING status",
                    [key, message_id],
                )
                if status and status[0] == "sent":
                    logger.info("outbox: message %s already sent, not sent again", key)
                    sent += 1
                    continue
                count = self.inner.send_messages([message])
                if count:
                    ledger.execute(
                        "UPDATE public.outbox_sentmessage SET status = 'sent', sent_at = now() WHERE key = %s", [key]
                    )
                    sent += count
        return sent
