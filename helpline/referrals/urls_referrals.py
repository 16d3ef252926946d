"""Pages of the referral network: referrals."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
