"""Synthetic demo contacts: one month of a child helpline's traffic, reproducible from a fixed seed.

The volumes follow what Child Helpline Cambodia reports (about 2,000 calls and 200 SMS a month, a
few dozen web chats, a handful of walk-ins and emails); most calls are silent, hang-up, testing or
other non-data contacts. Callers come back: a child may call silently several times before talking,
some people test or prank the line again and again, a few numbers are withheld.

Nothing here describes a real person: summaries are assembled from generic, non-graphic sentences.
The month is written by contacts' batch service (contacts_seed_finished): rows built in memory and
bulk inserted in one transaction, one audit event for the whole batch.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.contacts.models import DATA_KINDS, NON_DATA_KINDS, Channel, Contact, Kind, Urgency
from helpline.contacts.services import ContactError, FinishedContact, contacts_seed_finished

SEED = 1280
DAYS = 30
KEY_PREFIX = "demo-"
DEMO_COUNSELLORS = {"counsellor": 45.0, "volunteer": 35.0, "supervisor": 20.0}


class DemoDataError(RuntimeError):
    """Demo contacts cannot be created (the demo staff are missing)."""


# --- Distributions -------------------------------------------------------------------------------

# Local hour of day (0-23): few at night, more after school, most in the late afternoon and evening.
HOURS_VOICE = [
    0.5, 0.3, 0.2, 0.2, 0.3, 0.6, 1.2, 2.0, 3.0, 3.5, 3.8, 4.0,
    4.5, 5.0, 5.5, 6.0, 6.5, 7.0, 7.0, 6.5, 6.0, 4.5, 2.5, 1.2,
]  # fmt: skip
HOURS_TEXT = [
    0.8, 0.5, 0.3, 0.2, 0.2, 0.3, 0.6, 1.0, 1.5, 2.0, 2.5, 3.0,
    3.5, 3.5, 3.5, 4.0, 4.5, 5.5, 6.5, 7.5, 8.0, 7.5, 5.0, 2.5,
]  # fmt: skip
HOURS_OFFICE = [0.0] * 8 + [1.0] * 9 + [0.0] * 7
# Monday .. Sunday: a little busier at the weekend, when children are out of school.
DAYS_OF_WEEK = [1.0, 0.97, 0.97, 1.0, 1.05, 1.15, 1.12]
DAYS_OFFICE = [1.0, 1.0, 1.0, 1.0, 1.0, 0.3, 0.0]

KINDS_VOICE = {
    Kind.SILENT: 21.0,
    Kind.HANG_UP: 15.0,
    Kind.TESTING: 7.0,
    Kind.BLANK: 6.0,
    Kind.PRANK: 6.0,
    Kind.WRONG_NUMBER: 4.0,
    Kind.ABUSIVE: 2.0,
    Kind.COUNSELLING: 22.0,
    Kind.INFORMATION: 12.0,
    Kind.REFERRAL: 5.0,
}
KINDS_SMS = {
    Kind.COUNSELLING: 38.0,
    Kind.INFORMATION: 27.0,
    Kind.REFERRAL: 5.0,
    Kind.BLANK: 14.0,
    Kind.TESTING: 8.0,
    Kind.PRANK: 5.0,
    Kind.WRONG_NUMBER: 2.0,
    Kind.ABUSIVE: 1.0,
}
KINDS_WEBCHAT = {
    Kind.COUNSELLING: 48.0,
    Kind.INFORMATION: 20.0,
    Kind.REFERRAL: 7.0,
    Kind.BLANK: 10.0,
    Kind.HANG_UP: 8.0,
    Kind.PRANK: 5.0,
    Kind.TESTING: 2.0,
}
KINDS_WALK_IN = {Kind.COUNSELLING: 60.0, Kind.REFERRAL: 25.0, Kind.INFORMATION: 15.0}
KINDS_EMAIL = {Kind.INFORMATION: 50.0, Kind.COUNSELLING: 30.0, Kind.REFERRAL: 20.0}

PROVINCES = {
    "phnom_penh": 30.0,
    "kandal": 9.0,
    "siem_reap": 7.0,
    "battambang": 7.0,
    "kampong_cham": 6.0,
    "preah_sihanouk": 5.0,
    "takeo": 3.5,
    "prey_veng": 3.5,
    "kampong_speu": 3.5,
    "banteay_meanchey": 3.0,
    "kampot": 2.5,
    "svay_rieng": 2.5,
    "kampong_thom": 2.5,
    "kampong_chhnang": 2.0,
    "tbong_khmum": 2.0,
    "pursat": 1.8,
    "kratie": 1.2,
    "koh_kong": 1.0,
    "oddar_meanchey": 0.8,
    "preah_vihear": 0.8,
    "ratanakiri": 0.7,
    "stung_treng": 0.6,
    "mondulkiri": 0.4,
    "pailin": 0.4,
    "kep": 0.3,
}
CITIES = frozenset({"phnom_penh"})
LARGE_TOWNS = frozenset({"siem_reap", "battambang", "preah_sihanouk", "kampong_cham"})

CALLER_TYPES = {"self": 76.0, "about_child": 21.0, "other": 3.0}
RELATIONSHIPS = {
    "parent": 40.0,
    "caregiver": 8.0,
    "grandparent": 8.0,
    "sibling": 7.0,
    "other_relative": 8.0,
    "friend": 10.0,
    "teacher": 8.0,
    "neighbour": 6.0,
    "stranger": 2.0,
    "other": 3.0,
}
GENDERS = {"female": 56.0, "male": 38.0, "non_binary": 1.0, "unknown": 5.0}
# Age of a child or young person speaking for themself (mostly 6-17, some 18-25).
AGES_SELF = {
    7: 0.5, 8: 1.0, 9: 1.5, 10: 2.5, 11: 3.5, 12: 5.0, 13: 7.0, 14: 9.0, 15: 10.0, 16: 10.0,
    17: 9.0, 18: 6.0, 19: 4.0, 20: 3.0, 21: 2.0, 22: 1.5, 23: 1.0, 24: 1.0, 25: 0.8,
}  # fmt: skip
# Age of a child someone else calls about.
AGES_ABOUT = {
    0: 0.5, 1: 0.8, 2: 1.0, 3: 1.2, 4: 1.5, 5: 2.0, 6: 3.0, 7: 3.5, 8: 4.0, 9: 4.0, 10: 4.5,
    11: 4.5, 12: 5.0, 13: 5.0, 14: 5.0, 15: 4.5, 16: 4.0, 17: 3.5,
}  # fmt: skip
LIVING = {
    "with_parents": 58.0,
    "with_relatives": 14.0,
    "alternative_care": 2.0,
    "residential_facility": 3.0,
    "independent": 5.0,
    "homeless": 1.0,
    "detention": 0.3,
    "other": 2.0,
    "unknown": 12.0,
}
LIVING_ADULT = {
    "with_parents": 40.0,
    "with_relatives": 10.0,
    "independent": 35.0,
    "other": 5.0,
    "unknown": 10.0,
}
VULNERABLE = {
    "poverty": 40.0,
    "out_of_school": 20.0,
    "lgbtqi": 10.0,
    "disability": 8.0,
    "minority": 6.0,
    "on_the_move_voluntary": 6.0,
    "on_the_move_involuntary": 3.0,
    "conflict_with_law": 3.0,
    "other": 4.0,
}
DISABILITIES = {"physical": 2.0, "sensory": 1.5, "intellectual": 2.0, "psychosocial": 2.5, "multiple": 0.5}

# Reason subcategories of counselling contacts; categories add up to their share of the month.
REASONS_COUNSELLING = {
    # family relationships (~17)
    "family.caregiver": 8.0,
    "family.health_wellbeing": 4.0,
    "family.siblings": 2.0,
    "family.adoption_fostering": 0.4,
    "family.other": 2.5,
    # violence (~15)
    "violence.physical": 3.5,
    "violence.emotional": 3.0,
    "violence.bullying": 3.0,
    "violence.neglect": 2.0,
    "violence.sexual": 1.3,
    "violence.child_labour": 0.6,
    "violence.child_marriage": 0.4,
    "violence.online_sexual_abuse": 0.4,
    "violence.other": 0.8,
    # mental health (~16)
    "mental_health.mood": 4.0,
    "mental_health.fear_anxiety": 4.0,
    "mental_health.self_concept": 2.0,
    "mental_health.anger": 1.5,
    "mental_health.suicidal": 1.0,
    "mental_health.self_harm": 0.8,
    "mental_health.trauma": 0.8,
    "mental_health.behavioural": 0.8,
    "mental_health.substance_use": 0.6,
    "mental_health.eating": 0.3,
    "mental_health.other": 0.5,
    # peer relationships (~12)
    "peers.partner": 5.5,
    "peers.friends": 4.0,
    "peers.classmates": 2.0,
    "peers.other": 0.5,
    # education and occupation (~10)
    "education.academic": 5.5,
    "education.school": 2.5,
    "education.work": 1.5,
    "education.other": 0.5,
    # sexuality (~6)
    "sexuality.behaviour": 3.0,
    "sexuality.sogi": 2.5,
    "sexuality.other": 0.5,
    # physical health and puberty (~8)
    "physical_health.sexual_reproductive": 2.5,
    "physical_health.general": 1.5,
    "physical_health.pregnancy": 1.2,
    "physical_health.hiv_aids": 0.6,
    "physical_health.nutrition": 0.3,
    "body_change.general": 1.8,
    # online harms (~4)
    "online_harms.cyberbullying": 1.3,
    "online_harms.online_addiction": 1.3,
    "online_harms.pornography": 0.4,
    "online_harms.grooming": 0.3,
    "online_harms.sextortion": 0.3,
    "online_harms.image_abuse": 0.2,
    # the rest
    "grief.general": 1.5,
    "access_to_services.essential_needs": 0.8,
    "access_to_services.mental_health": 0.6,
    "access_to_services.education": 0.5,
    "discrimination.financial": 0.4,
    "discrimination.sogie": 0.4,
    "discrimination.health": 0.2,
    "disability.general": 0.4,
    "missing_children.runaway": 0.6,
    "missing_children.lost": 0.2,
    "trafficking.forced_labour": 0.25,
    "trafficking.sexual_exploitation": 0.15,
    "trafficking.forced_marriage": 0.1,
    "trafficking.other": 0.05,
}
REASONS_INFORMATION = {
    "non_counselling.about_helpline": 30.0,
    "non_counselling.other_services": 20.0,
    "non_counselling.parent_question": 15.0,
    "non_counselling.thanks": 4.0,
    "non_counselling.complaint": 1.0,
    "access_to_services.education": 8.0,
    "access_to_services.healthcare": 6.0,
    "access_to_services.legal": 5.0,
    "access_to_services.sexual_health": 4.0,
    "physical_health.sexual_reproductive": 5.0,
    "physical_health.hiv_aids": 3.0,
}
REASONS_REFERRAL = {
    "access_to_services.essential_needs": 10.0,
    "access_to_services.legal": 6.0,
    "access_to_services.healthcare": 6.0,
    "access_to_services.mental_health": 6.0,
    "access_to_services.sexual_health": 3.0,
    "violence.physical": 8.0,
    "violence.neglect": 6.0,
    "violence.sexual": 4.0,
    "violence.child_labour": 2.0,
    "mental_health.suicidal": 3.0,
    "mental_health.self_harm": 2.0,
    "mental_health.substance_use": 3.0,
    "physical_health.pregnancy": 4.0,
    "physical_health.general": 3.0,
    "missing_children.runaway": 2.0,
    "disability.general": 2.0,
    "trafficking.forced_labour": 1.0,
    "trafficking.sexual_exploitation": 0.5,
}
SERIOUS_PREFIXES = (
    "violence.sexual",
    "violence.physical",
    "violence.child_marriage",
    "violence.online_sexual_abuse",
    "mental_health.suicidal",
    "mental_health.self_harm",
    "missing_children.",
    "trafficking.",
    "online_harms.sextortion",
    "online_harms.grooming",
)
REFERRAL_FOR_CATEGORY = {
    "violence": "referral_child_protection",
    "trafficking": "referral_law_enforcement",
    "missing_children": "referral_law_enforcement",
    "online_harms": "referral_child_protection",
    "mental_health": "referral_mental_health",
    "grief": "referral_mental_health",
    "physical_health": "referral_health",
    "body_change": "referral_health",
    "access_to_services": "referral_other",
}

# Smart, Metfone and Cellcard prefixes, each with the number of digits after it.
PHONE_PREFIXES: dict[tuple[str, int], float] = {
    ("10", 6): 5.0, ("15", 6): 4.0, ("16", 6): 4.0, ("69", 6): 3.0, ("70", 6): 3.0, ("81", 6): 3.0,
    ("86", 6): 4.0, ("87", 6): 3.0, ("93", 6): 4.0, ("96", 7): 6.0, ("98", 6): 4.0,  # Smart
    ("97", 7): 12.0, ("88", 7): 10.0, ("71", 7): 4.0, ("90", 6): 3.0, ("60", 6): 2.0,
    ("66", 6): 2.0, ("67", 6): 2.0, ("68", 6): 2.0,  # Metfone
    ("12", 6): 8.0, ("11", 6): 2.0, ("17", 6): 3.0, ("77", 6): 2.0, ("89", 6): 2.0,
    ("92", 6): 2.0, ("95", 6): 1.0, ("99", 6): 1.0,  # Cellcard
}  # fmt: skip


# --- Summaries ------------------------------------------------------------------------------------
# A summary is an opening (who got in touch), a body (by reason) and a closing (what was done), each
# a generic sentence in Khmer or English. Parts are joined by a space, so the searchable words of a
# summary are the words of its parts: each part is segmented once and cached.

Phrase = tuple[str, str]  # (Khmer, English)

OPENINGS: dict[str, list[Phrase]] = {
    "self": [
        ("កុមារទូរស័ព្ទមកដោយខ្លួនឯង។", "Child got in touch about themself."),
        ("យុវជនទាក់ទងមកដើម្បីសុំជំនួយ។", "Young person reached out for support."),
        ("កុមារចង់និយាយជាមួយអ្នកប្រឹក្សា។", "Child wanted to talk with a counsellor."),
    ],
    "about_child": [
        ("អ្នកទាក់ទងព្រួយបារម្ភអំពីកុមារម្នាក់។", "Caller is worried about a child they know."),
        (
            "មនុស្សពេញវ័យម្នាក់ទាក់ទងមកអំពីកុមារក្នុងសហគមន៍។",
            "An adult contacted us about a child in their community.",
        ),
    ],
    "other": [("អ្នកទាក់ទងសុំដំបូន្មាន។", "Caller asked for advice.")],
}
# Keyed by subcategory code or, as a fallback, by category code.
BODIES: dict[str, list[Phrase]] = {
    "family": [
        (
            "កុមារមានជម្លោះជាមួយឪពុកម្ដាយញឹកញាប់ ហើយមានអារម្មណ៍តានតឹងនៅផ្ទះ។",
            "Frequent arguments with parents; the child feels tense at home.",
        ),
        (
            "ឪពុកម្ដាយកំពុងបែកគ្នា ហើយកុមារព្រួយបារម្ភអំពីអនាគតរបស់ខ្លួន។",
            "Parents are separating and the child is worried about what will happen.",
        ),
        (
            "កុមាររស់នៅជាមួយជីដូន ហើយនឹករលឹកម្ដាយដែលធ្វើការនៅឆ្ងាយ។",
            "Child lives with a grandparent and misses a parent working far away.",
        ),
    ],
    "family.siblings": [
        ("កុមារឈ្លោះជាមួយបងប្អូនជារៀងរាល់ថ្ងៃ។", "Child argues with a sibling every day."),
    ],
    "violence": [
        (
            "កុមារប្រាប់អំពីស្ថានភាពមិនមានសុវត្ថិភាព ហើយត្រូវការជំនួយ។",
            "Child described a situation where they do not feel safe and needs support.",
        ),
    ],
    "violence.physical": [
        (
            "កុមារប្រាប់ថាត្រូវបានគេវាយនៅផ្ទះ ហើយខ្លាចត្រឡប់ទៅផ្ទះវិញ។",
            "Child said they are hit at home and is afraid to go back.",
        ),
    ],
    "violence.emotional": [
        (
            "កុមារត្រូវបានគេស្ដីបន្ទោស និងជេរប្រមាថជាប្រចាំ ហើយមានអារម្មណ៍អស់សង្ឃឹម។",
            "Child is often shouted at and insulted and feels hopeless.",
        ),
    ],
    "violence.bullying": [
        (
            "កុមារត្រូវបានមិត្តរួមថ្នាក់សម្លុតគំរាមនៅសាលាជារៀងរាល់ថ្ងៃ។",
            "Child is bullied by classmates at school every day.",
        ),
    ],
    "violence.neglect": [
        (
            "អ្នកទាក់ទងបារម្ភថាកុមារនៅជិតផ្ទះមិនត្រូវបានមើលថែគ្រប់គ្រាន់។",
            "Caller is concerned a child nearby is not being looked after.",
        ),
    ],
    "violence.child_labour": [
        (
            "កុមារត្រូវធ្វើការរាល់ថ្ងៃ ហើយមិនអាចទៅសាលារៀនបាន។",
            "Child has to work every day and cannot go to school.",
        ),
    ],
    "mental_health": [
        (
            "យុវជនមានអារម្មណ៍ក្រៀមក្រំ និងឯកោអស់រយៈពេលជាច្រើនសប្ដាហ៍។",
            "Young person has felt low and lonely for several weeks.",
        ),
    ],
    "mental_health.fear_anxiety": [
        (
            "កុមារថប់បារម្ភខ្លាំង ហើយគេងមិនលក់មុនពេលប្រឡង។",
            "Child is very anxious and cannot sleep before exams.",
        ),
    ],
    "mental_health.anger": [
        (
            "កុមារខឹងងាយ ហើយចង់រៀនពីរបៀបគ្រប់គ្រងអារម្មណ៍។",
            "Child gets angry easily and wants help managing feelings.",
        ),
    ],
    "mental_health.suicidal": [
        (
            "យុវជនមានគំនិតអស់សង្ឃឹម ហើយយល់ព្រមបង្កើតផែនការសុវត្ថិភាពជាមួយអ្នកប្រឹក្សា។",
            "Young person has been feeling hopeless and agreed a safety plan with the counsellor.",
        ),
    ],
    "mental_health.self_harm": [
        (
            "យុវជនមានគំនិតចង់ធ្វើបាបខ្លួនឯង ហើយយល់ព្រមបង្កើតផែនការសុវត្ថិភាព។",
            "Young person has had thoughts of self-harm and agreed a safety plan.",
        ),
    ],
    "peers": [
        (
            "កុមារឈ្លោះជាមួយមិត្តជិតស្និទ្ធ ហើយមានអារម្មណ៍ឯកោ។",
            "Child fell out with a close friend and feels alone.",
        ),
    ],
    "peers.partner": [
        (
            "យុវជនសុំដំបូន្មានអំពីទំនាក់ទំនងជាមួយសង្សារ។",
            "Young person asked for advice about a relationship.",
        ),
    ],
    "education": [
        (
            "សិស្សព្រួយបារម្ភអំពីការប្រឡងបាក់ឌុប និងលទ្ធផលសិក្សា។",
            "Student is worried about the grade 12 exam and results.",
        ),
        (
            "កុមារចង់ឈប់រៀនដើម្បីជួយរកប្រាក់ចំណូលឱ្យគ្រួសារ។",
            "Child is thinking of leaving school to help the family earn money.",
        ),
    ],
    "education.work": [
        (
            "យុវជនមានបញ្ហាជាមួយថៅកែនៅកន្លែងធ្វើការ។",
            "Young person has problems with an employer at work.",
        ),
    ],
    "sexuality": [
        (
            "យុវជនសួរអំពីសុខភាពផ្លូវភេទ និងការការពារខ្លួន។",
            "Young person asked about sexual health and staying safe.",
        ),
    ],
    "sexuality.sogi": [
        (
            "យុវជនមានសំណួរអំពីអត្តសញ្ញាណយេនឌ័រ ហើយចង់និយាយជាមួយអ្នកដែលយល់ចិត្ត។",
            "Young person has questions about gender identity and wanted someone understanding to talk to.",
        ),
    ],
    "physical_health": [
        (
            "កុមារឈឺញឹកញាប់ ហើយគ្រួសារមិនដឹងថាត្រូវទៅមន្ទីរពេទ្យណា។",
            "Child is often unwell and the family does not know which clinic to visit.",
        ),
    ],
    "physical_health.pregnancy": [
        (
            "យុវជនសួរព័ត៌មានអំពីការមានផ្ទៃពោះ និងកន្លែងពិនិត្យសុខភាព។",
            "Young person asked about pregnancy and where to get a check-up.",
        ),
    ],
    "body_change": [
        (
            "កុមារមានសំណួរអំពីការប្រែប្រួលរាងកាយក្នុងវ័យពេញរូបពេញរាង។",
            "Child had questions about body changes during puberty.",
        ),
    ],
    "online_harms": [
        (
            "កុមារត្រូវបានគេសម្លុតគំរាមតាមបណ្ដាញសង្គម។",
            "Child is being bullied on social media.",
        ),
    ],
    "online_harms.online_addiction": [
        (
            "កុមារលេងហ្គេមតាមទូរស័ព្ទរហូតដល់យប់ជ្រៅ ហើយឪពុកម្ដាយព្រួយបារម្ភ។",
            "Child plays phone games late into the night and the parents are worried.",
        ),
    ],
    "online_harms.grooming": [
        (
            "មនុស្សមិនស្គាល់ម្នាក់សុំរូបថតឯកជនពីកុមារតាមអនឡាញ។",
            "A stranger online asked the child for private photos.",
        ),
    ],
    "grief": [
        (
            "កុមារបាត់បង់សមាជិកគ្រួសារថ្មីៗនេះ ហើយកំពុងកើតទុក្ខខ្លាំង។",
            "Child recently lost a family member and is grieving.",
        ),
    ],
    "trafficking": [
        (
            "សាច់ញាតិបារម្ភថាកុមារត្រូវបានគេនាំទៅធ្វើការនៅឆ្ងាយ ហើយបាត់ទំនាក់ទំនង។",
            "Relative worries a child was taken away for work and contact has been lost.",
        ),
        (
            "យុវជនត្រូវបានគេសន្យាផ្ដល់ការងារនៅក្រៅប្រទេស ហើយចង់ដឹងថាវាមានសុវត្ថិភាពឬទេ។",
            "Young person was offered a job abroad and wanted to know if it is safe.",
        ),
    ],
    "missing_children": [
        (
            "គ្រួសាររកមិនឃើញកុមារតាំងពីម្សិលមិញ ហើយសុំជំនួយ។",
            "Family has not been able to find a child since yesterday and asked for help.",
        ),
    ],
    "missing_children.runaway": [
        (
            "កុមាររត់ចេញពីផ្ទះ ហើយកំពុងស្នាក់នៅជាមួយមិត្តភក្ដិ។",
            "Child ran away from home and is staying with a friend.",
        ),
    ],
    "discrimination": [
        (
            "កុមារមានអារម្មណ៍ថាត្រូវគេរើសអើងនៅសាលាដោយសារស្ថានភាពគ្រួសារ។",
            "Child feels treated unfairly at school because of the family's situation.",
        ),
    ],
    "access_to_services": [
        ("គ្រួសារត្រូវការជំនួយផ្នែកអាហារ និងទីជម្រក។", "Family needs help with food and shelter."),
    ],
    "access_to_services.legal": [
        (
            "យុវជនចង់ដឹងពីកន្លែងទទួលបានការប្រឹក្សាផ្នែកច្បាប់។",
            "Young person wanted to know where to get legal advice.",
        ),
    ],
    "access_to_services.education": [
        (
            "អ្នកទាក់ទងសួរអំពីអាហារូបករណ៍ និងការចុះឈ្មោះចូលរៀន។",
            "Caller asked about scholarships and school enrolment.",
        ),
    ],
    "disability": [
        (
            "ឪពុកម្ដាយកុមារពិការសុំព័ត៌មានអំពីសាលារៀន និងសេវាគាំទ្រ។",
            "Parent of a child with a disability asked about schools and support services.",
        ),
    ],
    "non_counselling": [
        (
            "អ្នកទាក់ទងសួរអំពីសេវារបស់ខ្សែទូរស័ព្ទជំនួយកុមារ 1280។",
            "Caller asked what the 1280 child helpline does.",
        ),
    ],
    "non_counselling.parent_question": [
        ("ឪពុកម្ដាយសួរពីរបៀបនិយាយជាមួយកូនជំទង់។", "Parent asked how to talk with a teenage child."),
    ],
    "non_counselling.other_services": [
        ("អ្នកទាក់ទងសុំលេខទំនាក់ទំនងរបស់សេវាផ្សេងទៀត។", "Caller asked for the contact details of another service."),
    ],
    "non_counselling.thanks": [
        ("កុមារទាក់ទងមកដើម្បីអរគុណអ្នកប្រឹក្សា។", "Child got in touch to thank the counsellor."),
    ],
    "non_counselling.complaint": [
        ("អ្នកទាក់ទងរង់ចាំយូរពេក ហើយចង់ផ្ដល់មតិកែលម្អ។", "Caller waited too long and wanted to give feedback."),
    ],
}
# Bodies (by their English text) told by an adult about a child rather than by the child.
THIRD_PARTY = frozenset(
    {
        "Caller is concerned a child nearby is not being looked after.",
        "Relative worries a child was taken away for work and contact has been lost.",
        "Family has not been able to find a child since yesterday and asked for help.",
        "Parent of a child with a disability asked about schools and support services.",
        "Parent asked how to talk with a teenage child.",
        "Child plays phone games late into the night and the parents are worried.",
        "Caller asked about scholarships and school enrolment.",
        "Family needs help with food and shelter.",
        "Child is often unwell and the family does not know which clinic to visit.",
    }
)
CLOSINGS: dict[str, Phrase] = {
    "emotional_support": (
        "អ្នកប្រឹក្សាបានស្ដាប់ និងផ្ដល់ការគាំទ្រផ្លូវអារម្មណ៍។",
        "Counsellor listened and gave emotional support.",
    ),
    "information": ("បានផ្ដល់ព័ត៌មានដែលពាក់ព័ន្ធ។", "Relevant information given."),
    "referral": (
        "បានបញ្ជូនទៅអង្គការដៃគូ ដោយមានការយល់ព្រមពីអតិថិជន។",
        "Referred to a partner organisation with the client's agreement.",
    ),
    "follow_up": ("បានកំណត់ពេលតាមដាននៅសប្ដាហ៍ក្រោយ។", "Follow-up planned for next week."),
    "call_back": (
        "បានលើកទឹកចិត្តឱ្យទាក់ទងមកវិញនៅពេលណាក៏បាន។",
        "Encouraged to get in touch again at any time.",
    ),
}


# --- The generated month --------------------------------------------------------------------------


@dataclass
class DemoContact:
    channel: str
    kind: str
    arrived_at: dt.datetime
    counsellor: str = ""
    address: str | None = None  # a channel address URI; None: withheld or none (walk-in)
    withheld: bool = False
    wait_seconds: int = 0
    talk_seconds: int = 0
    language: str = "km"
    caller_type: str = ""
    relationship: str = ""
    gender: str = ""
    age: int | None = None
    age_over_25: bool = False
    province: str = ""
    region: str = ""
    living_situation: str = ""
    disability: str = ""
    vulnerable_groups: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    urgency: str = ""
    summary_parts: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return " ".join(self.summary_parts)


class _Picker:
    """Weighted choice with precomputed cumulative weights (rng.choices recomputes them per call)."""

    def __init__(self, weights: Mapping[Any, float]) -> None:
        self.values: list[Any] = list(weights)
        total = 0.0
        self.cum: list[float] = []
        for w in weights.values():
            total += w
            self.cum.append(total)

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]

    def many(self, rng: random.Random, k: int) -> list[Any]:
        return rng.choices(self.values, cum_weights=self.cum, k=k)


def _lognormal(rng: random.Random, median: float, sigma: float, low: int, high: int) -> int:
    return max(low, min(high, int(rng.lognormvariate(math.log(median), sigma))))


class MonthGenerator:
    """Builds the month in memory: DemoContact objects sorted by arrival, with callers linked."""

    def __init__(self, rng: random.Random, today: dt.date, tz: dt.tzinfo) -> None:
        self.rng = rng
        self.today = today
        self.tz = tz
        self.first_day = today - dt.timedelta(days=DAYS)
        self.contacts: list[DemoContact] = []
        self.used_addresses: set[str] = set()
        self._pickers: dict[int, _Picker] = {}

    def pick(self, weights: Mapping[Any, float]) -> Any:
        picker = self._pickers.get(id(weights))
        if picker is None:
            picker = self._pickers[id(weights)] = _Picker(weights)
        return picker(self.rng)

    # -- arrivals and kinds

    def arrivals(self, n: int, hours: Sequence[float], days_of_week: Sequence[float]) -> list[dt.datetime]:
        rng = self.rng
        days = [self.first_day + dt.timedelta(days=i) for i in range(DAYS)]
        day_weights = [days_of_week[d.weekday()] * rng.uniform(0.85, 1.15) for d in days]
        chosen_days = rng.choices(days, weights=day_weights, k=n)
        chosen_hours = rng.choices(range(24), weights=hours, k=n)
        return [
            dt.datetime(d.year, d.month, d.day, h, rng.randrange(60), rng.randrange(60), tzinfo=self.tz)
            for d, h in zip(chosen_days, chosen_hours, strict=True)
        ]

    def add_channel(
        self,
        channel: str,
        n: int,
        kinds: dict[Kind, float],
        hours: Sequence[float],
        days_of_week: Sequence[float] = DAYS_OF_WEEK,
    ) -> None:
        chosen = _Picker(kinds).many(self.rng, n)
        for at, kind in zip(self.arrivals(n, hours, days_of_week), chosen, strict=True):
            self.contacts.append(DemoContact(channel=channel, kind=str(kind), arrived_at=at))

    def build(self) -> list[DemoContact]:
        rng = self.rng
        self.add_channel(Channel.VOICE, 2000 + rng.randint(-40, 40), KINDS_VOICE, HOURS_VOICE)
        self.add_channel(Channel.SMS, 200 + rng.randint(-10, 10), KINDS_SMS, HOURS_TEXT)
        self.add_channel(Channel.WEBCHAT, 60 + rng.randint(-5, 5), KINDS_WEBCHAT, HOURS_TEXT)
        self.add_channel(Channel.WALK_IN, rng.randint(3, 6), KINDS_WALK_IN, HOURS_OFFICE, DAYS_OFFICE)
        self.add_channel(Channel.EMAIL, rng.randint(4, 8), KINDS_EMAIL, HOURS_TEXT)
        self.contacts.sort(key=lambda c: c.arrived_at)
        self.link_callers()
        now = timezone.now()
        for contact in self.contacts:
            contact.counsellor = self.pick(DEMO_COUNSELLORS)
            self.set_times(contact, now)
            if contact.kind in DATA_KINDS:
                self.classify(contact)
        return self.contacts

    # -- callers

    def new_phone(self) -> str:
        while True:
            prefix, digits = self.pick(PHONE_PREFIXES)
            number = f"tel:+855{prefix}{self.rng.randrange(10 ** (digits - 1), 10**digits)}"
            if number not in self.used_addresses:
                self.used_addresses.add(number)
                return number

    def new_token(self, scheme: str) -> str:
        token = f"{self.rng.getrandbits(64):016x}"
        address = f"email:demo.{token[:10]}@example.org" if scheme == "email" else f"{scheme}:{token}"
        self.used_addresses.add(address)
        return address

    def link_callers(self) -> None:
        """Give contacts their callers, telling a few stories: courage (silent calls, then talking),
        clients who come back, people who test or prank the line again and again."""
        rng = self.rng
        contacts = self.contacts
        times = [c.arrived_at for c in contacts]
        by_kind: dict[tuple[str, str], list[int]] = {}
        for i, c in enumerate(contacts):
            by_kind.setdefault((c.channel, c.kind), []).append(i)

        def free(keys: Iterable[tuple[str, str]], lo: dt.datetime, hi: dt.datetime) -> list[int]:
            found: list[int] = []
            for key in keys:
                indexes = by_kind.get(key, [])
                start = bisect.bisect_left(indexes, lo, key=lambda i: times[i])
                stop = bisect.bisect_left(indexes, hi, key=lambda i: times[i])
                found.extend(i for i in indexes[start:stop] if contacts[i].address is None)
            return found

        def assign(indexes: Iterable[int], address: str) -> None:
            for i in indexes:
                contacts[i].address = address

        voice = Channel.VOICE
        quiet = [(voice, k) for k in (Kind.SILENT, Kind.HANG_UP, Kind.BLANK)]
        talk = [(voice, k) for k in (Kind.COUNSELLING, Kind.INFORMATION, Kind.REFERRAL)]
        day = dt.timedelta(days=1)

        # Courage: one or more silent, hang-up or blank calls in the fortnight before a counselling call;
        # some of those children call again later.
        for i in by_kind.get((voice, Kind.COUNSELLING), []):
            if contacts[i].address is not None or rng.random() > 0.3:
                continue
            address = self.new_phone()
            contacts[i].address = address
            before = free(quiet, times[i] - 14 * day, times[i] - dt.timedelta(hours=1))
            assign(rng.sample(before, min(len(before), rng.choice([1, 2, 2, 3, 3, 4, 5, 6]))), address)
            if rng.random() < 0.3:
                after = free(talk, times[i] + day, times[i] + 14 * day)
                assign(rng.sample(after, min(len(after), rng.choice([1, 1, 2]))), address)

        # Clients who come back to talk again (counselling, information or referral).
        for i in by_kind.get((voice, Kind.COUNSELLING), []):
            if contacts[i].address is not None or rng.random() > 0.1:
                continue
            address = self.new_phone()
            contacts[i].address = address
            after = free(talk, times[i] + day, times[i] + 20 * day)
            assign(rng.sample(after, min(len(after), rng.choice([1, 1, 2, 3]))), address)

        # Testers and pranksters: the same number many times across the month.
        repeat_kinds = [Kind.PRANK, Kind.TESTING, Kind.ABUSIVE, Kind.SILENT, Kind.HANG_UP]
        month = (times[0], times[-1] + dt.timedelta(seconds=1))
        for _ in range(35):
            main = rng.choice(repeat_kinds[:3])
            pool = free([(voice, main)], *month)
            if not pool:
                continue
            address = self.new_phone()
            assign(rng.sample(pool, min(len(pool), rng.randint(2, 10))), address)
            others = free([(voice, k) for k in repeat_kinds], *month)
            assign(rng.sample(others, min(len(others), rng.randint(0, 4))), address)

        # Everyone else: some numbers withheld, some returning, most new.
        seen_phones: list[str] = []
        seen_chats: list[str] = []
        for c in contacts:
            if c.address is not None:
                if c.address.startswith("tel:"):
                    seen_phones.append(c.address)
                continue
            if c.channel == Channel.VOICE:
                withheld = 0.12 if c.kind in NON_DATA_KINDS else 0.03
                if rng.random() < withheld:
                    c.withheld = True
                elif seen_phones and rng.random() < 0.1:
                    c.address = rng.choice(seen_phones)
                else:
                    c.address = self.new_phone()
                    seen_phones.append(c.address)
            elif c.channel == Channel.SMS:
                if rng.random() < 0.01:
                    c.withheld = True
                elif seen_phones and rng.random() < 0.2:
                    c.address = rng.choice(seen_phones)  # someone who called, or texted, before
                else:
                    c.address = self.new_phone()
                    seen_phones.append(c.address)
            elif c.channel == Channel.WEBCHAT:
                if seen_chats and rng.random() < 0.15:
                    c.address = rng.choice(seen_chats)
                else:
                    c.address = self.new_token("webchat")
                    seen_chats.append(c.address)
            elif c.channel == Channel.EMAIL:
                c.address = self.new_token("email")

    # -- times

    def set_times(self, c: DemoContact, now: dt.datetime) -> None:
        rng = self.rng
        data = c.kind in DATA_KINDS
        if c.channel == Channel.VOICE:
            c.wait_seconds = _lognormal(rng, 15, 0.8, 2, 150)
            if c.kind == Kind.COUNSELLING:
                c.talk_seconds = _lognormal(rng, 900, 0.5, 240, 3600)
            elif c.kind == Kind.INFORMATION:
                c.talk_seconds = _lognormal(rng, 240, 0.5, 60, 900)
            elif c.kind == Kind.REFERRAL:
                c.talk_seconds = _lognormal(rng, 720, 0.4, 240, 2400)
            else:
                low, high = {
                    Kind.SILENT: (15, 120),
                    Kind.BLANK: (5, 30),
                    Kind.HANG_UP: (1, 15),
                    Kind.TESTING: (5, 40),
                    Kind.PRANK: (15, 150),
                    Kind.WRONG_NUMBER: (5, 40),
                    Kind.ABUSIVE: (10, 90),
                }[Kind(c.kind)]
                c.talk_seconds = rng.randint(low, high)
        elif c.channel in {Channel.SMS, Channel.WEBCHAT}:
            sms = c.channel == Channel.SMS
            c.wait_seconds = _lognormal(rng, 90 if sms else 40, 0.8, 5, 900 if sms else 300)
            if c.kind == Kind.COUNSELLING:
                c.talk_seconds = _lognormal(rng, 1500, 0.5, 300, 5400)
            elif data:
                c.talk_seconds = _lognormal(rng, 500, 0.5, 120, 1800)
            else:
                c.talk_seconds = rng.randint(5, 120)
        elif c.channel == Channel.WALK_IN:
            c.wait_seconds = rng.randint(0, 600)
            c.talk_seconds = rng.randint(1800, 3600)
        else:  # email: answered within hours
            c.wait_seconds = rng.randint(600, 6 * 3600)
            c.talk_seconds = rng.randint(300, 1200)
        ended = c.arrived_at + dt.timedelta(seconds=c.wait_seconds + c.talk_seconds)
        if ended > now:  # a contact late yesterday evening, seeded just after midnight
            c.talk_seconds = max(0, int((now - c.arrived_at).total_seconds()) - c.wait_seconds)

    # -- coding

    def classify(self, c: DemoContact) -> None:
        rng = self.rng
        c.language = "km" if rng.random() < 0.92 else ("en" if rng.random() < 0.75 else "other")
        counselling = c.kind == Kind.COUNSELLING
        referral = c.kind == Kind.REFERRAL
        full = counselling or referral
        caller_type = self.pick(CALLER_TYPES) if full else rng.choice(["self", "about_child", "other"])
        c.caller_type = caller_type
        if caller_type == "about_child":
            c.relationship = self.pick(RELATIONSHIPS)
        if full or rng.random() < 0.5:
            roll = rng.random()
            if roll < (0.08 if caller_type == "self" else 0.15):
                c.age = None  # not said
            elif caller_type == "self" and roll > 0.985:
                c.age_over_25 = True
            else:
                c.age = self.pick(AGES_SELF if caller_type != "about_child" else AGES_ABOUT)
        if full or rng.random() < 0.7:
            c.gender = self.pick(GENDERS)
        if (full or rng.random() < 0.6) and rng.random() > 0.08:  # 8% say nothing of where they are
            c.province = self.pick(PROVINCES)
            if c.province in CITIES:
                regions = {"city": 85.0, "town": 12.0, "rural": 3.0}
            elif c.province in LARGE_TOWNS:
                regions = {"city": 35.0, "town": 30.0, "rural": 35.0}
            else:
                regions = {"city": 8.0, "town": 30.0, "rural": 62.0}
            if rng.random() < 0.85:
                c.region = self.pick_from(regions)
        if full:
            adult = c.age_over_25 or (c.age is not None and c.age >= 18)
            c.living_situation = self.pick(LIVING_ADULT if adult else LIVING)
            if rng.random() < 0.18:
                c.vulnerable_groups = [self.pick(VULNERABLE)]
                if rng.random() < 0.15:
                    second = self.pick(VULNERABLE)
                    if second not in c.vulnerable_groups:
                        c.vulnerable_groups.append(second)
            roll = rng.random()
            if "disability" in c.vulnerable_groups or roll < 0.1:
                c.disability = self.pick(DISABILITIES)
            elif roll < 0.5:
                c.disability = "none"
        reasons = (
            REASONS_COUNSELLING if counselling else REASONS_REFERRAL if referral else REASONS_INFORMATION
        )
        c.reasons = [self.pick(reasons)]
        if full and rng.random() < 0.3:
            second = self.pick(REASONS_COUNSELLING)
            if second.split(".")[0] != c.reasons[0].split(".")[0]:
                c.reasons.append(second)
        serious = any(r.startswith(SERIOUS_PREFIXES) for r in c.reasons)
        if counselling:
            urgency = (
                {"non_critical": 35.0, "urgent": 45.0, "critical": 20.0}
                if serious
                else {"non_critical": 85.0, "urgent": 13.0, "critical": 2.0}
            )
        elif referral:
            urgency = {"non_critical": 50.0, "urgent": 38.0, "critical": 12.0}
        else:
            urgency = {"non_critical": 97.0, "urgent": 3.0}
        c.urgency = self.pick_from(urgency)
        if c.caller_type == "self" and all(b[1] in THIRD_PARTY for b in _bodies(c.reasons[0])):
            # Only an adult would tell this (a missing child, a parent's question): someone else called.
            c.caller_type, c.relationship = "about_child", self.pick(RELATIONSHIPS)
        c.actions = self.actions_for(c)
        c.summary_parts = self.summary_for(c)

    def pick_from(self, weights: dict[str, float]) -> str:
        """A weighted choice from a one-off table (not cached by identity)."""
        return str(_Picker(weights)(self.rng))

    def actions_for(self, c: DemoContact) -> list[str]:
        rng = self.rng
        actions: list[str] = []
        high = c.urgency in {Urgency.URGENT, Urgency.CRITICAL}
        if c.kind == Kind.INFORMATION:
            actions.append("information")
            if rng.random() < 0.4:
                actions.append("resources")
            return actions
        if c.kind == Kind.COUNSELLING or rng.random() < 0.7:
            actions.append("emotional_support")
        if rng.random() < (0.6 if c.kind == Kind.REFERRAL else 0.35):
            actions.append("information")
        if rng.random() < 0.2:
            actions.append("resources")
        if c.kind == Kind.REFERRAL or (high and rng.random() < 0.5) or rng.random() < 0.06:
            category = c.reasons[0].split(".")[0]
            actions.append(REFERRAL_FOR_CATEGORY.get(category, "referral_other"))
        if c.urgency == Urgency.CRITICAL and rng.random() < 0.4:
            actions.append("direct_intervention")
        abuse_material = {"violence.online_sexual_abuse", "online_harms.image_abuse"}
        if any(r in abuse_material for r in c.reasons) and rng.random() < 0.3:
            actions.append("csam_report")
        if rng.random() < (0.5 if high else 0.08):
            actions.append("follow_up")
        return list(dict.fromkeys(actions))

    def summary_for(self, c: DemoContact) -> list[str]:
        rng = self.rng
        english = c.language != "km" or (c.counsellor == "counsellor" and rng.random() < 0.4)
        lang = 1 if english else 0
        parts: list[str] = []
        if c.kind != Kind.INFORMATION:
            parts.append(rng.choice(OPENINGS[c.caller_type or "other"])[lang])
        bodies = _bodies(c.reasons[0])
        # A sentence told by someone else about a child does not follow "the child called".
        fitting = [b for b in bodies if c.caller_type != "self" or b[1] not in THIRD_PARTY]
        parts.append(rng.choice(fitting or bodies)[lang])
        if any(a.startswith("referral_") for a in c.actions):
            parts.append(CLOSINGS["referral"][lang])
        elif "emotional_support" in c.actions:
            parts.append(CLOSINGS["emotional_support"][lang])
        else:
            parts.append(CLOSINGS["information"][lang])
        if "follow_up" in c.actions:
            parts.append(CLOSINGS["follow_up"][lang])
        elif c.kind == Kind.COUNSELLING and rng.random() < 0.3:
            parts.append(CLOSINGS["call_back"][lang])
        return parts


def _bodies(code: str) -> list[Phrase]:
    """Summary sentences for a reason: its own, else its category's."""
    return BODIES.get(code) or BODIES.get(code.split(".")[0]) or BODIES["non_counselling"]


