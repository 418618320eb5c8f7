"""A reusable, durable email notification framework for Django.

Every email is first a row in the outbox (``Notification``); django-q2 only
wakes the worker that claims due rows, renders them and delivers them through
a configured mailer. See docs/notifications.md.
"""
