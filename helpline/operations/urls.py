from django.urls import path

from helpline.operations import views

app_name = "operations"

urlpatterns = [
    path("operations/retention/", views.retention, name="retention"),
    path("operations/data-requests/", views.data_requests, name="data_requests"),
    path("operations/data-requests/erase/", views.data_request_erase_view, name="data_request_erase"),
    path("operations/cases/<uuid:case_id>/legal-hold/", views.legal_hold, name="legal_hold"),
]
