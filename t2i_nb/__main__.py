"""`python -m t2i_nb ...` is the `t2i` command (e.g. under `python -m torch.distributed.run ... -m t2i_nb train`)."""
from t2i_nb.cli import main

raise SystemExit(main())
