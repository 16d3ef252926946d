from django.urls import path

from helpline.conversations import views, views_chat, views_settings, views_triage

app_name = "conversations"

urlpatterns = [
    path("console/<uuid:contact_id>/thread/", views.thread, name="thread"),
    path("console/<uuid:contact_id>/reply-form/", views.reply_form, name="reply_form"),
    path("console/<uuid:contact_id>/reply/", views.reply, name="reply"),
    path("text-settings/", views_settings.text_settings, name="settings"),
    path("risk-signals/preview/", views_triage.signal_preview, name="signal_preview"),
    path("risk-signals/marks/export/", views_triage.marks_export, name="triage_marks_export"),
    path("risk-signals/marks/<uuid:mark_id>/", views_triage.triage_mark_words, name="triage_mark_words"),
    path("chat/widget.js", views_chat.widget_js, name="widget"),
    path("chat/", views_chat.chat_demo, name="chat_demo"),
]
