from django.urls import path

from payerdesk.core import views

app_name = "core"

urlpatterns = [
    path("", views.my_work, name="my-work"),
    path("work/", views.work_item_list, name="work-items"),
    path("work/new/", views.work_item_new, name="work-item-new"),
    path("work/<int:item_id>/", views.work_item_detail, name="work-item"),
    path("work/<int:item_id>/claim", views.claim, name="work-item-claim"),
    path("work/<int:item_id>/assign", views.assign, name="work-item-assign"),
    path("work/<int:item_id>/transition", views.transition, name="work-item-transition"),
    path("work/<int:item_id>/notes", views.add_note, name="work-item-note"),
    path("work/<int:item_id>/attachments", views.add_attachment, name="work-item-attach"),
    path(
        "work/<int:item_id>/attachments/<int:attachment_id>",
        views.attachment_download,
        name="work-item-attachment",
    ),
    path("work/<int:item_id>/follow-ups", views.add_follow_up, name="work-item-follow-up"),
    path("queues/", views.queue_list, name="queues"),
    path("queues/<slug:slug>/claim-next", views.claim_next, name="queue-claim-next"),
    path("health/", views.queue_health, name="queue-health"),
    path("access-log/", views.access_log, name="access-log"),
    path("access-log.csv", views.access_log_export, name="access-log-csv"),
]
