from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "helpline.referrals"
    label = "referrals"
