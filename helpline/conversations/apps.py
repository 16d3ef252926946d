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
        from helpline.conversations.selectors import replied_since
        from helpline.routing.queue import desk_activity_register

        access_changed.connect(live.access_changed, dispatch_uid="live-access-changed")
        # A counsellor replying to one child is at the desk when another child's offer lapses.
        desk_activity_register(replied_since)

        post_save.connect(forget_keywords, sender=BlockedKeyword, dispatch_uid="forget-keywords")
        post_delete.connect(forget_keywords, sender=BlockedKeyword, dispatch_uid="forget-keywords-del")
