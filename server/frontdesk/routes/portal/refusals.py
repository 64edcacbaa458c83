"""What the portal refuses with, in words a customer reads in their language: a fragment with
its status (frame.notice draws it), and the sign-in form's and session's problems."""

from __future__ import annotations

from frontdesk.languages import N_, gettext
from frontdesk.models import Business
from frontdesk.services.rate_limits import Limited


class PortalError(Exception):
    """A refusal the portal shows in words, as a fragment with its status (and Retry-After).
    The words are translated where they are shown (`notice`): a constant made at import is
    marked with N_, one made in a request may be translated already (gettext leaves it be)."""

    def __init__(self, status: int, title: str, message: str, retry_after: int = 0) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message
        self.retry_after = retry_after


NOT_FOUND = PortalError(
    404, N_("Not found"), N_("We could not find that. It may have been withdrawn.")
)


FAILED = PortalError(
    500, N_("Something went wrong"), N_("Something went wrong on our side. Please try again.")
)


PROCESSOR_REFUSED = PortalError(
    409,
    N_("Please try again"),
    N_(
        "This payment changed while you were on this page. Go back to your account and pay "
        "again; nothing was charged twice."
    ),
)


DATABASE_AWAY = PortalError(
    503,
    N_("Briefly unavailable"),
    N_("We could not load your account just now. Nothing was changed; please try again shortly."),
    retry_after=5,
)


PROCESSOR_DOWN = PortalError(
    503,
    N_("Payments are unavailable"),
    N_("We could not reach the payment processor. Nothing was charged; please try again shortly."),
)


# Why a link, a code or a session is refused (tokens.py, services/portal.py, sign_in.py,
# customers.py) is written there as the end of an English sentence, for our logs. The customer
# reads each as a whole sentence of its own, in their language; one we have no sentence for is
# shown as written.
TOKEN_PROBLEMS = {
    "this link or session has expired": N_("This link or session has expired."),
    "this link or session is not valid": N_("This link or session is not valid."),
    "this link or session belongs to another business": N_(
        "This link or session belongs to another business."
    ),
    "this link has been replaced by a newer one": N_("This link has been replaced by a newer one."),
    "you signed out of this session": N_("You signed out of this session."),
    "this link has expired": N_("This link has expired."),
    "this link is not valid": N_("This link is not valid."),
    "this link was already used": N_("This link was already used."),
    "that code is not right": N_("That code is not right."),
    "that code has expired: ask for a new one": N_("That code has expired: ask for a new one."),
    "portal access has been turned off for this account": N_(
        "Portal access has been turned off for this account."
    ),
}


SESSION_ENDED = {
    "this link or session has expired": N_(
        "For your security, this link or session has expired. Reload the page to continue."
    ),
    "this link or session is not valid": N_(
        "For your security, this link or session is not valid. Reload the page to continue."
    ),
    "this link or session belongs to another business": N_(
        "For your security, this link or session belongs to another business. Reload the page "
        "to continue."
    ),
    "this link has been replaced by a newer one": N_(
        "For your security, this link has been replaced by a newer one. Reload the page to "
        "continue."
    ),
    "you signed out of this session": N_(
        "For your security, you signed out of this session. Reload the page to continue."
    ),
}


def token_problem(refused: Exception) -> str:
    """A refused link or code as the sign-in form says it: "This link has expired."."""
    found = TOKEN_PROBLEMS.get(str(refused))
    return gettext(found) if found else f"{str(refused).capitalize()}."


def session_ended(refused: Exception) -> str:
    """A refused session token as the portal says it, with the way on."""
    found = SESSION_ENDED.get(str(refused))
    if found:
        return gettext(found)
    return f"For your security, {refused}. Reload the page to continue."


def no_access(business: Business) -> PortalError:
    return PortalError(
        403,
        gettext("No access"),
        gettext(
            "Your access to %(business)s's account portal is turned off. "
            "Please contact %(business)s if you think this is a mistake."
        )
        % {"business": business.name},
    )


def too_many(limited: Limited) -> PortalError:
    return PortalError(
        429,
        gettext("Too many attempts"),
        gettext("Please wait %(seconds)s seconds before trying again. Nothing was charged.")
        % {"seconds": limited.retry_after},
        retry_after=limited.retry_after,
    )
