"""Demo partners: the referral directory of a helpline working in Phnom Penh, Siem Reap and
Preah Sihanouk, across the services it refers to — most assessed and approved, one not yet
assessed, one whose monitoring visit is overdue, one suspended after a serious concern a child
raised. Written by the referral network's services, as the case manager would have (assessments
back-dated). Names are invented; none is a real organisation.

Demo referrals (another module) go to these partners: create_demo_partners runs first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.contacts.models import Term, Vocabulary
from helpline.referrals import directory, partnership
from helpline.referrals.models import Assessment, ConcernSeverity, ConcernSource, Partner


class DemoPartnersError(RuntimeError):
    """Demo partners cannot be created (the demo staff are missing)."""


@dataclass(frozen=True)
class DemoPartner:
    name: str
    name_km: str
    services: tuple[str, ...]
    provinces: tuple[str, ...]  # none: the whole country
    min_age: int | None = None
    max_age: int | None = None
    emergency: bool = False
    languages: str = "ខ្មែរ, English"
    opening_hours: str = "ច័ន្ទ ដល់ សុក្រ ៧:៣០ ដល់ ១៧:០០"
    phone: str = ""
    email: str = ""
    contact_person: str = ""
    description: str = ""
    assessed_days_ago: int | None = 60  # None: not yet assessed
    outcome: str = Assessment.APPROVED
    serious_concern: str = ""  # a child's words: the partner is suspended


PARTNERS: tuple[DemoPartner, ...] = (
    DemoPartner(
        "Safe Haven Phnom Penh",
        "ផ្ទះសុវត្ថិភាពភ្នំពេញ",
        ("shelter", "food", "domestic_violence", "child_protection"),
        ("phnom_penh",),
        max_age=17,
        emergency=True,
        opening_hours="២៤ ម៉ោង",
        phone="023 555 101",
        email="intake@safehaven.example.org",
        contact_person="លោកស្រី សុខ ចាន់ថា",
        description="ទីជម្រកបណ្ដោះអាសន្នសម្រាប់កុមារដែលរងអំពើហិង្សាក្នុងគ្រួសារ ទទួលទាំងយប់។",
        assessed_days_ago=45,
    ),
    DemoPartner(
        "Phnom Penh Youth Health Clinic",
        "គ្លីនិកសុខភាពយុវជនភ្នំពេញ",
        ("medical_care", "sexual_reproductive_health", "hiv_aids", "body_change"),
        ("phnom_penh",),
        min_age=10,
        max_age=25,
        phone="023 555 202",
        email="clinic@youthhealth.example.org",
        contact_person="វេជ្ជបណ្ឌិត ម៉ៅ វិចិត្រ",
        description="ពិនិត្យសុខភាព តេស្តមេរោគអេដស៍ និងប្រឹក្សាសុខភាពផ្លូវភេទ ដោយរក្សាការសម្ងាត់។",
        assessed_days_ago=120,
    ),
    DemoPartner(
        "Legal Aid for Children Cambodia",
        "ជំនួយផ្លូវច្បាប់សម្រាប់កុមារកម្ពុជា",
        ("legal_advice", "trafficking", "child_protection"),
        (),
        phone="023 555 303",
        email="help@legalaid-children.example.org",
        contact_person="មេធាវី ហេង សុភា",
        description="មេធាវីតំណាងកុមាររងគ្រោះ និងប្រឹក្សាផ្លូវច្បាប់ដោយឥតគិតថ្លៃ នៅទូទាំងប្រទេស។",
        outcome=Assessment.APPROVED_WITH_CONDITIONS,
        assessed_days_ago=30,
    ),
    DemoPartner(
        "Mind Matters Counselling",
        "មណ្ឌលប្រឹក្សាសុខភាពផ្លូវចិត្ត",
        ("mental_health", "suicide", "grief"),
        ("phnom_penh", "kandal", "siem_reap"),
        min_age=12,
        max_age=25,
        phone="012 555 404",
        email="care@mindmatters.example.org",
        contact_person="លោក ឈុន ដារ៉ា",
        description="អ្នកចិត្តសាស្ត្រ និងអ្នកប្រឹក្សា សម្រាប់យុវជនដែលមានគំនិតចង់ធ្វើអត្តឃាត ឬបាត់បង់មនុស្សជាទីស្រឡាញ់។",
        # Assessed 200 days ago, a visit every 180 days: the first visit is three weeks overdue.
        assessed_days_ago=200,
    ),
    DemoPartner(
        "Siem Reap Children's Shelter",
        "ទីជម្រកកុមារសៀមរាប",
        ("shelter", "food", "trafficking"),
        ("siem_reap",),
        max_age=17,
        emergency=True,
        opening_hours="២៤ ម៉ោង",
        phone="063 555 505",
        email="shelter@srchildren.example.org",
        contact_person="អ្នកស្រី លី សុខហេង",
        description="ទីជម្រក អាហារ និងការគាំទ្រដល់កុមាររងគ្រោះពីការជួញដូរមនុស្ស។",
        assessed_days_ago=90,
    ),
    DemoPartner(
        "Angkor Recovery Centre",
        "មជ្ឈមណ្ឌលស្ដារនីតិសម្បទាអង្គរ",
        ("drug_use", "mental_health"),
        ("siem_reap",),
        min_age=14,
        max_age=25,
        phone="063 555 606",
        description="ជួយយុវជនឈប់ប្រើប្រាស់គ្រឿងញៀន។ ខ្សែទូរស័ព្ទជំនួយកុមារមិនទាន់បានវាយតម្លៃទេ។",
        assessed_days_ago=None,
    ),
    DemoPartner(
        "Sihanoukville Child Protection Network",
        "បណ្ដាញការពារកុមារព្រះសីហនុ",
        ("child_protection", "domestic_violence", "trafficking", "shelter"),
        ("preah_sihanouk",),
        max_age=17,
        emergency=True,
        phone="034 555 707",
        email="protect@sihanoukville-network.example.org",
        contact_person="លោក ពេជ្រ សំណាង",
        description="ក្រុមការងារសង្គមកិច្ចតាមឃុំ និងទីជម្រកបណ្ដោះអាសន្ន។",
        assessed_days_ago=150,
        serious_concern="ប្អូនប្រាប់ថា បុគ្គលិកម្នាក់នៅទីជម្រកបានវាយ ហើយគំរាមប្អូនកុំឲ្យប្រាប់នរណាម្នាក់។",
    ),
    DemoPartner(
        "Rainbow Youth Space",
        "ទីធ្លាយុវជនឥន្ទធនូ",
        ("sexual_orientation", "relationships", "mental_health"),
        ("phnom_penh", "preah_sihanouk"),
        min_age=13,
        max_age=25,
        phone="012 555 808",
        email="hello@rainbowyouth.example.org",
        description="កន្លែងសុវត្ថិភាព និងការប្រឹក្សាសម្រាប់យុវជន LGBTIQ+ និងគ្រួសារ។",
        assessed_days_ago=20,
    ),
    DemoPartner(
        "Hands Together Disability Services",
        "សេវាជនពិការដៃគ្នា",
        ("disability", "education", "medical_care"),
        ("preah_sihanouk",),
        phone="034 555 909",
        email="info@handstogether.example.org",
        description="ការស្ដារនីតិសម្បទា ឧបករណ៍ជំនួយ និងការអប់រំបញ្ចូលគ្នាសម្រាប់កុមារពិការ។",
        assessed_days_ago=75,
    ),
    DemoPartner(
        "Open Doors Learning Centre",
        "មជ្ឈមណ្ឌលសិក្សាទ្វារបើក",
        ("education", "food"),
        ("siem_reap", "preah_sihanouk"),
        min_age=6,
        max_age=18,
        phone="063 555 010",
        description="ថ្នាក់រៀនបំប៉ន បណ្ដុះបណ្ដាលវិជ្ជាជីវៈ និងអាហារថ្ងៃត្រង់។",
        assessed_days_ago=100,
    ),
    DemoPartner(
        "Sihanoukville Youth Centre",
        "មជ្ឈមណ្ឌលយុវជន ព្រះសីហនុ",
        ("mental_health", "suicide", "drug_use", "education"),
        ("preah_sihanouk",),
        min_age=12,
        max_age=25,
        phone="034 555 303",
        email="help@shvyouth.example.org",
        description="ការប្រឹក្សា និងការបណ្ដុះបណ្ដាលវិជ្ជាជីវៈសម្រាប់យុវជន។",
        assessed_days_ago=90,
    ),
    DemoPartner(
        "Child Protection Network Cambodia",
        "បណ្ដាញការពារកុមារកម្ពុជា",
        ("child_protection", "domestic_violence", "legal_advice", "food", "shelter", "education"),
        (),  # every province, through its commune focal points
        max_age=18,
        phone="023 555 404",
        email="cases@cpn-cambodia.example.org",
        contact_person="លោក ហេង សុភ័ក្ត្រ",
        description="អ្នកសម្របសម្រួលការការពារកុមារនៅគ្រប់ខេត្ត ជំនួយផ្លូវច្បាប់ និងអាហារ។",
        assessed_days_ago=150,
    ),
)


def demo_partners_present() -> bool:
    return Partner.objects.filter(name__in=[p.name for p in PARTNERS]).exists()


def _staff() -> dict[str, Staff]:
    wanted = {"casemanager", "counsellor"}
    found = {s.username: s for s in Staff.objects.filter(username__in=wanted)}
    if set(found) != wanted:
        raise DemoPartnersError("Create the demo staff first (seed_demo).")
    return found


def create_demo_partners() -> int | None:
    """The number of partners created, or None when another run got there first."""
    staff = _staff()
    keeper = staff["casemanager"]
    terms = {(t.vocabulary, t.code): t for t in Term.objects.filter(vocabulary__in=["service", "province"])}
    today = timezone.localdate()
    with transaction.atomic():
        if demo_partners_present():
            return None
        for demo in PARTNERS:
            facts = directory.PartnerFacts(
                name=demo.name,
                name_km=demo.name_km,
                description=demo.description,
                services=[terms[(Vocabulary.SERVICE, code)] for code in demo.services],
                provinces=[terms[(Vocabulary.PROVINCE, code)] for code in demo.provinces],
                min_age=demo.min_age,
                max_age=demo.max_age,
                languages=demo.languages,
                opening_hours=demo.opening_hours,
                phone=demo.phone,
                email=demo.email,
                contact_person=demo.contact_person,
                emergency=demo.emergency,
            )
            partner = directory.partner_create(keeper, facts=facts)
            if demo.assessed_days_ago is not None:
                partnership.assessment_record(
                    keeper,
                    partner=partner,
                    assessed_on=today - dt.timedelta(days=demo.assessed_days_ago),
                    assessor=keeper,
                    outcome=demo.outcome,
                    notes="បានទៅមើលទីតាំង ពិនិត្យគោលនយោបាយការពារកុមារ និងសម្ភាសន៍បុគ្គលិក។",
                )
            if demo.serious_concern:
                partnership.concern_record(
                    staff["counsellor"],
                    partner=partner,
                    source=ConcernSource.CHILD,
                    severity=ConcernSeverity.SERIOUS,
                    description=demo.serious_concern,
                )
    return len(PARTNERS)
