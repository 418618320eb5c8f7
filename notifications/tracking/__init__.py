"""Tracking: what providers report about sent mail.

``events`` records each provider event once and acts on it (delivery status,
suppressions); ``webhooks`` mounts Anymail's tracking webhooks in front of it
through ``views`` (403 until configured, 400 for what cannot be read),
``payloads`` says what a body and an event must look like, and ``sns``
verifies Amazon SNS signatures for the SES webhook.
"""
