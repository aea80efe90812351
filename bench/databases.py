"""What every benchmark does before Django starts: its own settings and a fresh database."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import psycopg


def django_environment(database_url: str) -> None:
    """The development settings on `database_url`, without DEBUG (it would record every
    query in memory); set before Django is set up."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "payerdesk.settings.dev"
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("PAYERDESK_DATA_DIR", str(Path(__file__).resolve().parent.parent / "var"))


def recreate_database(database_url: str) -> None:
    """Drop the database `database_url` names and create it empty."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
