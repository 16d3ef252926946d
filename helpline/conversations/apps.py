from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "helpline.conversations"
    label = "conversations"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from helpline.accounts.signals import access_changed
        from helpline.common import live
        from helpline.conversations.chat import forget_keywords
        from helpline.conversations.models import BlockedKeyword

        access_changed.connect(live.access_changed, dispatch_uid="live-access-changed")

        post_save.connect(forget_keywords, sender=BlockedKeyword, dispatch_uid="forget-keywords")
        post_delete.connect(forget_keywords, sender=BlockedKeyword, dispatch_uid="forget-keywords-del")
