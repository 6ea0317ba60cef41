"""Learning-rate schedules: callables `step -> learning rate` with `get_config` (issue 3 fills this in)."""
