"""Forms of the web UI. Field names are the wire names the services take, so a ``KontorError``'s
``field`` lands next to the input it is about; the services do the real validation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from kontor.crm.enums import ActivityType
from kontor.crm.models import Communication, Company, Contact, LeadStatus, Pipeline, Source

MULTILINE_HELP = _("One per line.")


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").replace(",", "\n").replace(";", "\n").splitlines() if line.strip()]


def comm_payload(text: str, existing: list[Communication] | None) -> list[Any]:
    """Phones/e-mails typed one per line; lines equal to a stored value keep that row (and its type)."""
    by_value = {c.value: c for c in existing or []}
    out: list[Any] = []
    for line in _lines(text):
        row = by_value.pop(line, None)
        out.append({"id": row.pk, "value": row.value, "type": row.value_type} if row else line)
    return out


def user_choices() -> list[tuple[str, str]]:
    users = get_user_model().objects.filter(is_active=True).order_by("first_name", "last_name", "username")
    return [("", "—")] + [(str(u.pk), u.display_name) for u in users]


def source_choices() -> list[tuple[str, str]]:
    return [("", "—")] + [(s.code, s.name) for s in Source.objects.order_by("sort", "code")]


def stage_choices() -> list[tuple[str, Any]]:
    """Stages grouped by pipeline: picking a stage also picks its pipeline."""
    groups: list[tuple[str, Any]] = []
    for pipeline in Pipeline.objects.prefetch_related("stages").order_by("sort", "id"):
        groups.append((pipeline.name, [(str(s.pk), s.name) for s in pipeline.stages.all()]))
    return groups


class LookupWidget(forms.HiddenInput):
    """A hidden id with a search box beside it (htmx search of contacts or companies)."""

    template_name = "web/widgets/lookup.html"

    def __init__(self, kind: str, attrs=None):
        super().__init__(attrs)
        self.kind = kind

    def id_for_label(self, id_):
        return f"{id_}_search" if id_ else id_  # the label names the visible search box

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        label = ""
        model = Contact if self.kind == "contacts" else Company
        if value not in (None, ""):
            obj = model.objects.filter(pk=value).first()
            label = str(obj) if obj else ""
        context["widget"].update({"kind": self.kind, "label": label})
        return context


class LookupField(forms.IntegerField):
    def __init__(self, kind: str, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", LookupWidget(kind))
        super().__init__(**kwargs)


class CommFieldsMixin(forms.Form):
    phones = forms.CharField(label=_("Phones"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=MULTILINE_HELP)
    emails = forms.CharField(label=_("E-mails"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=MULTILINE_HELP)


class AssignedMixin(forms.Form):
    assigned_id = forms.ChoiceField(label=_("Responsible"), required=False, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_id"].choices = user_choices()


class LeadForm(CommFieldsMixin, AssignedMixin):
    title = forms.CharField(label=_("Title"), max_length=255, required=False)
    name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    company_title = forms.CharField(label=_("Company name"), max_length=255, required=False)
    status_id = forms.ChoiceField(label=_("Status"), choices=())
    source = forms.ChoiceField(label=_("Source"), required=False, choices=())
    opportunity = forms.DecimalField(label=_("Amount"), required=False, min_value=0, max_digits=18,
                                     decimal_places=2)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="EUR")
    comments = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    field_order = ["title", "name", "last_name", "company_title", "phones", "emails", "status_id", "source",
                   "opportunity", "currency", "assigned_id", "comments"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status_id"].choices = [
            (s.code, s.name) for s in LeadStatus.objects.exclude(semantic="success").order_by("sort", "code")
        ]
        self.fields["source"].choices = source_choices()

    def clean(self):
        data = super().clean()
        if not any(data.get(k) for k in ("title", "name", "last_name", "company_title")):
            self.add_error("title", _("Enter a title, a name or a company name."))
        return data


class DealForm(AssignedMixin):
    title = forms.CharField(label=_("Title"), max_length=255)
    stage_id = forms.ChoiceField(label=_("Pipeline and stage"), choices=())
    opportunity = forms.DecimalField(label=_("Amount"), required=False, min_value=0, max_digits=18,
                                     decimal_places=2)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="EUR")
    contact_id = LookupField("contacts", label=_("Contact"))
    company_id = LookupField("companies", label=_("Company"))
    source = forms.ChoiceField(label=_("Source"), required=False, choices=())
    comments = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    field_order = ["title", "stage_id", "opportunity", "currency", "contact_id", "company_id", "source",
                   "assigned_id", "comments"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage_id"].choices = stage_choices()
        self.fields["source"].choices = source_choices()


class ContactForm(CommFieldsMixin, AssignedMixin):
    name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    post = forms.CharField(label=_("Position"), max_length=255, required=False)
    company_id = LookupField("companies", label=_("Company"))
    comments = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    field_order = ["name", "last_name", "post", "company_id", "phones", "emails", "assigned_id", "comments"]

    def clean(self):
        data = super().clean()
        if not (data.get("name") or data.get("last_name")):
            self.add_error("name", _("Enter a first or a last name."))
        return data


class CompanyForm(CommFieldsMixin, AssignedMixin):
    title = forms.CharField(label=_("Company name"), max_length=255)
    industry = forms.CharField(label=_("Industry"), max_length=100, required=False)
    comments = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    field_order = ["title", "industry", "phones", "emails", "assigned_id", "comments"]


class ActivityForm(forms.Form):
    type = forms.ChoiceField(label=_("Type"), choices=ActivityType.choices, initial=ActivityType.CALL)
    subject = forms.CharField(label=_("Subject"), max_length=255)
    deadline = forms.DateTimeField(label=_("Deadline"), required=False,
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                              format="%Y-%m-%dT%H:%M"),
                                   input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"])
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ConvertForm(forms.Form):
    """Manual conversion of a lead (classic mode)."""

    create_deal = forms.BooleanField(label=_("Create a deal"), required=False, initial=True)
    stage_id = forms.ChoiceField(label=_("Pipeline and stage"), choices=(), required=False)
    contact = forms.ChoiceField(label=_("Contact"), choices=(), initial="create")
    company = forms.ChoiceField(label=_("Company"), choices=(), initial="create")
    keep_open_activities = forms.BooleanField(label=_("Do not close activities after conversion"),
                                              required=False, initial=True)

    def __init__(self, *args, lead=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage_id"].choices = stage_choices()
        contact_choices = [("create", _("Create a new contact")), ("none", _("No contact"))]
        if lead is not None and lead.contact_id:
            contact_choices.insert(0, (str(lead.contact_id), _("Existing: %(name)s") % {"name": lead.contact}))
            self.fields["contact"].initial = str(lead.contact_id)
        company_choices = [("create", _("Create a new company")), ("none", _("No company"))]
        if lead is not None and lead.company_id:
            company_choices.insert(0, (str(lead.company_id), _("Existing: %(name)s") % {"name": lead.company}))
            self.fields["company"].initial = str(lead.company_id)
        elif lead is not None and not lead.company_title:
            self.fields["company"].initial = "none"
        self.fields["contact"].choices = contact_choices
        self.fields["company"].choices = company_choices


class SwitchToSimpleForm(forms.Form):
    """The wizard's options for classic → simple (the seed's: pipeline, customers, open activities)."""

    PIPELINE_NEW = "new"

    pipeline = forms.ChoiceField(label=_("Pipeline for the deals"), choices=())
    new_pipeline_name = forms.CharField(label=_("Name of the new pipeline"), max_length=255, required=False)
    create_contacts = forms.BooleanField(label=_("Create contacts"), required=False, initial=True)
    create_companies = forms.BooleanField(label=_("Create companies"), required=False, initial=True)
    keep_open_activities = forms.BooleanField(label=_("Keep the leads' open activities"), required=False,
                                              initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(p.pk), p.name) for p in Pipeline.objects.order_by("sort", "id")]
        self.fields["pipeline"].choices = [*choices, (self.PIPELINE_NEW, _("A new pipeline…"))]
        default = Pipeline.objects.filter(is_default=True).first()
        if default:
            self.fields["pipeline"].initial = str(default.pk)

    def clean(self):
        data = super().clean()
        if data.get("pipeline") == self.PIPELINE_NEW and not (data.get("new_pipeline_name") or "").strip():
            self.add_error("new_pipeline_name", _("Enter a name for the new pipeline."))
        return data


class SimpleSettingsForm(forms.Form):
    pipeline_id = forms.ChoiceField(label=_("Pipeline for new deals"), choices=())
    create_company = forms.BooleanField(label=_("Also create a company from an inquiry with a company name"),
                                        required=False)
    match_existing_customers = forms.BooleanField(
        label=_("Link inquiries to existing customers (same phone or e-mail)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pipeline_id"].choices = [(str(p.pk), p.name) for p in Pipeline.objects.order_by("sort", "id")]


class WebFormSettingsForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    slug = forms.SlugField(label=_("Address"), max_length=80,
                           help_text=_("Letters, digits and hyphens; the form is published at /forms/<address>/."))
    heading = forms.CharField(label=_("Heading"), max_length=200, required=False)
    success_message = forms.CharField(label=_("Thank-you message"), max_length=500, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class PublicInquiryForm(forms.Form):
    """What a visitor fills in. ``website`` is a honeypot: hidden from people, filled by bots."""

    name = forms.CharField(label=_("Your name"), max_length=200)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    email = forms.EmailField(label=_("E-mail"), max_length=254, required=False)
    company = forms.CharField(label=_("Company"), max_length=255, required=False)
    message = forms.CharField(label=_("Message"), max_length=5000, required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))
    website = forms.CharField(label=_("Leave this field empty"), required=False,
                              widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))
    token = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        data = super().clean()
        if not (data.get("phone") or data.get("email")) and not self.errors.get("email"):
            self.add_error("phone", _("Enter a phone number or an e-mail address so we can reach you."))
        return data
