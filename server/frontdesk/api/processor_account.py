"""The API's view of the business's own Stripe account (`/processor-account`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from frontdesk.api.schemas import Input, Output


class ProcessorAccount(Output):
    """The business's own Stripe account, as Stripe last described it; `account` is null when
    none is connected, `charges_enabled` says whether customers can pay online, and
    `requirements_due` what Stripe still needs (in its names). The platform's fee on each charge
    is `fee_basis_points` plus `fee_fixed` (minor units)."""

    object: Literal["processor_account"] = "processor_account"
    account: str | None
    type: Literal["express", "standard"] | None
    linked: bool = Field(description="An account the business had, linked by signing in to it.")
    details_submitted: bool
    charges_enabled: bool
    payouts_enabled: bool
    requirements_due: list[str]
    summary: str = Field(description="The state in words, as the dashboard shows it.")
    fee_basis_points: int
    fee_fixed: int


class OnboardingLinkCreate(Input):
    type: Literal["express", "standard"] = "express"


class OnboardingLink(Output):
    object: Literal["onboarding_link"] = "onboarding_link"
    url: str = Field(description="Stripe's onboarding page: single use, valid for minutes.")
    account: str
