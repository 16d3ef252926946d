"""Pages of the referral network: portal."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
