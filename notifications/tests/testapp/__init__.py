"""A test-only app: the smallest host project's models and notification types.

Waves (coalescing, withdrawn when a wave is taken back), notes (one email per
note, deduplicated) and security alerts (transactional), each with its three
templates; users are contrib auth's, with a Profile holding their language
and time zone.
"""
