"""Real collaborators of the project's tests and benchmarks: worker and web processes.

The SMTP sink and the fake ESP are the framework's (notifications.tests.support).
"""
