"""What the access matrices share: the roles, the table helpers, the clients and the rules
that turn a row into the answer a role must get.

Each app's rows live in its `tests/<app>/test_access_matrix.py`; the completeness check in
`tests/core/test_access_matrix.py` fails when a route has no row in any of them.
"""

from collections.abc import Callable

from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from payerdesk.core import services
from payerdesk.core.models import User

STAFF = ["rep", "pharmacist", "groupadmin", "salesadmin", "coordinator", "auditor",
         "supervisor", "admin"]  # fmt: skip
OUTSIDE = ["employer", "provider"]
EVERYONE = [*STAFF, *OUTSIDE, "anonymous"]

# A page row: (method, expected status per role); a role left out gets 403.
PageRows = dict[str, tuple[str, dict[str, int]]]
# An API (or FHIR) row: (method, path) -> expected status per role. Every staff role has
# an answer; an outside role left out gets 403.
ApiRows = dict[tuple[str, str], dict[str, int]]


def staff(ok: int, **overrides: int) -> dict[str, int]:
    return {role: overrides.get(role, ok) for role in STAFF}


def page_client(role: str, users: dict[str, User], client_for: Callable[[User], Client]) -> Client:
    return Client() if role == "anonymous" else client_for(users[role])


def token_client(role: str, users: dict[str, User]) -> Client:
    """No credentials for anonymous; else a fresh bearer token for the role's user."""
    if role == "anonymous":
        return Client()
    _, raw = services.api_token_issue(actor=None, user=users[role], name="matrix")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def assert_page_answer(response: HttpResponse, role: str, expected: dict[str, int]) -> None:
    """Anonymous visitors go to the login page; a role gets its row's answer (else 403)."""
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == expected.get(role, 403), response.content[:500]


def assert_api_answer(response: HttpResponse, role: str, expected: dict[str, int]) -> None:
    """Anonymous callers get 401; outside roles their row's answer (else 403); staff roles
    the answer their row must give."""
    if role == "anonymous":
        assert response.status_code == 401
    elif role in OUTSIDE:
        assert response.status_code == expected.get(role, 403), response.content[:500]
    else:
        assert response.status_code == expected[role], response.content[:500]
