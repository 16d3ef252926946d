"""Feedback's pages: staff's under /feedback/, the public form and survey under /say/."""

from django.urls import path

from helpline.feedback import views, views_public

app_name = "feedback"

urlpatterns = [
    path("feedback/", views.feedback_list, name="list"),
    path("feedback/new/", views.feedback_new, name="new"),
    path("feedback/settings/", views.feedback_settings, name="settings"),
    path("feedback/<uuid:feedback_id>/", views.feedback_detail, name="detail"),
    path("feedback/<uuid:feedback_id>/advance/", views.feedback_advance, name="advance"),
    path("feedback/<uuid:feedback_id>/triage/", views.feedback_triage, name="triage"),
    path("say/", views_public.feedback_form, name="public_form"),
    path("say/thanks/", views_public.feedback_thanks, name="public_thanks"),
    path("say/survey/<str:token>/", views_public.survey_page, name="survey"),
]
