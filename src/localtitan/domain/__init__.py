"""Behaviour that CRUD cannot express, one module per ServiceTitan module."""
