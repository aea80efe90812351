"""A module's landing page: its work counts, its own figures and its links.

Each module's root view calls `module_home` (a page of its own) or `module_summary` (a
panel above a list it already shows there) with the figures only it knows how to read.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from payerdesk.core import menus, selectors
from payerdesk.core.models import User


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    url: str = ""


Figures = Callable[[User], Sequence[Figure]]


def _no_figures(user: User) -> Sequence[Figure]:
    return ()


def module_summary(user: User, code: str, figures: Figures = _no_figures) -> dict[str, Any]:
    """The landing panel of module `code` for `user`; PermissionDenied when the module is
    not open to their role (checked before any figure is read)."""
    menu = menus.get(code)
    if not menu.allowed(user):
        raise PermissionDenied(f"{menu.label} is not open to your role.")
    return {
        "module": menus.shown(menu, user),
        "work": selectors.work_counts(user=user, kinds=menu.work_kinds),
        "figures": list(figures(user)),
    }


def module_home(request: HttpRequest, code: str, figures: Figures = _no_figures) -> HttpResponse:
    assert isinstance(request.user, User)
    context = {"summary": module_summary(request.user, code, figures)}
    return render(request, "core/module_home.html", context)
