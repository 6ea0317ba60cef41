"""trainwell.backend: keep_freed_memory stops the per-step page faults of large arrays, and stays off
where the user asked for another malloc setting or switched it off."""
import json
import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

COUNT_FAULTS = textwrap.dedent("""
    import json, resource, sys
    import numpy as np
    sys.path.insert(0, {root!r})
    from trainwell import backend

    def step():  # what a training step does: activations and gradients made, used and freed
        arrays = [np.ones(1 << 20, dtype=np.float32) for _ in range(3)]  # 4 MiB each
        del arrays

    kept = backend.keep_freed_memory()
    step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        step()
    print(json.dumps({{"kept": kept, "faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before}}))
""")


def faults_in_a_fresh_process(**environment):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "TRAINWELL_KEEP"))}
    result = subprocess.run([sys.executable, "-c", COUNT_FAULTS.format(root=str(ROOT))], capture_output=True,
                            text=True, check=True, env={**env, **environment})
    return json.loads(result.stdout)


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_kept_freed_memory_is_reused_without_page_faults():
    kept = faults_in_a_fresh_process()
    switched_off = faults_in_a_fresh_process(TRAINWELL_KEEP_FREED_MEMORY="0")
    user_setting = faults_in_a_fresh_process(MALLOC_TRIM_THRESHOLD_="131072")
    assert kept["kept"] is True and switched_off["kept"] is False and user_setting["kept"] is False
    # 20 steps of 3 arrays of 1,024 pages: without it glibc returns about one to the kernel per step
    assert switched_off["faults"] > 10 * 1024
    assert kept["faults"] < 0.1 * switched_off["faults"]
