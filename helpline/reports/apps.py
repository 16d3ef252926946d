from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Statistics: daily rollups kept by the scheduler (rollups.py), the figures read from them
    (selectors.py), publication-safe tables (suppression.py) and the CHI yearly export (chi.py).
    Nothing imports this app."""

    name = "helpline.reports"
    label = "reports"
