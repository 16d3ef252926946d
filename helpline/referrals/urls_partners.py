"""Pages of the referral network: the partner directory and the partnership's life."""

from django.urls import URLPattern, path

from helpline.referrals import views_directory_io, views_partners, views_partnership

urlpatterns: list[URLPattern] = [
    path("partners/", views_partners.partner_list, name="partner_list"),
    path("partners/new/", views_partners.partner_add, name="partner_add"),
    path(
        "partners/export.csv", views_directory_io.partner_export, {"kind": "csv"}, name="partner_export_csv"
    ),
    path(
        "partners/export.xlsx",
        views_directory_io.partner_export,
        {"kind": "xlsx"},
        name="partner_export_xlsx",
    ),
    path("partners/import/", views_directory_io.partner_import, name="partner_import"),
    path(
        "partners/import/<uuid:import_id>/",
        views_directory_io.partner_import_report,
        name="partner_import_report",
    ),
    path(
        "partners/import/<uuid:import_id>/confirm/",
        views_directory_io.partner_import_confirm,
        name="partner_import_confirm",
    ),
    path("partners/<uuid:partner_id>/", views_partners.partner_detail, name="partner_detail"),
    path("partners/<uuid:partner_id>/edit/", views_partners.partner_edit, name="partner_edit"),
    path("partners/<uuid:partner_id>/retire/", views_partners.partner_retire, name="partner_retire"),
    path("partners/<uuid:partner_id>/reinstate/", views_partners.partner_reinstate, name="partner_reinstate"),
    path(
        "partners/<uuid:partner_id>/assessments/",
        views_partnership.assessment_add,
        name="partner_assessment_add",
    ),
    path(
        "partners/<uuid:partner_id>/documents/", views_partnership.document_add, name="partner_document_add"
    ),
    path(
        "partners/<uuid:partner_id>/documents/<uuid:document_id>/",
        views_partnership.document_download,
        name="partner_document",
    ),
    path("partners/<uuid:partner_id>/visits/", views_partnership.visit_plan, name="partner_visit_plan"),
    path(
        "partners/<uuid:partner_id>/visits/<uuid:visit_id>/done/",
        views_partnership.visit_done,
        name="partner_visit_done",
    ),
    path("partners/<uuid:partner_id>/concerns/", views_partnership.concern_add, name="partner_concern_add"),
    path("partners/<uuid:partner_id>/lift/", views_partnership.suspension_lift, name="partner_lift"),
]
