"""Receiver of Anymail's tracking signal: provider events about sent mail."""

from typing import Any

from anymail.signals import AnymailTrackingEvent, tracking
from django.dispatch import receiver

from .events import tracking_event_record


@receiver(tracking, dispatch_uid="notifications.tracking_event_record")
def handle_tracking_event(
    sender: type, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any
) -> None:
    """Hand every provider event to the service that records and acts on it."""
    tracking_event_record(event=event, esp_name=esp_name)
