from django.urls import path

from helpline.reports import views, views_documents

app_name = "reports"

urlpatterns = [
    path("statistics/", views.dashboard, name="dashboard"),
    path("statistics/contacts/", views.drill, name="drill"),
    path("statistics/reports/", views_documents.document_new, name="document_new"),
    path("statistics/reports/chi/", views_documents.chi_publication_new, name="chi_publication_new"),
    path("statistics/reports/<uuid:document_id>/", views_documents.document, name="document"),
    path(
        "statistics/reports/<uuid:document_id>/pdf/",
        views_documents.document_download,
        name="document_download",
    ),
]
