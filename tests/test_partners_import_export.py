"""The directory as a spreadsheet. Export (CSV and XLSX) neutralises formulas; import reads the
file, reports line by line what it refuses and why, keeps the upload server-side, and adds the
good rows only when the uploader confirms — all or none, once."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable

import openpyxl
import pytest
from django.core.management import call_command
from django.test import Client

from helpline.accounts.models import Role, Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.contacts.models import Term, Vocabulary
from helpline.referrals.directory_io import IMPORT_KEPT, imports_forget
from helpline.referrals.jobs import PERIODIC
from helpline.referrals.models import Partner, PartnerImport
from tests.factories import persona
from tests.partner_factories import add_partner, upload

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]
HEADER = "name,name_km,services,provinces,genders,min_age,max_age,phone,email,emergency\n"


@pytest.fixture
def keeper(db: None) -> Staff:
    return persona(Role.CASE_MANAGER, username="keeper")


def csv_rows(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # a byte-order mark: spreadsheets read the Khmer as Khmer
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_export_neutralises_formulas(keeper: Staff, client_for: ClientFor) -> None:
    add_partner(
        keeper, '=HYPERLINK("http://evil.example","Click")', name_km="ផ្ទះសុវត្ថិភាព", contact_person="+1 555"
    )
    add_partner(keeper, "@SUM(A1)", services=("food", "shelter"), contact_person="-2+3")
    response = client_for(keeper).get("/partners/export.csv")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
    rows = {r["name"]: r for r in csv_rows(response.content)}
    assert set(rows) == {'\'=HYPERLINK("http://evil.example","Click")', "'@SUM(A1)"}
    assert rows["'@SUM(A1)"]["contact_person"] == "'-2+3" and set(
        rows["'@SUM(A1)"]["services"].split("; ")
    ) == {"shelter", "food"}
    khmer = rows['\'=HYPERLINK("http://evil.example","Click")']
    assert khmer["name_km"] == "ផ្ទះសុវត្ថិភាព" and khmer["contact_person"] == "'+1 555"
    assert khmer["assessment"] == "approved" and khmer["suspended"] == "no"
    event = AuditEvent.objects.get(action=AuditAction.PARTNER_EXPORT)
    assert event.actor == keeper and event.detail["format"] == "csv"


def test_xlsx_export_stores_every_text_as_text(keeper: Staff, client_for: ClientFor) -> None:
    add_partner(keeper, "=1+1", opening_hours="=cmd|' /C calc'!A0")
    response = client_for(keeper).get("/partners/export.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    row = {header[i]: c for i, c in enumerate(sheet[2])}
    for name in ("name", "opening_hours"):
        assert row[name].data_type == "s", name  # never a formula cell
    # Typed as text, the cells keep the words exactly: no apostrophe before them.
    assert row["name"].value == "=1+1" and row["opening_hours"].value == "=cmd|' /C calc'!A0"
    assert AuditEvent.objects.get(action=AuditAction.PARTNER_EXPORT).detail["format"] == "xlsx"


def test_export_is_for_those_who_keep_the_directory(client_for: ClientFor, keeper: Staff) -> None:
    counsellor = persona(Role.COUNSELLOR, username="c")
    assert client_for(counsellor).get("/partners/export.csv").status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.PARTNER_EXPORT).exists()


BAD_AND_GOOD = (
    HEADER
    + "Kampot Youth Centre,មជ្ឈមណ្ឌលយុវជនកំពត,shelter; Food,kampot,,10,24,012 345 678,info@kyc.example,yes\n"
    + "Unknown Service Org,,teleportation,phnom_penh,,,,,,no\n"  # line 3
    + "Nowhere Org,,shelter,atlantis,,,,,,\n"  # line 4
    + "Backwards Ages,,ទីជម្រកសុវត្ថិភាព,phnom_penh,,18,6,,,\n"  # line 5: a Khmer label, but ages upside down
    + "Bad Mail,,legal_advice,,,,,,not-an-email,\n"  # line 6
    + "Bad Phone,,legal_advice,,,,,12,,\n"  # line 7
    + "Safe Haven Phnom Penh,,shelter,phnom_penh,,,,,,\n"  # line 8: already in the directory
    + "Kampot Youth Centre,,shelter,kampot,,,,,,\n"  # line 9: twice in the file
    + ",,,,,,,,,\n"  # an empty row: left out
    + "Legal Aid Siem Reap,,Legal advice,Siem Reap,female,,,+85517888999,,no\n"  # line 11
)


def uploaded(client: Client, text: str | bytes, name: str = "partners.csv") -> PartnerImport:
    data = text.encode() if isinstance(text, str) else text
    response = client.post("/partners/import/", {"file": upload(name, data)})
    assert response.status_code == 302, response.content.decode()[:800]
    return PartnerImport.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])


def test_an_import_reports_each_refused_row_and_adds_the_good_ones_only_when_confirmed(
    keeper: Staff, client_for: ClientFor
) -> None:
    add_partner(keeper, "Safe Haven Phnom Penh")
    before = Partner.objects.count()
    client = client_for(keeper)
    batch = uploaded(client, BAD_AND_GOOD)
    assert Partner.objects.count() == before  # nothing added yet
    refused = {row["line"]: " ".join(row["reasons"]) for row in batch.refused}
    assert set(refused) == {3, 4, 5, 6, 7, 8, 9}
    assert "teleportation" in refused[3] and "atlantis" in refused[4]
    assert "max_age" in refused[5] and "email" in refused[6] and "phone" in refused[7]
    assert "already in the directory" in refused[8] and "line 2" in refused[9]
    assert [row["line"] for row in batch.accepted] == [2, 11]

    report = client.get(f"/partners/import/{batch.pk}/")
    assert report.status_code == 200
    body = report.content.decode()
    assert "teleportation" in body and "Kampot Youth Centre" in body and "atlantis" in body

    assert client.post(f"/partners/import/{batch.pk}/confirm/").status_code == 302
    kampot = Partner.objects.get(name="Kampot Youth Centre")
    assert kampot.name_km == "មជ្ឈមណ្ឌលយុវជនកំពត" and kampot.emergency and kampot.phone == "+85512345678"
    assert sorted(t.code for t in kampot.services.all()) == ["food", "shelter"]
    assert (kampot.min_age, kampot.max_age) == (10, 24) and kampot.assessment == "not_assessed"
    legal = Partner.objects.get(name="Legal Aid Siem Reap")
    assert [t.code for t in legal.provinces.all()] == ["siem_reap"] and [
        t.code for t in legal.genders.all()
    ] == ["female"]
    assert "legal" in legal.search_text  # searchable at once
    assert Partner.objects.count() == before + 2
    event = AuditEvent.objects.get(action=AuditAction.PARTNER_IMPORT)
    assert event.detail["created"] == "2" and event.detail["refused"] == "7"
    # Confirming again adds nothing.
    assert client.post(f"/partners/import/{batch.pk}/confirm/").status_code == 409
    assert Partner.objects.count() == before + 2


def test_an_upload_is_confirmed_only_by_its_uploader_and_only_while_fresh(
    keeper: Staff, client_for: ClientFor
) -> None:
    batch = uploaded(client_for(keeper), HEADER + "Only Row,,shelter,,,,,,,\n")
    other = persona(Role.SUPERVISOR, username="other")
    assert client_for(other).get(f"/partners/import/{batch.pk}/").status_code == 404
    assert client_for(other).post(f"/partners/import/{batch.pk}/confirm/").status_code == 404
    PartnerImport.objects.filter(pk=batch.pk).update(uploaded_at=batch.uploaded_at - dt.timedelta(hours=2))
    assert client_for(keeper).post(f"/partners/import/{batch.pk}/confirm/").status_code == 409
    assert not Partner.objects.filter(name="Only Row").exists()


def test_a_confirmation_that_no_longer_holds_adds_nothing(keeper: Staff, client_for: ClientFor) -> None:
    client = client_for(keeper)
    batch = uploaded(client, HEADER + "First New,,shelter,,,,,,,\nSecond New,,food,,,,,,,\n")
    add_partner(keeper, "Second New")  # added by someone else meanwhile
    response = client.post(f"/partners/import/{batch.pk}/confirm/")
    assert response.status_code == 409 and "Second New" in response.content.decode()
    assert not Partner.objects.filter(name="First New").exists()  # all or none
    assert not AuditEvent.objects.filter(action=AuditAction.PARTNER_IMPORT).exists()


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"\xff\xfeN\x00a\x00", "utf16.csv"),  # not UTF-8
        (b"PK\x03\x04 broken", "broken.xlsx"),
        (b"title,where\nA,B\n", "nocolumns.csv"),  # no name or services column
        (b"", "empty.csv"),
    ],
)
def test_an_unreadable_file_is_refused_as_a_whole(
    data: bytes, name: str, keeper: Staff, client_for: ClientFor
) -> None:
    response = client_for(keeper).post("/partners/import/", {"file": upload(name, data)})
    assert response.status_code == 400
    assert not PartnerImport.objects.exists()


def test_an_exported_xlsx_imports_back(keeper: Staff, client_for: ClientFor) -> None:
    add_partner(keeper, "=Formula Name", name_km="ឈ្មោះ", services=("shelter", "food"), min_age=5, max_age=17)
    client = client_for(keeper)
    exported = client.get("/partners/export.xlsx").content
    book = openpyxl.load_workbook(io.BytesIO(exported))
    sheet = book.active
    sheet.cell(row=2, column=1).value = "'=Formula Name (copy)"  # as our export writes a neutralised text
    out = io.BytesIO()
    book.save(out)
    batch = uploaded(client, out.getvalue(), "partners.xlsx")
    assert batch.refused == [] and [r["name"] for r in batch.accepted] == ["=Formula Name (copy)"]
    assert client.post(f"/partners/import/{batch.pk}/confirm/").status_code == 302
    copy = Partner.objects.get(name="=Formula Name (copy)")
    assert (copy.min_age, copy.max_age, copy.name_km) == (5, 17, "ឈ្មោះ")


def test_old_uploads_are_forgotten_by_the_scheduler_not_by_someone_elses_upload(
    keeper: Staff, client_for: ClientFor
) -> None:
    client = client_for(keeper)
    old = uploaded(client, HEADER + "Old Shelter,,shelter,,,,,,,\n")
    PartnerImport.objects.filter(pk=old.pk).update(uploaded_at=old.uploaded_at - IMPORT_KEPT * 2)
    fresh = uploaded(client, HEADER + "New Shelter,,shelter,,,,,,,\n")
    assert PartnerImport.objects.filter(pk=old.pk).exists()  # the upload's request did no sweeping
    assert any(job.function is imports_forget for job in PERIODIC)
    assert imports_forget() == 1
    assert list(PartnerImport.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_the_search_words_command_rebuilds_the_partners_too(keeper: Staff) -> None:
    partner = add_partner(keeper, "Kampot Youth Centre")
    Partner.objects.filter(pk=partner.pk).update(search_text="stale")
    out = io.StringIO()
    call_command("rebuild_search_text", stdout=out)
    partner.refresh_from_db()
    assert partner.search_text != "stale" and "kampot" in partner.search_text
    assert "partners: 1" in out.getvalue()


def test_only_signed_in_staff_may_send_an_upload_past_the_usual_body_limit(
    keeper: Staff, client_for: ClientFor
) -> None:
    """An upload address lets a larger body through for the staff who use it; a stranger's body
    is held to the usual limit before anything reads it."""
    big = (HEADER + "Shelter,,shelter,,,,,,,\n" * 60_000).encode()
    assert 1_000_000 < len(big) < 2_000_000
    stranger = Client().post("/partners/import/", {"file": upload("partners.csv", big)})
    assert stranger.status_code == 413
    staff = client_for(keeper).post("/partners/import/", {"file": upload("partners.csv", big)})
    assert staff.status_code != 413


def test_direction_marks_and_overrides_are_taken_out_of_imported_cells(
    keeper: Staff, client_for: ClientFor
) -> None:
    client = client_for(keeper)
    batch = uploaded(client, HEADER + "Safe\u202eHaven\u2066 Shelter\u200f,ផ្ទះ\u200bសុវត្ថិភាព,shelter,,,,,,,\n")
    assert [row["name"] for row in batch.accepted] == ["SafeHaven Shelter"]
    assert batch.accepted[0]["name_km"] == "ផ្ទះ\u200bសុវត្ថិភាព"  # Khmer's word space is kept


def test_the_import_report_names_services_and_provinces_not_their_codes(
    keeper: Staff, client_for: ClientFor
) -> None:
    client = client_for(keeper)
    batch = uploaded(client, HEADER + "Kampot Shelter,,shelter;medical_care,kampot,,,,,,\n")
    page = client.get(f"/partners/import/{batch.pk}/").content.decode()
    table = page.split("import-accepted")[1].split("</table>")[0]
    shelter = Term.objects.get(vocabulary=Vocabulary.SERVICE, code="shelter")
    kampot = Term.objects.get(vocabulary=Vocabulary.PROVINCE, code="kampot")
    assert shelter.label_en in table and kampot.label_en in table
    assert "medical_care" not in table and ">kampot<" not in table


def test_the_language_a_partner_reads_referrals_in_goes_out_and_comes_back(
    keeper: Staff, client_for: ClientFor
) -> None:
    english = add_partner(keeper, "Bridge International")
    Partner.objects.filter(pk=english.pk).update(language="en")
    client = client_for(keeper)
    exported = {row["name"]: row for row in csv_rows(client.get("/partners/export.csv").content)}
    assert exported["Bridge International"]["language"] == "en"

    batch = uploaded(
        client,
        "name,services,language\n"
        "Reads English,shelter,English\n"
        "Reads Khmer,shelter,ខ្មែរ\n"
        "Says nothing,shelter,\n"
        "Reads French,shelter,fr\n",
    )
    assert [row["line"] for row in batch.refused] == [5]
    assert "language" in " ".join(batch.refused[0]["reasons"])
    assert client.post(f"/partners/import/{batch.pk}/confirm/").status_code == 302
    read_in = dict(
        Partner.objects.filter(name__in=["Reads English", "Reads Khmer", "Says nothing"]).values_list(
            "name", "language"
        )
    )
    assert read_in == {"Reads English": "en", "Reads Khmer": "km", "Says nothing": "km"}
