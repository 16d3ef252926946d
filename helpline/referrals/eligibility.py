"""Whether a partner may be sent a referral now, and if not, the one sentence that says why: the
referral services refuse with it, and the partner picker shows it beside a partner it greys out.
The one place these rules are written: Partner.may_receive reads partner_refusal, and a query
(partner_search with referrable_only) filters by referrable_q, the same rule for rows in the database."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from helpline.contacts.models import Term
from helpline.referrals.models import REFERRABLE_ASSESSMENTS, Assessment, Partner


def no_address(partner: Partner) -> str:
    """A referral goes to the partner as a link by email: "" when it has an address, else why not."""
    if not partner.email:
        return _("This partner has no email address to send the referral to.")
    return ""


def partner_refusal(partner: Partner) -> str:
    """ "" when the partner may receive referrals, otherwise why not, most serious first."""
    if not partner.is_active:
        return _("This partner is no longer in the directory.")
    if partner.suspension_id is not None:
        return _("Referrals to this partner are suspended after a serious concern.")
    if partner.assessment == Assessment.NOT_ASSESSED:
        return _("This partner has not been assessed and approved yet.")
    if partner.assessment not in REFERRABLE_ASSESSMENTS:
        return _("This partner was not approved at its last assessment.")
    return no_address(partner)


def referrable_q() -> Q:
    """partner_refusal as a query: the partners it gives no reason against."""
    return Q(is_active=True, suspension__isnull=True, assessment__in=REFERRABLE_ASSESSMENTS) & ~Q(email="")


def gives_service(partner: Partner, service: Term) -> bool:
    return partner.services.filter(pk=service.pk).exists()
