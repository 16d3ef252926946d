from django.urls import path

from helpline.routing import views

app_name = "routing"

urlpatterns = [
    path("risk-signals/", views.risk_signals, name="risk_signals"),
    path("risk-signals/marks/<uuid:mark_id>/approve/", views.triage_mark_approve, name="triage_mark_approve"),
    path("risk-signals/marks/<uuid:mark_id>/refuse/", views.triage_mark_refuse, name="triage_mark_refuse"),
    path("console/<uuid:contact_id>/triage-mark/", views.triage_mark, name="triage_mark"),
]
