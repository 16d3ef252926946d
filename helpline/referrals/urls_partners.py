"""Pages of the referral network: partners."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
