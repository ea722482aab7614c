"""The tiny world: tiny models and synthetic rows in the real schemas, built by code and cached (README, "Two commands")."""

from fusechat.tiny_world.build import TinyWorldSettings, ensure_world, resolve, settings_from

__all__ = ["TinyWorldSettings", "ensure_world", "resolve", "settings_from"]
