from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "helpline.feedback"
    label = "feedback"

    def ready(self) -> None:
        # An SMS beginning with a feedback keyword: conversations (a floor below) sends a signal
        # for every text it stores, and never imports this app.
        from helpline.conversations.signals import text_stored  # deferred: ready(), once models load
        from helpline.feedback.keywords import text_stored_seen  # deferred: ready(), as above

        text_stored.connect(text_stored_seen, dispatch_uid="feedback-sms-keyword")
