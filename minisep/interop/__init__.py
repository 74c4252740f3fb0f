"""Moving weights and models between minisep and other frameworks (torch)."""
