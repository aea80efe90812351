"""How domain modules plug into the core without the core importing them.

A domain app's AppConfig may declare `nav_links` (entries for the top bar, each shown
to users holding its permission) and a `demo_load()` method that `payerdesk demo` calls
after the core demo (users, markets, queues) exists.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.apps import apps
from django.urls import reverse

if TYPE_CHECKING:  # AppConfigs import this module before the models are ready
    from payerdesk.core.models import User


@dataclass(frozen=True)
class NavLink:
    label: str
    url_name: str
    permission: str


def nav_links_for(user: "User") -> list[tuple[str, str]]:
    """(label, url) of every domain page the user may open, in app order."""
    links = []
    for config in apps.get_app_configs():
        for link in getattr(config, "nav_links", ()):
            if user.has_perm(link.permission):
                links.append((link.label, reverse(link.url_name)))
    return links


def demo_loaders() -> Iterator[tuple[str, Callable[[], None]]]:
    for config in apps.get_app_configs():
        loader = getattr(config, "demo_load", None)
        if loader is not None:
            yield config.label, loader
