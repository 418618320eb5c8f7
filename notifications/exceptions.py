"""The framework's exceptions: one family."""

from django.core.exceptions import ImproperlyConfigured


class NotificationsError(Exception):
    """Base of every error raised by the notifications framework."""


class NotificationsConfigurationError(NotificationsError, ImproperlyConfigured):
    """The NOTIFICATIONS setting (or a related one) is wrong."""
