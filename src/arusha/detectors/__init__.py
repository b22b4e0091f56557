"""One module per detector; the catalogue in `arusha.engine.catalogue` lists them."""
