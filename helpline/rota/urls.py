from django.urls import path

from helpline.rota import views

app_name = "rota"

urlpatterns = [
    path("rota/", views.rota, name="rota"),
    path("rota/shifts/", views.shift_add, name="shift_add"),
    path("rota/shifts/<uuid:shift_id>/assign/", views.assign, name="assign"),
    path("rota/shifts/<uuid:shift_id>/remove/", views.remove, name="remove"),
    path("rota/shifts/<uuid:shift_id>/swap/", views.swap_request, name="swap_request"),
    path("rota/patterns/", views.pattern_add, name="pattern_add"),
    path("rota/patterns/apply/", views.patterns_apply, name="patterns_apply"),
    path("rota/swaps/<uuid:swap_id>/decide/", views.swap_decide, name="swap_decide"),
    path("rota/warnings/<uuid:warning_id>/acknowledge/", views.lapse_acknowledge, name="lapse_acknowledge"),
]
