"""The referral network's pages: the partner directory (urls_partners), referrals from a case
(urls_referrals), and the partner's own page reached through a signed link (urls_portal)."""

from helpline.referrals import urls_partners, urls_portal, urls_referrals

app_name = "referrals"

urlpatterns = urls_partners.urlpatterns + urls_referrals.urlpatterns + urls_portal.urlpatterns
