"""Arusha: integrity analytics and case management for Customs administrations."""

__version__ = "0.1.0"
