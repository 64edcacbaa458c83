"""The payment processor: the Stripe client Frontdesk uses, and a local Stripe sandbox."""
