"""The import upload and its confirmation."""

from pathlib import Path

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from . import registry

IMPORT_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=registry.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or GB18030, as Excel saves it) or XLSX, with a header row."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(IMPORT_SUFFIXES)}),
    )
    skip_invalid = forms.BooleanField(
        label=_("Skip invalid rows"),
        required=False,
        help_text=_("Import the valid rows and list the others; otherwise one bad row stops the import."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in IMPORT_SUFFIXES:
            raise forms.ValidationError(
                _("Upload a CSV or XLSX file (%(suffixes)s).") % {"suffixes": ", ".join(IMPORT_SUFFIXES)}
            )
        if not upload.size:
            raise forms.ValidationError(_("The file is empty."))
        if upload.size > settings.IMPORT_MAX_FILE_BYTES:  # no more was stored (imports.uploads)
            raise forms.ValidationError(
                _("The file is larger than %(limit)s, the largest accepted (IMPORT_MAX_FILE_BYTES).")
                % {"limit": filesizeformat(settings.IMPORT_MAX_FILE_BYTES)}
            )
        return upload


class ImportConfirmForm(forms.Form):
    skip_invalid = forms.BooleanField(label=_("Skip invalid rows"), required=False)