def generate_month(today: dt.date, tz: dt.tzinfo, *, seed: int = SEED) -> list[DemoContact]:
    """The month before `today` (local dates today-30 .. today-1), sorted by arrival."""
    return MonthGenerator(random.Random(seed), today, tz).build()


# --- Writing (through contacts' own service) -----------------------------------------------------


def demo_contacts_present() -> bool:
    return Contact.objects.filter(idempotency_key__startswith=KEY_PREFIX).exists()


def _finished(n: int, c: DemoContact, counsellor_id: uuid.UUID) -> FinishedContact:
    terms = {
        "caller_type": c.caller_type,
        "relationship": c.relationship,
        "gender": c.gender,
        "province": c.province,
        "region": c.region,
        "living_situation": c.living_situation,
        "disability": c.disability,
    }
    return FinishedContact(
        idempotency_key=f"{KEY_PREFIX}{n}",
        channel=c.channel,
        kind=c.kind,
        arrived_at=c.arrived_at,
        counsellor_id=counsellor_id,
        address=c.address,
        withheld=c.withheld,
        wait_seconds=c.wait_seconds,
        talk_seconds=c.talk_seconds,
        language=c.language,
        terms={name: code for name, code in terms.items() if code},
        reasons=c.reasons,
        actions=c.actions,
        vulnerable_groups=c.vulnerable_groups,
        age=c.age,
        age_over_25=c.age_over_25,
        urgency=c.urgency,
        summary_parts=c.summary_parts,
    )


def create_demo_contacts(*, today: dt.date | None = None, seed: int = SEED) -> int | None:
    """Write the demo month. Returns the number of contacts, or None if demo contacts exist."""
    today = today or timezone.localdate()
    tz = timezone.get_default_timezone()
    rng = random.Random(seed + 1)  # ids: reproducible, independent of the month's draws
    month = generate_month(today, tz, seed=seed)
    with transaction.atomic():
        if demo_contacts_present():
            return None
        staff = dict(Staff.objects.filter(username__in=DEMO_COUNSELLORS).values_list("username", "pk"))
        missing = sorted(set(DEMO_COUNSELLORS) - set(staff))
        if missing:
            raise DemoDataError(f"demo staff missing ({', '.join(missing)}): run seed_demo")
        try:
            return contacts_seed_finished(
                None,
                contacts=[_finished(n, c, staff[c.counsellor]) for n, c in enumerate(month, start=1)],
                action=AuditAction.DEMO_SEED_CONTACTS,
                detail={"days": DAYS},
                new_id=lambda: uuid.UUID(int=rng.getrandbits(128), version=4),
            )
        except ContactError as exc:
            raise DemoDataError(str(exc)) from exc
