"""The analyst's own data: write a run's demand as a sales history and an order log (``record``), and fit
the demand model to such files (``fit``). Reading and replaying them is the world's (``world.history_files``,
``world.trace``), since the engine replays them."""
