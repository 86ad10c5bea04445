"""The imports app's permission names."""

IMPORT_DATA = "imports.import_data"
