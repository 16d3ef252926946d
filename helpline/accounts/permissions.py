"""Who may do what: roles and permissions as data, and API scopes.

Deny by default: a permission not listed for a role is refused. The table is tested cell by cell
(tests/test_permissions_table.py), so a change here must change the test too.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Role


class Permission(StrEnum):
    HOME = "home"
    CLIENT_DATA = "client_data"  # any page or API that shows a client record
    STATISTICS = "statistics"  # aggregate figures only
    AUDIT_BROWSE = "audit_browse"
    STAFF_MANAGE = "staff_manage"  # staff, roles, vetting records, policy versions
    API_TOKENS_MANAGE = "api_tokens_manage"
    CONSOLE = "console"  # take and record contacts
    CONTACT_SEARCH = "contact_search"  # every contact, not only one's own
    CONTACT_EXPORT = "contact_export"  # contacts with their summaries as a CSV or XLSX file
    CONTACT_CORRECT_ANY = "contact_correct_any"  # correct another counsellor's contact
    CALLER_REVEAL = "caller_reveal"  # see a caller's number, with a reason
    CALL_BACK = "call_back"  # call a missed caller back: shows the number, so CONSOLE and CALLER_REVEAL
    TAXONOMY_MANAGE = "taxonomy_manage"  # extend the code lists
    SERVICE_SETTINGS = "service_settings"  # opening hours, automatic replies, canned replies, blocks
    # read the children's words the triage review shows (a phrase's matches, the words behind a
    # counsellor's mark, the marks' export) and approve them for the corpus
    TRIAGE_REVIEW = "triage_review"
    WALLBOARD = "wallboard"  # the live floor
    ASSIGN = "assign"  # give or transfer a contact to a counsellor
    STAFF_EXTENSIONS = "staff_extensions"  # set the phone extension calls are credited and popped to
    CASES = "cases"  # open and work on cases (which ones: helpline.cases.selectors.cases_visible_to)
    CASE_SUPERVISE = "case_supervise"  # approve closures, sign breaks off, the supervision board
    CASE_ASSIGN = "case_assign"  # give a case to another counsellor or case manager
    PARTNERS = "partners"  # look partners up in the directory (to refer a case, to record a concern)
    PARTNERS_MANAGE = "partners_manage"  # add and change partners, assessments, visits; import and export
    PARTNER_UNSUSPEND = "partner_unsuspend"  # lift a suspension that a serious concern put on a partner
    ROTA = "rota"  # see the rota (the next 14 days, its gaps) and ask to swap one's own shift
    ROTA_MANAGE = "rota_manage"  # build the rota: shifts, patterns, who is on them, swaps, lapse warnings
    QUALITY_REVIEW = "quality_review"  # sample contacts and score them; every counsellor's trends
    DEBRIEFS = "debriefs"  # the list of debriefs (that one was asked for and held, never what was said)
    DEBRIEF_HOLD = "debrief_hold"  # hold a debrief and record it (its notes: the two people in it only)
    RETENTION_MANAGE = "retention_manage"  # how long each record type is kept; the runs' counts
    DATA_REQUESTS = "data_requests"  # serve a person's request to see or erase what is held about them
    FEEDBACK = "feedback"  # record feedback and complaints; see those one recorded or owns
    FEEDBACK_MANAGE = "feedback_manage"  # work every complaint (never one about oneself), own them


# What each permission gives, as a person reads it: a refusal on the audit page names the one the
# role lacked. The refusal itself keeps the code (the audit chain's hash covers it); a permission
# added without a name here fails tests/test_audit_permission_names.py.
PERMISSION_NAMES: dict[Permission, Promise] = {
    Permission.HOME: _("Home page"),
    Permission.CLIENT_DATA: _("Client records"),
    Permission.STATISTICS: _("Statistics"),
    Permission.AUDIT_BROWSE: _("Audit trail"),
    Permission.STAFF_MANAGE: _("Managing staff"),
    Permission.API_TOKENS_MANAGE: _("Managing integration tokens"),
    Permission.CONSOLE: _("Console"),
    Permission.CONTACT_SEARCH: _("Searching every contact"),
    Permission.CONTACT_EXPORT: _("Exporting contacts"),
    Permission.CONTACT_CORRECT_ANY: _("Correcting another counsellor's contact"),
    Permission.CALLER_REVEAL: _("Showing a caller's number"),
    Permission.CALL_BACK: _("Calling a caller back"),
    Permission.TAXONOMY_MANAGE: _("Managing code lists"),
    Permission.SERVICE_SETTINGS: _("Service settings"),
    Permission.TRIAGE_REVIEW: _("Reviewing risk triage"),
    Permission.WALLBOARD: _("Wallboard"),
    Permission.ASSIGN: _("Assigning contacts"),
    Permission.STAFF_EXTENSIONS: _("Phone extensions"),
    Permission.CASES: _("Cases"),
    Permission.CASE_SUPERVISE: _("Supervising cases"),
    Permission.CASE_ASSIGN: _("Assigning cases"),
    Permission.PARTNERS: _("Partner directory"),
    Permission.PARTNERS_MANAGE: _("Managing partners"),
    Permission.PARTNER_UNSUSPEND: _("Lifting a partner's suspension"),
    Permission.ROTA: _("Rota"),
    Permission.ROTA_MANAGE: _("Building the rota"),
    Permission.QUALITY_REVIEW: _("Quality review"),
    Permission.DEBRIEFS: _("Debriefs"),
    Permission.DEBRIEF_HOLD: _("Holding debriefs"),
    Permission.RETENTION_MANAGE: _("Retention periods"),
    Permission.DATA_REQUESTS: _("Requests about a person's records"),
    Permission.FEEDBACK: _("Feedback and complaints"),
    Permission.FEEDBACK_MANAGE: _("Working every complaint"),
}


_ALL_ROLES = frozenset(Role)

RULES: dict[Permission, frozenset[Role]] = {
    Permission.HOME: _ALL_ROLES,
    Permission.CLIENT_DATA: frozenset(
        {Role.COUNSELLOR, Role.VOLUNTEER, Role.SUPERVISOR, Role.CASE_MANAGER, Role.ADMINISTRATOR}
    ),
    Permission.STATISTICS: frozenset({Role.SUPERVISOR, Role.DATA_OFFICER, Role.ADMINISTRATOR}),
    Permission.AUDIT_BROWSE: frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR}),
    Permission.STAFF_MANAGE: frozenset({Role.ADMINISTRATOR}),
    Permission.API_TOKENS_MANAGE: frozenset({Role.ADMINISTRATOR}),
    Permission.CONSOLE: frozenset({Role.COUNSELLOR, Role.VOLUNTEER, Role.SUPERVISOR}),
    Permission.CONTACT_SEARCH: frozenset({Role.SUPERVISOR, Role.CASE_MANAGER, Role.ADMINISTRATOR}),
    # A file of contacts leaves the system, beyond audit, retention and erasure: made by those who
    # answer for the records, not by every counsellor or volunteer about the contacts they took.
    Permission.CONTACT_EXPORT: frozenset({Role.SUPERVISOR, Role.CASE_MANAGER}),
    Permission.CONTACT_CORRECT_ANY: frozenset({Role.SUPERVISOR}),
    Permission.CALLER_REVEAL: frozenset({Role.SUPERVISOR, Role.CASE_MANAGER}),
    # A call-back shows the child's number, which counsellors and volunteers never see (not even
    # for calls they answered): only someone at the console who may see numbers makes one.
    Permission.CALL_BACK: frozenset({Role.SUPERVISOR}),
    Permission.TAXONOMY_MANAGE: frozenset({Role.ADMINISTRATOR, Role.SUPERVISOR}),
    Permission.SERVICE_SETTINGS: frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR}),
    # Administrators keep the settings but never read a conversation: counts only.
    Permission.TRIAGE_REVIEW: frozenset({Role.SUPERVISOR}),
    Permission.WALLBOARD: frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR}),
    Permission.ASSIGN: frozenset({Role.SUPERVISOR}),
    # Supervisors run the floor and know who sits at which phone; administrators keep staff records.
    Permission.STAFF_EXTENSIONS: frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR}),
    # Administrators run the system and data officers count: neither reads a case file.
    Permission.CASES: frozenset({Role.COUNSELLOR, Role.VOLUNTEER, Role.SUPERVISOR, Role.CASE_MANAGER}),
    Permission.CASE_SUPERVISE: frozenset({Role.SUPERVISOR}),
    Permission.CASE_ASSIGN: frozenset({Role.SUPERVISOR, Role.CASE_MANAGER}),
    # Referrals are case work: whoever works on cases finds partners; the directory itself is kept by
    # those who assess and monitor partners, and only a supervisor lifts a suspension.
    Permission.PARTNERS: frozenset({Role.COUNSELLOR, Role.VOLUNTEER, Role.SUPERVISOR, Role.CASE_MANAGER}),
    Permission.PARTNERS_MANAGE: frozenset({Role.SUPERVISOR, Role.CASE_MANAGER}),
    Permission.PARTNER_UNSUSPEND: frozenset({Role.SUPERVISOR}),
    # Whoever may work a shift sees the rota; supervisors build it. Administrators see it to keep
    # staff records straight, data officers count coverage through the reports.
    Permission.ROTA: frozenset(
        {Role.COUNSELLOR, Role.VOLUNTEER, Role.SUPERVISOR, Role.CASE_MANAGER, Role.ADMINISTRATOR}
    ),
    Permission.ROTA_MANAGE: frozenset({Role.SUPERVISOR}),
    # A counsellor sees their own reviews at the console (Permission.CONSOLE); only supervisors review.
    Permission.QUALITY_REVIEW: frozenset({Role.SUPERVISOR}),
    Permission.DEBRIEFS: frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR}),
    Permission.DEBRIEF_HOLD: frozenset({Role.SUPERVISOR}),
    # Retention is the installation's policy, like backups: administrators set it (the page shows
    # counts only, no record). Supervisors, who erase on request, do not also shorten the schedule.
    Permission.RETENTION_MANAGE: frozenset({Role.ADMINISTRATOR}),
    # A request is weighed against child protection (open risk, legal hold, a disclosure made):
    # a supervisor's judgement, as every other safeguarding decision here.
    Permission.DATA_REQUESTS: frozenset({Role.SUPERVISOR}),
    # Whoever talks with children hears complaints and enters them; supervisors work them through
    # (a complaint may quote a child, so neither administrators nor data officers read them).
    Permission.FEEDBACK: frozenset({Role.COUNSELLOR, Role.VOLUNTEER, Role.SUPERVISOR, Role.CASE_MANAGER}),
    Permission.FEEDBACK_MANAGE: frozenset({Role.SUPERVISOR}),
}


def role_has(role: str, permission: Permission) -> bool:
    return role in RULES.get(permission, frozenset())


class Scope(StrEnum):
    """What an integration token may do. Each API operation names the scope it needs:

    | operation | scopes |
    | --- | --- |
    | GET /me | me |
    | GET /contacts, GET /contacts/{id} | contacts:read |
    | POST /contacts | contacts:write |
    | PATCH /contacts/{id} | contacts:write and contacts:read |
    | GET /callers/history | callers:read |
    | GET /cases, GET /cases/{id}, GET /cases/{id}/timeline | cases:read |
    | POST /cases, PATCH /cases/{id}, POST /cases/{id}/... | cases:write and cases:read |
    | GET /partners, GET /partners/{id} | partners:read |
    | POST /partners, PATCH /partners/{id}, POST /partners/{id}/concerns | partners:write and partners:read |
    | GET /referrals, GET /referrals/{id} | referrals:read |
    | POST /referrals, PATCH /referrals/{id} | referrals:write and referrals:read |
    | GET /reports/summary, GET /reports/chi | statistics:read |
    | GET /rota/shifts | rota:read |
    | GET /feedback | feedback:read |
    | POST /feedback, PATCH /feedback/{id} | feedback:write and feedback:read |

    A concern about a partner is recorded by a person (a serious one suspends referrals and names
    who started the suspension): a token holding the scopes is refused (403) there.

    PATCH needs contacts:read too, because it reads before it writes: it finds the contact among
    those the token may see, and answers with the whole contact as it now stands (a write-only
    token could otherwise read any contact by sending an empty change). A token that enters
    contacts (POST) sees only what it sent.
    """

    ME = "me"
    AUDIT_READ = "audit:read"
    CONTACTS_READ = "contacts:read"
    CONTACTS_WRITE = "contacts:write"
    CALLERS_READ = "callers:read"  # look a caller up by address; history shows only what contacts:read does
    CASES_READ = "cases:read"  # which cases: helpline.cases.selectors.cases_visible_to
    CASES_WRITE = "cases:write"  # writes answer with the case, so they need cases:read too
    PARTNERS_READ = "partners:read"  # the directory: no client data
    PARTNERS_WRITE = "partners:write"
    REFERRALS_READ = "referrals:read"  # referrals of the cases cases_visible_to lets the token's owner see
    REFERRALS_WRITE = "referrals:write"
    FEEDBACK_READ = "feedback:read"  # what the token's creator may see (feedback_visible_to)
    FEEDBACK_WRITE = "feedback:write"  # record feedback; only a person changes a complaint's course
    STATISTICS_READ = "statistics:read"  # aggregate figures only: no contact, no text
    ROTA_READ = "rota:read"  # shifts and who is on them: staff names, no client data
    EXTENSIONS_WRITE = "extensions:write"  # a PBX provisioning script sets staff extensions


SCOPE_CHOICES = [(s.value, s.value) for s in Scope]
