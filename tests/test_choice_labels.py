"""get_FOO_display through the base model's cached choices gives what Django's own gives, for every
field with choices of every model, in Khmer and in English, known values and unknown alike."""

from __future__ import annotations

from django.apps import apps
from django.db import models
from django.utils import translation

from helpline.common.models import UUIDModel


def fields_with_choices() -> list[tuple[type[models.Model], models.Field]]:  # type: ignore[type-arg]
    return [
        (model, field)
        for model in apps.get_models()
        if issubclass(model, UUIDModel)
        for field in model._meta.concrete_fields
        if field.choices
    ]


def test_every_label_matches_djangos_own_in_both_languages() -> None:
    found = fields_with_choices()
    assert len(found) > 40  # the project's models were walked
    for model, field in found:
        values = [value for value, _label in field.flatchoices] + ["not-a-choice", None]
        for language in ("km", "en"):
            with translation.override(language):
                for value in values:
                    instance = model()
                    setattr(instance, field.attname, value)
                    ours = getattr(instance, f"get_{field.name}_display")()
                    djangos = models.Model._get_FIELD_display(instance, field)
                    assert ours == djangos, (model.__name__, field.name, value, language)
                    assert type(ours) is type(djangos)


def test_a_label_follows_the_language_of_the_moment() -> None:
    from helpline.contacts.models import Channel, Contact

    contact = Contact(channel=Channel.VOICE)
    with translation.override("en"):
        english = contact.get_channel_display()
    with translation.override("km"):
        khmer = contact.get_channel_display()
    assert english != khmer  # the cache keeps lazy labels, translated when shown
    with translation.override("en"):
        assert contact.get_channel_display() == english
