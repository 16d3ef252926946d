from django.urls import path

from helpline.contacts import views_records, views_taxonomy

app_name = "contacts"

urlpatterns = [
    path("contacts/", views_records.contact_list, name="list"),
    path("contacts/new/", views_records.contact_new, name="new"),
    path("contacts/export.<str:file_format>", views_records.contact_export, name="export"),
    path("contacts/<uuid:contact_id>/", views_records.contact_detail, name="detail"),
    path("contacts/<uuid:contact_id>/correct/", views_records.contact_correct, name="correct"),
    path("callers/<uuid:caller_id>/reveal/", views_records.caller_reveal, name="caller_reveal"),
    path(
        "callers/<uuid:caller_id>/safety-note/", views_records.caller_safety_note, name="caller_safety_note"
    ),
    path("code-lists/", views_taxonomy.code_lists, name="code_lists"),
]
