from django.urls import path

from helpline.cases import views, views_panels, views_supervision, views_work

app_name = "cases"

urlpatterns = [
    path("cases/", views.case_list, name="list"),
    path("cases/export.csv", views.case_export, name="export"),
    path("cases/board/", views_supervision.board, name="board"),
    path("cases/settings/", views_supervision.case_settings, name="settings"),
    path("cases/follow-ups/", views_panels.my_follow_ups, name="my_follow_ups"),
    path("cases/open/<uuid:contact_id>/", views.case_open, name="open"),
    path("cases/<uuid:case_id>/", views.case_detail, name="detail"),
    path("cases/<uuid:case_id>/print/", views.case_print, name="print"),
    path("cases/<uuid:case_id>/timeline/", views.case_timeline, name="timeline"),
    path("cases/<uuid:case_id>/link/<uuid:contact_id>/", views.case_link, name="link"),
    path("cases/<uuid:case_id>/profile/", views_work.profile, name="profile"),
    path("cases/<uuid:case_id>/people/", views_work.person_add, name="person_add"),
    path("cases/<uuid:case_id>/notes/", views_work.note_add, name="note_add"),
    path("cases/<uuid:case_id>/notes/earlier/", views.case_notes, name="notes"),
    path("cases/<uuid:case_id>/notes/<uuid:note_id>/", views_work.note_edit, name="note_edit"),
    path("cases/<uuid:case_id>/goals/", views_work.goal_add, name="goal_add"),
    path("cases/<uuid:case_id>/goals/<uuid:goal_id>/", views_work.goal_change, name="goal_change"),
    path("cases/<uuid:case_id>/assign/", views_work.assign, name="assign"),
    path("cases/<uuid:case_id>/follow-ups/", views_work.follow_up_add, name="follow_up_add"),
    path(
        "cases/<uuid:case_id>/follow-ups/<uuid:follow_up_id>/done/",
        views_work.follow_up_done,
        name="follow_up_done",
    ),
    path("cases/<uuid:case_id>/breaks/", views_supervision.break_add, name="break_add"),
    path("cases/<uuid:case_id>/breaks/<uuid:break_id>/", views_supervision.break_change, name="break_change"),
    path(
        "cases/<uuid:case_id>/breaks/<uuid:break_id>/edit/", views_supervision.break_edit, name="break_edit"
    ),
    path(
        "cases/<uuid:case_id>/breaks/<uuid:break_id>/sign-off/",
        views_supervision.break_sign_off,
        name="break_sign_off",
    ),
    path("cases/<uuid:case_id>/close/", views_supervision.closure_request, name="closure_request"),
    path("cases/<uuid:case_id>/close/approve/", views_supervision.closure_approve, name="closure_approve"),
    path(
        "cases/<uuid:case_id>/close/send-back/", views_supervision.closure_send_back, name="closure_send_back"
    ),
    path("cases/<uuid:case_id>/reopen/", views_supervision.reopen, name="reopen"),
]
