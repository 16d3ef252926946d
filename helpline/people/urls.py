from django.urls import path

from helpline.people import views

app_name = "people"

urlpatterns = [
    path("quality/", views.quality, name="quality"),
    path("quality/sample/", views.sample, name="sample"),
    path("quality/choose/", views.choose, name="choose"),
    path("quality/rubric/", views.rubric_add, name="rubric_add"),
    path("quality/rubric/<int:criterion_id>/active/", views.rubric_active, name="rubric_active"),
    path("quality/reviews/<uuid:review_id>/", views.review, name="review"),
    path("quality/counsellors/<uuid:staff_id>/", views.counsellor_trends, name="trends"),
    path("my/reviews/", views.my_reviews, name="my_reviews"),
    path("my/debriefs/", views.my_debriefs, name="my_debriefs"),
    path("my/debriefs/request/", views.debrief_request, name="debrief_request"),
    path("my/distressing/<uuid:contact_id>/", views.distressing_mark, name="distressing_mark"),
    path("debriefs/", views.debriefs, name="debriefs"),
    path("debriefs/<uuid:debrief_id>/hold/", views.debrief_hold, name="debrief_hold"),
]
