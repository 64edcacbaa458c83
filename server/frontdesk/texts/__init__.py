"""Text messages on the wire: the provider adapter in Twilio's REST shape (`provider`) and its
local stand-in for tests and the demo (`sandbox`). The rules (who may be texted, STOP) are in
services/texts.py."""
