"""Pages of the referral network: referrals."""

from django.urls import URLPattern, path

from helpline.referrals import views_referrals as views

urlpatterns: list[URLPattern] = [
    path("cases/<uuid:case_id>/refer/", views.refer, name="refer"),
    path("cases/<uuid:case_id>/refer/partners/", views.refer_partners, name="refer_partners"),
    path("referrals/settings/", views.referral_settings, name="referral_settings"),
    path("referrals/<uuid:referral_id>/", views.referral_detail, name="referral_detail"),
    path("referrals/<uuid:referral_id>/edit/", views.referral_edit, name="referral_edit"),
    path("referrals/<uuid:referral_id>/send/", views.referral_send, name="referral_send"),
    path("referrals/<uuid:referral_id>/close/", views.referral_close, name="referral_close"),
    path("referrals/<uuid:referral_id>/answer/", views.referral_answer, name="referral_answer"),
    path("referrals/<uuid:referral_id>/notes/", views.referral_note, name="referral_note"),
]
