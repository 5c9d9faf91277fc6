"""Settings for the benchmark server: the portal's own settings plus a hello-world page as the floor.

Used only by bench/case_list_bench.py (DJANGO_SETTINGS_MODULE=bench.settings); nothing in the product
imports it.
"""

import os
from pathlib import Path

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# collectstatic writes the manifest that DEBUG-off static file storage needs here, not into var/.
STATIC_ROOT = Path(os.environ.get("BENCH_STATIC_ROOT", "/tmp/portal-bench-static"))  # noqa: S108
