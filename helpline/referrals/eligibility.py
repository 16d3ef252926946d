"""Whether a partner may be sent a referral now, and if not, the one sentence that says why: the
referral services refuse with it, and a partner picker shows it beside a partner it greys out."""

from __future__ import annotations

from django.utils.translation import gettext as _

from helpline.contacts.models import Term
from helpline.referrals.models import REFERRABLE_ASSESSMENTS, Partner


def partner_refusal(partner: Partner) -> str:
    """ "" when the partner may receive referrals (Partner.may_receive), otherwise why not."""
    if not partner.is_active:
        return _("This partner is no longer in the directory.")
    if partner.suspension_id is not None:
        return _("Referrals to this partner are suspended after a serious concern.")
    if partner.assessment not in REFERRABLE_ASSESSMENTS:
        return _("This partner has not been assessed and approved yet.")
    return ""


def gives_service(partner: Partner, service: Term) -> bool:
    return partner.services.filter(pk=service.pk).exists()
