from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from payerdesk.core.errors import ServiceError


class Command(BaseCommand):
    help = (
        "Import a CMS Part D basic formulary file (pipe-delimited, columns by header name) "
        "with its drug name file keyed by RXCUI. The same file twice changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("formulary_file", type=Path)
        parser.add_argument("drug_names_file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        from payerdesk.priorauth.services.formulary import formulary_import

        formulary: Path = options["formulary_file"]
        names: Path = options["drug_names_file"]
        for path in (formulary, names):
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
        try:
            result = formulary_import(
                actor=None,
                formulary_name=formulary.name,
                formulary_content=formulary.read_bytes(),
                names_name=names.name,
                names_content=names.read_bytes(),
            )
        except ServiceError as error:
            raise CommandError(error.message) from None
        self.stdout.write(result.message)
