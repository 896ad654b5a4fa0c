"""The compiled world: the SKU catalog, the network as arrays, and the checks made before a run."""
