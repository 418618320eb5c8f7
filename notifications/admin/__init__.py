"""The framework's admin: the outbox with its dashboard and previews (``outbox``),
and the records staff keep an eye on beside it (``records``)."""

from . import outbox, records  # noqa: F401 -- registers the model admins
