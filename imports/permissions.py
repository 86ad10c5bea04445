"""The imports app's permission names."""

IMPORT_DATA = "imports.import_data"
IMPORT_ANY = "imports.import_any"  # other people's import jobs too (admins)
