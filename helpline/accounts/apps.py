from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "helpline.accounts"
    label = "accounts"

    def ready(self) -> None:
        from helpline.accounts import signals  # noqa: F401  (connects the sign-in audit receivers)
