"""`manage.py load_demo`: the seed's story as demo data (see the demo app)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from demo import loader
from demo.story import DEFAULT_SEED, demo_logins


class Command(BaseCommand):
    help = (
        "Load the demo data: a Sichuan B2B pharmacy platform's members, groups, codebook, campaigns and "
        "8 weeks of orders, plus one login per role. Does nothing when data already exists, unless --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Random seed (same seed, same data).")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete every member, group, campaign and order (and the demo users) first, then load.",
        )
        parser.add_argument(
            "--noinput", "--no-input", action="store_false", dest="interactive", help="Do not ask before --reset."
        )
        parser.add_argument(
            "--now",
            help="Pretend it is this instant (ISO 8601 with offset), for reproducible data; default: now.",
        )
        parser.add_argument("--logins", action="store_true", help="Only print the demo logins, load nothing.")

    def handle(self, *args, seed, reset, interactive, now, logins, **options):
        if logins:
            self.print_logins()
            return
        instant = None
        if now:
            instant = parse_datetime(now)
            if instant is None or instant.tzinfo is None:
                raise CommandError(f"--now {now!r}: give an ISO 8601 date and time with an offset (…+08:00).")
            instant = instant.astimezone(dt.UTC)

        if loader.demo_data_exists():
            if not reset:
                self.stdout.write("Data already loaded; nothing to do (use --reset to delete it and load again).")
                return
            if interactive:
                try:
                    answer = input("This deletes every member, group, campaign and order. Type 'yes' to continue: ")
                except EOFError:  # no terminal to ask (a script, a pipe)
                    raise CommandError("Reset needs a 'yes': run it in a terminal or pass --noinput.") from None
                if answer.strip().lower() != "yes":
                    raise CommandError("Reset cancelled.")
            deleted = loader.demo_reset()
            self.stdout.write(f"Deleted {sum(deleted.values())} rows.")

        self.stdout.write(f"Loading the demo data (seed {seed})…")
        loaded = loader.demo_load(seed=seed, now=instant, log=lambda line: self.stderr.write(line))
        for line in loader.demo_summary(loaded):
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.print_logins()

    def print_logins(self):
        self.stdout.write("Logins (username / password):")
        for user in demo_logins():
            self.stdout.write(f"  {user.role.label:<24} {user.username} / {user.password}")
