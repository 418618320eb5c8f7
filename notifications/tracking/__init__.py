"""Tracking: what providers report about sent mail.

``events`` records each provider event once and acts on it (delivery status,
suppressions); ``webhooks`` mounts Anymail's tracking webhooks in front of it,
refusing malformed bodies with a 400.
"""
