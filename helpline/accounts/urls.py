from django.urls import path

from helpline.accounts import views, views_staff

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.sign_in, name="login"),
    path("sign-in/code/", views.second_factor, name="otp"),
    path("sign-out/", views.sign_out, name="logout"),
    path("sign-out-everywhere/", views.sign_out_everywhere, name="logout_everywhere"),
    path("profile/", views.profile, name="profile"),
    path("policy/", views.policy, name="policy"),
    path("language/", views.set_language, name="set_language"),
    path("staff/", views_staff.staff_list, name="staff_list"),
    path("staff/new/", views_staff.staff_create, name="staff_create"),
    path("staff/extensions/", views_staff.extensions, name="extensions"),
    path("staff/<uuid:staff_id>/extension/", views_staff.extension_set, name="extension_set"),
    path("staff/<uuid:staff_id>/", views_staff.staff_detail, name="staff_detail"),
    path("staff/<uuid:staff_id>/police-checks/", views_staff.police_check_add, name="police_check_add"),
    path("staff/<uuid:staff_id>/training/", views_staff.training_add, name="training_add"),
    path("staff/<uuid:staff_id>/reset-2fa/", views_staff.otp_reset, name="otp_reset"),
    path("policy-versions/", views_staff.policy_versions, name="policy_versions"),
    path("api-tokens/", views_staff.api_tokens, name="api_tokens"),
    path("api-tokens/<uuid:token_id>/revoke/", views_staff.api_token_revoke, name="api_token_revoke"),
]
