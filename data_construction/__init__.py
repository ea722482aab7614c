"""FuseChat-3.0 data construction: numbered scripts (thin) with the stage logic in the modules beside them."""
