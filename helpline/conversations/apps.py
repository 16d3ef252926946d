from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "helpline.conversations"
    label = "conversations"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from helpline.conversations.chat import forget_keywords
        from helpline.conversations.models import BlockedKeyword

        post_save.connect(forget_keywords, sender=BlockedKeyword, dispatch_uid="forget-keywords")
        post_delete.connect(forget_keywords, sender=BlockedKeyword, dispatch_uid="forget-keywords-del")
