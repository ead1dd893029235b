"""The warehouse in DuckDB: `DuckWarehouse(path)` implements warehouse/base.WarehousePort."""

from .warehouse import DuckWarehouse

__all__ = ["DuckWarehouse"]
