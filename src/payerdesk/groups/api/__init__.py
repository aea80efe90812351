"""The groups API: one router per feature, joined into the one router the site mounts."""

from ninja import Router

from payerdesk.groups.api import changes, groups

router = Router()
router.add_router("/", groups.router)
router.add_router("/", changes.router)
