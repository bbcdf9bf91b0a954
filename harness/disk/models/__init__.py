"""Persistence models, one per module, each registered under its name."""

from harness.disk.models import ext4_ordered, weakest  # noqa: F401  (imported to register)
from harness.disk.models.base import SECTOR, Model, Pending, get_model, model_names, register

__all__ = ["SECTOR", "Model", "Pending", "get_model", "model_names", "register"]
