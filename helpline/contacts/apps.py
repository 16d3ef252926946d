from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_code_lists(sender: AppConfig, **kwargs: Any) -> None:
    from helpline.contacts.taxonomy import taxonomy_sync  # deferred: apps.py loads before the app registry

    taxonomy_sync()


class ContactsConfig(AppConfig):
    name = "helpline.contacts"
    label = "contacts"

    def ready(self) -> None:
        # The shipped code lists are loaded after every migrate; existing terms are left alone.
        post_migrate.connect(_load_code_lists, sender=self, dispatch_uid="contacts_code_lists")
