"""Real collaborators for the framework's tests: an SMTP sink, a fake ESP, the test database's URL.

A project's own tests may use them too (they import from here); nothing here
imports the project.
"""
