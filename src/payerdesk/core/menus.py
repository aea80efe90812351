"""The registry of module menus: what the top bar shows and what a module's landing page lists.

Each module registers one menu (from its AppConfig.ready(), as it registers its work item
kinds), so the core draws the navigation without importing any domain app. A menu is shown
to the users its `allowed` rule admits; each of its links to those its own rule admits too.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.urls import reverse

if TYPE_CHECKING:  # AppConfigs import this module before the models are ready
    from payerdesk.core.models import User

Rule = Callable[["User"], bool]


@dataclass(frozen=True)
class Perm:
    """Admits the users who hold one Django permission (a value, so menus compare equal)."""

    name: str

    def __call__(self, user: "User") -> bool:
        return user.has_perm(self.name)


@dataclass(frozen=True)
class HasRole:
    """Admits the users who hold one role (a `core.roles.Role` value)."""

    role: str

    def __call__(self, user: "User") -> bool:
        from payerdesk.core.roles import Role, has_role

        return has_role(user, Role(self.role))


@dataclass(frozen=True)
class MenuLink:
    label: str
    url_name: str
    allowed: Rule | None = None  # None: whoever sees the menu
    fragment: str = ""  # a place on the page ("upload"), without the "#"

    def url(self) -> str:
        path = reverse(self.url_name)
        return f"{path}#{self.fragment}" if self.fragment else path


@dataclass(frozen=True)
class Menu:
    code: str
    label: str
    allowed: Rule
    links: tuple[MenuLink, ...]
    # The module's landing page (its root), listed first in the menu as "Overview".
    home: str | None = None
    # The work item kinds whose counts the landing page shows; None: every kind.
    work_kinds: frozenset[str] | None = None
    # Outside roles' menus are a few links shown side by side, not a drop-down.
    flat: bool = False
    position: int = 100


@dataclass(frozen=True)
class ShownLink:
    label: str
    url: str


@dataclass(frozen=True)
class ShownMenu:
    code: str
    label: str
    home: str | None
    links: tuple[ShownLink, ...]
    flat: bool

    @property
    def entries(self) -> tuple[ShownLink, ...]:
        """The menu's items: the landing page first (unless it is one of the links)."""
        if self.home is None or any(link.url == self.home for link in self.links):
            return self.links
        return (ShownLink("Overview", self.home), *self.links)


_registry: dict[str, Menu] = {}


class UnknownMenuError(LookupError):
    pass


def register(menu: Menu) -> Menu:
    existing = _registry.get(menu.code)
    if existing is not None and existing != menu:
        raise ValueError(f"menu {menu.code!r} is already registered differently")
    _registry[menu.code] = menu
    return menu


def get(code: str) -> Menu:
    try:
        return _registry[code]
    except KeyError:
        raise UnknownMenuError(f"unknown menu {code!r}") from None


def all_menus() -> list[Menu]:
    return sorted(_registry.values(), key=lambda menu: (menu.position, menu.label))


def shown(menu: Menu, user: "User") -> ShownMenu:
    """`menu` as `user` sees it: the links their rules admit, resolved to URLs."""
    links = tuple(
        ShownLink(link.label, link.url())
        for link in menu.links
        if link.allowed is None or link.allowed(user)
    )
    home = reverse(menu.home) if menu.home else None
    return ShownMenu(menu.code, menu.label, home, links, menu.flat)


def menus_for(user: "User") -> Sequence[ShownMenu]:
    """Every menu `user` may open, in order, each with at least one place to go."""
    menus = [shown(menu, user) for menu in all_menus() if menu.allowed(user)]
    return [menu for menu in menus if menu.home or menu.links]
