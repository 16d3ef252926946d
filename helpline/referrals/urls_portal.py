"""Pages of the referral network: the partner's page reached through a signed link (no account:
delivery.portal_url builds its address), and the staff's revoke and send-again of those links."""

from django.urls import URLPattern, path

from helpline.referrals import views_links, views_portal

urlpatterns: list[URLPattern] = [
    path("partner/<str:value>/", views_portal.partner_page, name="portal"),
    path("referrals/<uuid:referral_id>/links/send/", views_links.link_send, name="link_send"),
    path(
        "referrals/<uuid:referral_id>/links/<uuid:link_id>/revoke/",
        views_links.link_revoke,
        name="link_revoke",
    ),
]
