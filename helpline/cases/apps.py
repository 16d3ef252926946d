from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "helpline.cases"
    label = "cases"

    def ready(self) -> None:
        from helpline.cases import receivers

        receivers.connect()  # who handled a case's contacts, kept as they change (CaseHandler)
        # The caller history (contacts, a floor below) lists a caller's open cases through this
        # provider: contacts never imports cases.
        from helpline.cases.selectors import open_case_numbers, safe_contact_lines
        from helpline.contacts.selectors import OPEN_CASE_PROVIDERS, SAFE_CONTACT_PROVIDERS

        if open_case_numbers not in OPEN_CASE_PROVIDERS:
            OPEN_CASE_PROVIDERS.append(open_case_numbers)
        if safe_contact_lines not in SAFE_CONTACT_PROVIDERS:
            SAFE_CONTACT_PROVIDERS.append(safe_contact_lines)
