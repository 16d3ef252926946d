from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "helpline.referrals"
    label = "referrals"

    def ready(self) -> None:
        # The case page (cases, a floor below) shows the case's referrals through this provider:
        # cases never imports referrals.
        from helpline.cases.panels import CASE_SECTIONS  # deferred: ready(), once models load
        from helpline.referrals.panels import case_referrals_section  # deferred: ready(), as above

        if case_referrals_section not in CASE_SECTIONS:
            CASE_SECTIONS.append(case_referrals_section)

        # The case timeline (cases, below) stores a referral's steps as codes; these make the words.
        from helpline.cases.timeline import LINES  # deferred: ready(), as above
        from helpline.referrals.timeline import LINES as REFERRAL_LINES  # deferred: ready(), as above

        LINES.update(REFERRAL_LINES)

        # A partner's suspension (written by partnership.py) holds or resumes its open referrals.
        from django.db.models.signals import post_save

        from helpline.referrals.loop import on_suspension_saved  # deferred: ready(), as above
        from helpline.referrals.models import PartnerSuspension  # deferred: ready(), as above

        post_save.connect(on_suspension_saved, sender=PartnerSuspension, dispatch_uid="referrals-suspension")
        # The search-words command (contacts, below) rebuilds the partners' too.
        from helpline.contacts.search_index import REBUILDERS  # deferred: ready(), as above
        from helpline.referrals.directory import partners_rebuild_search_text  # deferred, as above

        if partners_rebuild_search_text not in REBUILDERS:
            REBUILDERS.append(partners_rebuild_search_text)
        # The audit page names a partner link (the actor "partner-link:<token id>") by its partner.
        from helpline.audit.labels import ACTOR_NAMERS, PARTNER_LINK  # deferred: ready(), as above
        from helpline.referrals.lifecycle import link_partners  # deferred: ready(), as above

        ACTOR_NAMERS[PARTNER_LINK] = link_partners
