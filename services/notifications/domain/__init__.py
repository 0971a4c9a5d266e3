"""The notifications service's rules, with no bus, no database and no clock of their own:
alerts (when a status change opens one, who hears of it), digests (when one is due, what it
holds), deliveries (retries and what a sender is handed), working hours, and the words people read."""
