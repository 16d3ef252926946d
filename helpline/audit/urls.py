from django.urls import path

from helpline.audit import views

app_name = "audit"

urlpatterns = [path("", views.audit_browse, name="browse")]
