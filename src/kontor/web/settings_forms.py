"""Forms of the settings screens (users, pipelines and stages, lead statuses, sources, directories).

As in ``kontor.web.forms``, field names are the services' names, so a ``KontorError`` lands next to
its input; the services do the real validation (codes, colours, semantics, "still in use")."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kontor.accounts.models import AccessRole, Department, Role
from kontor.crm.enums import Semantic

#: The colours offered beside the free colour input (Bitrix24's stage colours).
PALETTE = ("#39a8ef", "#2fc6f6", "#55d0e0", "#47e4c2", "#7bd500", "#ffa900", "#ff5752", "#fa7ffb", "#a8adb4")

#: Lead statuses and stages a user can add: "success" is the one converted status / a won stage.
STATUS_SEMANTICS = [(Semantic.PROCESS, Semantic.PROCESS.label), (Semantic.FAILURE, Semantic.FAILURE.label)]

#: The directories the settings screen lists, with their names.
DIRECTORY_LABELS = {
    "HONORIFIC": _("Salutations"),
    "CONTACT_TYPE": _("Contact types"),
    "COMPANY_TYPE": _("Company types"),
    "DEAL_TYPE": _("Deal types"),
    "INDUSTRY": _("Industries"),
    "EMPLOYEES": _("Number of employees"),
}


class ColorInput(forms.TextInput):
    input_type = "color"


class UserInviteForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False,
                             help_text=_("The link to set a password is sent here (if mail is set up)."))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MANAGER)


class UserRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    # A manager's custom role and department (Settings → Roles and departments; kontor.crm.access).
    access_role = forms.ModelChoiceField(label=_("Access to records"), required=False,
                                         queryset=AccessRole.objects.order_by("name"),
                                         empty_label=_("All records (built-in)"))
    department = forms.ModelChoiceField(label=_("Department"), required=False,
                                        queryset=Department.objects.order_by("name"),
                                        empty_label=_("No department"))


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class NameForm(forms.Form):
    """A pipeline: only its name."""

    name = forms.CharField(label=_("Name"), max_length=255)


class StageForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=255)
    color = forms.CharField(label=_("Colour"), widget=ColorInput, required=False, initial=PALETTE[0])
    semantic = forms.ChoiceField(label=_("Meaning"), choices=Semantic.choices, initial=Semantic.PROCESS)


class LeadStatusForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=255)
    code = forms.CharField(label=_("Code"), max_length=50, required=False,
                           help_text=_("Letters, digits, _ and -; made from the name when empty. It cannot change "
                                       "later."))
    color = forms.CharField(label=_("Colour"), widget=ColorInput, required=False, initial=PALETTE[0])
    semantic = forms.ChoiceField(label=_("Meaning"), choices=STATUS_SEMANTICS, initial=Semantic.PROCESS)

    def __init__(self, *args, status=None, **kwargs):
        super().__init__(*args, **kwargs)
        if status is not None:  # code and meaning are fixed once created
            del self.fields["code"]
            del self.fields["semantic"]


class CodeNameForm(forms.Form):
    """A source or a directory entry: a name and a code that stays."""

    name = forms.CharField(label=_("Name"), max_length=255)
    code = forms.CharField(label=_("Code"), max_length=50, required=False,
                           help_text=_("Letters, digits, _ and -; made from the name when empty. It cannot change "
                                       "later."))

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]


def code_from_name(name: str) -> str:
    """``"Messe 2026"`` → ``"MESSE_2026"`` (what a service accepts as a code)."""
    import re
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return (re.sub(r"[^A-Za-z0-9]+", "_", ascii_name).strip("_").upper() or "ITEM")[:50]
