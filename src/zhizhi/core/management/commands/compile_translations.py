"""Compile .po catalogues to .mo with polib, so neither the demo nor CI needs the gettext binaries."""

from pathlib import Path

import polib
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile every django.po under LOCALE_PATHS and the apps' locale folders to .mo (pure Python, no msgfmt)."

    def handle(self, *args, **options):
        compiled = 0
        roots = [Path(p) for p in settings.LOCALE_PATHS]
        roots += [
            Path(app.path) / "locale" for app in apps.get_app_configs() if app.name.startswith("zhizhi.")
        ]
        for root in roots:
            for po_path in Path(root).glob("*/LC_MESSAGES/*.po"):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                catalogue = polib.pofile(str(po_path))
                for entry in catalogue.fuzzy_entries():
                    entry.msgstr = ""
                catalogue.save_as_mofile(str(mo_path))
                compiled += 1
        if options["verbosity"] > 1:
            self.stdout.write(f"compiled {compiled} catalogue(s)")
