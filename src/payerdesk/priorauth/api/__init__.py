"""priorauth's REST API: one router per feature, mounted under one router."""

from ninja import Router

from payerdesk.priorauth.api import clocks, reference, requests

router = Router(tags=["prior authorization"])
router.add_router("", requests.router)
router.add_router("", reference.router)
router.add_router("", clocks.router)
