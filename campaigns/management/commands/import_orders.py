from django.core.management.base import BaseCommand

from communityops.tabular import ImportCommand


class Command(ImportCommand, BaseCommand):
    help = "Import orders from a CSV or XLSX file (DESIGN.md, 'Stable interfaces'); see --help for the options."
    importer = "campaigns.importers.orders_import"
