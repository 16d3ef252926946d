from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "helpline.people"
    label = "people"
