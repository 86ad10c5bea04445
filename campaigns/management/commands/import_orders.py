from django.core.management.base import BaseCommand

from imports.commands import ImportCommand


class Command(ImportCommand, BaseCommand):
    help = "Import orders from a CSV or XLSX file (docs/imports.md); see --help for the options."
    kind = "orders"
