"""The demo month's tables: how contacts spread over hours, days, kinds, places and people (after
what Child Helpline Cambodia reports), and the generic, non-graphic sentences summaries are made of."""

from __future__ import annotations

from helpline.contacts.models import Kind

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
