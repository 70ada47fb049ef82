"""Promotion through git: point one alias at what another serves, as a minimal manifest edit."""
