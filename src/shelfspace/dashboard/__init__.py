"""The dashboard: server-rendered pages for the operator, the brands and the public media kit."""
