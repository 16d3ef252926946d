from django.urls import path

from helpline.routing import views

app_name = "routing"

urlpatterns = [
    path("console/presence/", views.presence, name="presence"),
    path("console/offers/<uuid:contact_id>/accept/", views.offer_accept, name="offer_accept"),
    path("console/offers/<uuid:contact_id>/decline/", views.offer_decline, name="offer_decline"),
    path("wallboard/", views.wallboard, name="wallboard"),
    path("wallboard/assign/<uuid:contact_id>/", views.assign, name="assign"),
    path("risk-signals/", views.risk_signals, name="risk_signals"),
    path("risk-signals/marks/<uuid:mark_id>/approve/", views.triage_mark_approve, name="triage_mark_approve"),
    path("console/<uuid:contact_id>/triage-mark/", views.triage_mark, name="triage_mark"),
]
