"""The accounts app's exception family."""


class AccountsError(Exception):
    """Base class of every error the accounts services raise."""


class SelfFollowError(AccountsError):
    """A user tried to follow themselves."""


class InactiveUserError(AccountsError):
    """The user acted upon is deactivated."""
