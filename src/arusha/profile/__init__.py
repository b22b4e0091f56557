"""The data profile: what a working database holds, as one offline HTML page."""

from arusha.profile.build import SECTIONS, build_profile

__all__ = ["SECTIONS", "build_profile"]
