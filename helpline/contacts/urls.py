from django.urls import path

from helpline.contacts import views_console, views_records, views_taxonomy

app_name = "contacts"

urlpatterns = [
    path("console/", views_console.console, name="console"),
    path("console/start/", views_console.contact_start, name="console_start"),
    path("console/lists/", views_console.console_lists, name="console_lists"),
    path("console/<uuid:contact_id>/take/", views_console.contact_take, name="contact_take"),
    path("console/<uuid:contact_id>/", views_console.console_contact, name="console_contact"),
    path("console/<uuid:contact_id>/draft/", views_console.draft_save, name="draft_save"),
    path("console/<uuid:contact_id>/save/", views_console.contact_save, name="contact_save"),
    path("console/<uuid:contact_id>/quick/<slug:kind>/", views_console.contact_quick, name="contact_quick"),
    path("contacts/", views_records.contact_list, name="list"),
    path("contacts/new/", views_records.contact_new, name="new"),
    path("contacts/<uuid:contact_id>/", views_records.contact_detail, name="detail"),
    path("contacts/<uuid:contact_id>/correct/", views_records.contact_correct, name="correct"),
    path("callers/<uuid:caller_id>/reveal/", views_records.caller_reveal, name="caller_reveal"),
    path(
        "callers/<uuid:caller_id>/safety-note/", views_records.caller_safety_note, name="caller_safety_note"
    ),
    path("code-lists/", views_taxonomy.code_lists, name="code_lists"),
]
