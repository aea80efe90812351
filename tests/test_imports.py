"""How the apps may depend on one another, checked over the source tree with `ast`.

- billing and priorauth use groups only through its public API, `payerdesk.groups.selectors`
  and `payerdesk.groups.services` (and modules under them); groups' models only inside
  `if TYPE_CHECKING:`, for type hints (foreign keys name them by string);
- no string in one app names another app's database table (SQL across apps goes
  through the owner's selectors); migrations are the owner's own;
- `core` imports no domain app; `edi` imports no Django.

There is no list of exceptions: a new dependency of this kind is a design change.
"""

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from django.apps import apps

SOURCE = Path(__file__).resolve().parents[1] / "src" / "payerdesk"
DOMAIN_APPS = ("billing", "groups", "priorauth", "accounts", "engagement")
GROUPS_CLIENTS = ("billing", "priorauth")
GROUPS_API = ("payerdesk.groups.selectors", "payerdesk.groups.services")
TABLE_OWNERS = ("billing", "core", "groups", "priorauth")


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _type_checking_blocks(tree: ast.Module) -> set[int]:
    """Ids of the import nodes inside `if TYPE_CHECKING:` blocks."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        test = node.test if isinstance(node, ast.If) else None
        named = isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"
        attribute = isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        if isinstance(node, ast.If) and (named or attribute):
            inside |= {id(child) for statement in node.body for child in ast.walk(statement)}
    return inside


def _imports(tree: ast.Module) -> Iterator[tuple[ast.stmt, str]]:
    """Every module an import statement brings in (a `from p import m` gives `p.m`, which
    is the module when `m` is one and harmless when `m` is a name inside `p`)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                yield node, f"{node.module}.{alias.name}"


def _groups_import_allowed(module: str, type_only: bool) -> bool:
    if any(_within(module, api) for api in GROUPS_API):
        return True
    return type_only and _within(module, "payerdesk.groups.models")


def _app_of(path: Path, root: Path) -> str | None:
    parts = path.relative_to(root).parts
    return parts[0] if len(parts) > 1 else None


def _strings(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Every string literal (f-strings' literal parts included), with its line."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def violations(root: Path, tables: dict[str, str]) -> list[str]:
    """Each broken rule, as "path:line: what"; `tables` maps table names to their app."""
    found: list[str] = []
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(tables))) + r")\b")
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.relative_to(root).parts:
            continue
        app = _app_of(path, root)
        where = path.relative_to(root)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        type_only = _type_checking_blocks(tree)
        for node, module in _imports(tree):
            line = f"{where}:{node.lineno}"
            allowed = _groups_import_allowed(module, id(node) in type_only)
            if app in GROUPS_CLIENTS and _within(module, "payerdesk.groups") and not allowed:
                found.append(f"{line}: {app} imports {module} (use groups' selectors/services)")
            if app == "core" and any(_within(module, f"payerdesk.{d}") for d in DOMAIN_APPS):
                found.append(f"{line}: core imports the domain app module {module}")
            if app == "edi" and _within(module, "django"):
                found.append(f"{line}: edi imports {module} (edi stands alone, without Django)")
        for lineno, text in _strings(tree):
            for table in pattern.findall(text):
                if tables[table] != app:
                    found.append(
                        f"{where}:{lineno}: {app or 'payerdesk'} names "
                        f"the {tables[table]} table {table}"
                    )
    return found


def project_tables() -> dict[str, str]:
    """Every table of the project's apps (many-to-many tables included), to its app."""
    return {
        model._meta.db_table: model._meta.app_label
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in TABLE_OWNERS
    }


def test_the_source_tree_keeps_the_dependency_rules():
    assert violations(SOURCE, project_tables()) == []


PLANTED = {
    "billing/listbills.py": (
        "from typing import TYPE_CHECKING\n"
        "from payerdesk.groups import selectors, services\n"
        "from payerdesk.groups.services import group_lock\n"
        "from payerdesk.groups.models import Coverage\n"  # 4: at run time
        "if TYPE_CHECKING:\n"
        "    from payerdesk.groups.models import Member\n"
        "SQL = 'SELECT id FROM groups_coverage c JOIN billing_listbill b'\n"  # 7
        "from payerdesk.groups.rules import rating\n"  # 8
    ),
    "priorauth/services.py": (
        "def lookup():\n"
        "    import payerdesk.groups.work\n"  # 2
        "    return f'SELECT * FROM {x} JOIN priorauth_prescriber p, core_user u'\n"  # 3
    ),
    "core/services.py": "from payerdesk.billing.models import ListBill\n",
    "core/views.py": "def view():\n    from payerdesk.engagement import selectors\n",
    "edi/reader.py": "from django.db import models\nimport re\n",
    "groups/selectors.py": "SQL = 'SELECT * FROM groups_member m'\n",  # its own table
    "groups/migrations/0009_x.py": "SQL = 'UPDATE billing_listbill SET total = 0'\n",
}


def test_a_planted_violation_of_each_rule_is_named(tmp_path):
    for name, text in PLANTED.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    tables = {
        "groups_coverage": "groups", "groups_member": "groups", "billing_listbill": "billing",
        "priorauth_prescriber": "priorauth", "core_user": "core",
    }  # fmt: skip
    assert sorted(violations(tmp_path, tables)) == [
        "billing/listbills.py:4: billing imports payerdesk.groups.models.Coverage "
        "(use groups' selectors/services)",
        "billing/listbills.py:7: billing names the groups table groups_coverage",
        "billing/listbills.py:8: billing imports payerdesk.groups.rules.rating "
        "(use groups' selectors/services)",
        "core/services.py:1: core imports the domain app module payerdesk.billing.models.ListBill",
        "core/views.py:2: core imports the domain app module payerdesk.engagement.selectors",
        "edi/reader.py:1: edi imports django.db.models (edi stands alone, without Django)",
        "priorauth/services.py:2: priorauth imports payerdesk.groups.work "
        "(use groups' selectors/services)",
        "priorauth/services.py:3: priorauth names the core table core_user",
    ]
