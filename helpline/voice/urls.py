from django.urls import path

from helpline.voice import views

app_name = "voice"

urlpatterns = [
    path("calls/missed/", views.missed, name="missed"),
    path("calls/missed/<uuid:call_id>/call-back/", views.callback, name="callback"),
    path("calls/call-backs/<uuid:contact_id>/", views.callback_number, name="callback_number"),
    path("calls/figures/", views.figures, name="figures"),
]
