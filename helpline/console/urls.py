from django.urls import path

from helpline.console import views, views_floor, views_transfer

app_name = "console"

urlpatterns = [
    path("console/", views.console, name="console"),
    path("console/start/", views.contact_start, name="start"),
    path("console/lists/", views.console_lists, name="lists"),
    path("console/presence/", views_floor.presence, name="presence"),
    path("console/offers/<uuid:contact_id>/accept/", views_floor.offer_accept, name="offer_accept"),
    path("console/offers/<uuid:contact_id>/decline/", views_floor.offer_decline, name="offer_decline"),
    path("console/<uuid:contact_id>/take/", views.contact_take, name="take"),
    path("console/<uuid:contact_id>/", views.console_contact, name="contact"),
    path("console/<uuid:contact_id>/draft/", views.draft_save, name="draft"),
    path("console/<uuid:contact_id>/save/", views.contact_save, name="save"),
    path("console/<uuid:contact_id>/quick/<slug:kind>/", views.contact_quick, name="quick"),
    path("console/<uuid:contact_id>/transfer/", views_transfer.transfer, name="transfer"),
    path("wallboard/", views_floor.wallboard, name="wallboard"),
    path("wallboard/assign/<uuid:contact_id>/", views_floor.assign, name="assign"),
]
