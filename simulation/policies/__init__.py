"""Decisions the network makes: replenishment policies, lateral transfers and the shock response."""
