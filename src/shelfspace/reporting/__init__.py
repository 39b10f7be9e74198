"""Reports: hourly rollups built from the event log, and the metrics read from them."""
