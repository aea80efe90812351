from django.http import HttpRequest

from payerdesk.core import permissions
from payerdesk.core.modules import nav_links_for
from payerdesk.core.roles import is_staff_member, roles_of


def navigation(request: HttpRequest) -> dict[str, object]:
    user = request.user
    if not user.is_authenticated:
        return {}
    return {
        "nav_staff": is_staff_member(user),
        "nav_health": permissions.sees_all_work(user),
        "nav_roles": sorted(role.label for role in roles_of(user)),
        "nav_links": nav_links_for(user),
    }
