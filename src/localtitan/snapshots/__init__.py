"""Whole-tenant data: snapshot files (export and import), clearing, and copying production
into integration."""
