from django.http import HttpRequest

from payerdesk.core.menus import menus_for
from payerdesk.core.models import User
from payerdesk.core.roles import roles_of


def navigation(request: HttpRequest) -> dict[str, object]:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        return {}
    return {
        "nav_roles": sorted(role.label for role in roles_of(user)),
        "nav_menus": menus_for(user),
    }
