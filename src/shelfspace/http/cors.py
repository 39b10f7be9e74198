"""Cross-origin answers that any page may read.

The decision API (the publisher tag on the shop's own pages) and the survey questions
answer for anyone and read no cookie, so any origin may read them. The OpenRTB auction,
whose caller sends credentials, echoes the origin instead (delivery/openrtb_api.py).
"""

from __future__ import annotations

ANY_ORIGIN = {"Access-Control-Allow-Origin": "*"}
