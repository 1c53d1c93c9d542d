"""Rasa SDK action server: the dialogue's bridge to the retrieval service.

Run from the repository root: `.venv-rasa/bin/rasa run actions --actions actions --port 5055`.
"""
