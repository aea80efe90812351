"""The baseline the PA benchmark compares with, in the same run: the floor of any API call
that records something, on this machine.

One django-ninja endpoint behind the project's bearer-token authentication, that
validates a small JSON body and commits one row (an access-log entry) in a
transaction. A PA submission does all of this and more, so its rate is a fraction of
this one; the fraction tells how much the determination itself costs, whatever the
machine's speed.
"""

from django.db import transaction
from django.http import HttpRequest
from django.urls import path
from ninja import NinjaAPI, Schema

from payerdesk.api import ApiTokenAuth
from payerdesk.core.models import AccessLogEntry, User
from payerdesk.core.services import access_log_record

api = NinjaAPI(auth=ApiTokenAuth(), urls_namespace="bench-floor", docs_url=None)


class RecordIn(Schema):
    member_id: str
    drug: str
    answers: dict[str, object]


class RecordOut(Schema):
    id: int


@api.post("/records", response={201: RecordOut})
def record(request: HttpRequest, body: RecordIn) -> tuple[int, RecordOut]:
    user = request.user
    assert isinstance(user, User)
    with transaction.atomic():
        entry = access_log_record(
            user=user,
            action=AccessLogEntry.Action.VIEW,
            channel=AccessLogEntry.Channel.API,
            record_type="bench",
            record_id=body.member_id,
        )
    return 201, RecordOut(id=entry.pk)


urlpatterns = [path("floor/", api.urls)]
