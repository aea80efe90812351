"""Billing over REST: one router per feature, assembled into the app's router."""

from ninja import Router

from payerdesk.billing.api import listbills, remittances

router = Router()
router.add_router("", remittances.router)
router.add_router("", listbills.router)
