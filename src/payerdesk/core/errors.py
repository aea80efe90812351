"""Errors a core service raises; each carries a stable code, an HTTP status and a field."""

from django.db import models


class ErrorCode(models.TextChoices):
    NOT_AUTHENTICATED = "not_authenticated", "Not authenticated"
    NOT_PERMITTED = "not_permitted", "Not permitted"
    NOT_FOUND = "not_found", "Not found"
    ALREADY_CLAIMED = "already_claimed", "Already claimed"
    QUEUE_EMPTY = "queue_empty", "Nothing to claim"
    TRANSITION_NOT_ALLOWED = "transition_not_allowed", "Transition not allowed"
    UNKNOWN_STATUS = "unknown_status", "Unknown status"
    ITEM_CLOSED = "item_closed", "Item is closed"
    ASSIGNEE_NOT_ELIGIBLE = "assignee_not_eligible", "Assignee cannot work this queue"
    ATTACHMENT_TOO_LARGE = "attachment_too_large", "Attachment too large"
    ATTACHMENT_TYPE = "attachment_type", "Attachment type not accepted"
    INVALID = "invalid", "Invalid value"


class ServiceError(Exception):
    """A business action refused; nothing was changed."""

    http_status = 400

    def __init__(self, code: ErrorCode, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class NotAuthenticated(ServiceError):
    http_status = 401

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.NOT_AUTHENTICATED, message)


class NotPermitted(ServiceError):
    http_status = 403

    def __init__(self, message: str = "You do not have permission to do this.") -> None:
        super().__init__(ErrorCode.NOT_PERMITTED, message)


class NotFound(ServiceError):
    http_status = 404


class Conflict(ServiceError):
    """The item's current state does not allow the action (someone else moved first)."""

    http_status = 409


class InvalidInput(ServiceError):
    http_status = 422
