"""One Router per resource group; each function includes the routers it serves."""
