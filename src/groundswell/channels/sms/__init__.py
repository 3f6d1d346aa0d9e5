"""SMS through Twilio's Programmable Messaging: signed inbound webhooks, outbound Messages API."""
