"""Imports needs_app, so it fails on its own as needs_app does."""
import needs_app

HELPERS = needs_app.READY
