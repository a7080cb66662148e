"""Taking in an inquiry (``inquiry_accept``): the checks on what it carries, which the surviving mutants
showed untested (docs/mutation.md). What a web form or an integration sees: the refusal (message, field)
with nothing written, or the record made from the inquiry.
"""

from __future__ import annotations

import pytest

from kontor.core.errors import ErrorCode, KontorError
from kontor.crm.enums import EntityType
from kontor.crm.models import Communication, Contact, Deal, Lead
from kontor.modes.services import inquiry_accept

pytestmark = pytest.mark.django_db

NEEDS = "an inquiry needs a title, a name, a company, a phone or an e-mail"


def _refused(data) -> KontorError:
    with pytest.raises(KontorError) as err:
        inquiry_accept(actor=None, data=data)
    return err.value


def _nothing_written() -> None:
    assert (Lead.objects.count(), Deal.objects.count(), Contact.objects.count()) == (0, 0, 0)


@pytest.fixture(params=["classic", "simple"])
def mode(request, db):
    from .conftest import set_mode

    set_mode(request.param)
    return request.param


@pytest.mark.parametrize("data", [["name", "Anna"], "Anna", None])
def test_an_inquiry_that_is_no_object_is_refused_saying_so(mode, data):
    err = _refused(data)
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, "the inquiry must be an object", None)
    _nothing_written()


@pytest.mark.parametrize("data", [{}, {"title": "  ", "name": "", "phones": [], "emails": []},
                                  {"second_name": "Maria", "comments": "Bitte zurückrufen", "source": "web"}])
def test_an_inquiry_naming_no_one_and_nothing_is_refused(mode, data):
    err = _refused(data)
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, NEEDS, "name")
    _nothing_written()


@pytest.mark.parametrize("data", [{"title": "Dach"}, {"name": "Anna"}, {"last_name": "Muster"},
                                  {"company_title": "Muster GmbH"}, {"phones": ["030 1234567"]},
                                  {"emails": ["anna@example.de"]}])
def test_any_one_of_title_name_company_phone_or_e_mail_is_enough(mode, data):
    result = inquiry_accept(actor=None, data=data)
    made = result.lead if mode == "classic" else result.deal
    assert made is not None and made.pk
    assert result.mode == mode


@pytest.mark.parametrize(("data", "title"), [({"phones": ["030 1234567"]}, "030 1234567"),
                                             ({"emails": [" anna@example.de"]}, "anna@example.de")])
def test_a_lead_of_only_a_phone_or_e_mail_is_titled_with_it(classic, data, title):
    # lead_create refused it ("title is required") though the inquiry was enough
    lead = inquiry_accept(actor=None, data=data).lead
    assert Lead.objects.get(pk=lead.pk).title == title


@pytest.mark.parametrize("name", ["name", "second_name", "last_name"])
def test_a_name_part_holds_100_characters(mode, name):
    data = {"title": "Anfrage", name: "x" * 100}
    inquiry_accept(actor=None, data=data)
    err = _refused({"title": "Anfrage", name: "x" * 101})
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, f"{name} is longer than 100 characters", name)


@pytest.mark.parametrize("name", ["title", "company_title"])
def test_a_title_holds_255_characters(mode, name):
    err = _refused({"name": "Anna", name: "x" * 256})
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, f"{name} is longer than 255 characters", name)
    _nothing_written()


@pytest.mark.parametrize("name", ["title", "company_title", "name", "second_name", "last_name", "comments",
                                  "source_description"])
def test_a_text_that_is_no_text_is_refused_naming_its_field(mode, name):
    err = _refused({"title": "Anfrage", name: 42} if name != "title" else {"name": "Anna", "title": 42})
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, f"{name} must be a string", name)
    _nothing_written()


def test_comments_and_the_source_description_have_no_length_limit(mode):
    comments, described = "Bitte zurückrufen. " * 1000, "Formular Dachsanierung " * 500  # as pasted e-mails are
    result = inquiry_accept(actor=None, data={"title": "Anfrage", "comments": comments,
                                              "source_description": described})
    if mode == "classic":
        lead = Lead.objects.get(pk=result.lead.pk)
        assert (lead.comments, lead.source_description) == (comments.strip(), described.strip())
    else:  # a deal has no source description: it follows the comments
        assert Deal.objects.get(pk=result.deal.pk).comments == f"{comments.strip()}\n\n{described.strip()}"


def test_a_lead_keeps_the_kind_of_each_phone_and_e_mail(classic):
    result = inquiry_accept(actor=None, data={"title": "Anfrage", "phones": [{"value": "0171 1234567",
                                                                               "type": "mobile"}, "030 1234567"],
                                              "emails": [{"value": "anna@example.de", "type": "HOME"}]})
    kinds = Communication.objects.filter(entity_type=EntityType.LEAD, entity_id=result.lead.pk).order_by("id")
    assert list(kinds.values_list("value", "value_type")) == [
        ("0171 1234567", "MOBILE"), ("030 1234567", "WORK"), ("anna@example.de", "HOME")]


