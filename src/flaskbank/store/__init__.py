"""Stores: the one interface every backend implements, and the factory that picks one from
the FLASKBANK_STORE config string."""

from .base import Page, Store, StoreURLError
from .factory import open_store

__all__ = ["Page", "Store", "StoreURLError", "open_store"]
