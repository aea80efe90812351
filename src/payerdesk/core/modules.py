"""How domain modules plug into the core without the core importing them.

A domain app's AppConfig may declare `landing_pages` (role value -> URL name: the home
page of an outside role, which has no staff My work) and a `demo_load()` method that
`payerdesk demo` calls after the core demo (users, markets, queues) exists. Its menu in
the top bar is registered in `core.menus`.
"""

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from django.apps import apps
from django.urls import reverse

if TYPE_CHECKING:  # AppConfigs import this module before the models are ready
    from payerdesk.core.models import User


def landing_for(user: "User") -> str | None:
    """The home page a module gives one of the user's (outside) roles, if any."""
    from payerdesk.core.roles import roles_of

    held = {role.value for role in roles_of(user)}
    for config in apps.get_app_configs():
        for role, url_name in getattr(config, "landing_pages", {}).items():
            if role in held:
                return reverse(url_name)
    return None


def demo_loaders() -> Iterator[tuple[str, Callable[[], None]]]:
    for config in apps.get_app_configs():
        loader = getattr(config, "demo_load", None)
        if loader is not None:
            yield config.label, loader