# --- classic mode: a repeat lead is linked to the customer it comes from -----------------------------


@pytest.fixture
def known(admin_user):
    """A customer on file: Muster GmbH and its contact Anna (phone 030 1234567, anna@example.de)."""
    from kontor.crm.services import company_create, contact_create

    company = company_create(actor=admin_user, data={"title": "Muster GmbH"})
    contact = contact_create(actor=admin_user, data={"name": "Anna", "phones": ["030 1234567"],
                                                     "emails": ["anna@example.de"], "company_id": company.pk})
    return contact, company


def _lead(result) -> tuple:
    lead = Lead.objects.get(pk=result.lead.pk)
    return lead.contact_id, lead.company_id, result.contact_matched, result.company_matched


def test_a_repeat_lead_by_e_mail_alone_is_linked_to_the_contact_and_its_company(classic, known):
    contact, company = known
    result = inquiry_accept(actor=None, data={"title": "Wieder da", "emails": ["Anna@Example.de"]})
    assert _lead(result) == (contact.pk, company.pk, True, True)
    assert (result.contact, result.company) == (contact, company)


def test_a_repeat_lead_by_company_title_alone_is_linked_to_the_company(classic, known):
    _, company = known
    result = inquiry_accept(actor=None, data={"title": "Neu", "company_title": "muster gmbh"})
    assert _lead(result) == (None, company.pk, False, True)


def test_a_company_named_in_the_inquiry_wins_over_the_contacts_company(classic, known, admin_user):
    from kontor.crm.services import company_create

    contact, _ = known
    other = company_create(actor=admin_user, data={"title": "Bolt AG"})
    result = inquiry_accept(actor=None, data={"title": "Neu", "phones": ["+49 30 1234567"], "company_title": "Bolt AG"})
    assert _lead(result) == (contact.pk, other.pk, True, True)


def test_without_matching_a_repeat_inquiry_makes_an_unlinked_lead(known):
    from .conftest import set_mode

    set_mode("classic", match_existing_customers=False)
    result = inquiry_accept(actor=None, data={"title": "Neu", "phones": ["030 1234567"],
                                              "company_title": "Muster GmbH"})
    assert _lead(result) == (None, None, False, False)


def test_the_lead_is_made_by_whoever_took_in_the_inquiry(classic, admin_user):
    result = inquiry_accept(actor=admin_user, data={"title": "Anfrage"})
    assert Lead.objects.get(pk=result.lead.pk).created_by == admin_user


@pytest.mark.parametrize(("data", "title"), [
    ({"title": "Dach", "name": "Anna", "company_title": "Muster GmbH"}, "Dach"),
    ({"name": "Anna", "last_name": "Muster", "company_title": "Muster GmbH"}, "Anna Muster"),
    ({"company_title": "Muster GmbH", "phones": ["030 1234567"]}, "Muster GmbH"),
])
def test_a_lead_is_titled_with_the_inquirys_title_else_the_name_else_the_company(classic, data, title):
    assert Lead.objects.get(pk=inquiry_accept(actor=None, data=data).lead.pk).title == title


# --- simple mode: what the answer says about the company -------------------------------------------


def test_an_inquiry_without_a_company_answers_none_and_not_matched(simple):
    result = inquiry_accept(actor=None, data={"title": "Anfrage", "company_title": "Muster GmbH"})
    assert (result.company, result.company_matched) == (None, False)  # create_company is off by default


def test_without_matching_an_inquiry_makes_a_new_company_of_a_known_title(admin_user):
    from kontor.crm.models import Company
    from kontor.crm.services import company_create

    from .conftest import set_mode

    set_mode("simple", create_company=True, match_existing_customers=False)
    known = company_create(actor=admin_user, data={"title": "Muster GmbH"})
    result = inquiry_accept(actor=None, data={"title": "Anfrage", "company_title": "Muster GmbH"})
    assert result.company.pk != known.pk and result.company_matched is False
    assert Company.objects.filter(title="Muster GmbH").count() == 2


def test_a_company_made_from_an_inquiry_is_the_takers_or_the_assigned_users(admin_user, manager_user):
    from kontor.crm.models import Company

    from .conftest import set_mode

    set_mode("simple", create_company=True)
    own = inquiry_accept(actor=admin_user, data={"title": "Eins", "company_title": "Eins GmbH"})
    given = inquiry_accept(actor=admin_user, data={"title": "Zwei", "company_title": "Zwei GmbH",
                                                   "assigned_id": manager_user.pk})
    assert Company.objects.values_list("created_by_id", "assigned_id").get(pk=own.company.pk) == (
        admin_user.pk, admin_user.pk)
    assert Company.objects.values_list("created_by_id", "assigned_id").get(pk=given.company.pk) == (
        admin_user.pk, manager_user.pk)


def test_a_deal_without_a_title_is_named_after_the_person_and_the_company(simple):
    result = inquiry_accept(actor=None, data={"name": "Anna", "last_name": "Muster", "company_title": "Muster GmbH"})
    assert Deal.objects.get(pk=result.deal.pk).title == "Anna Muster – Muster GmbH"
