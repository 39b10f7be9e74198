# Shelfspace, one image for both roles: the API (`shelfspace serve`) and the rollup worker
# (`shelfspace worker`). Configuration comes from SHELFSPACE_* variables (README, "Production").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    SHELFSPACE_HOST=0.0.0.0 SHELFSPACE_PORT=8000 SHELFSPACE_DATA_DIR=/var/lib/shelfspace

# Pango: WeasyPrint prints the case study PDFs with it (without it the PDF answers 503).
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install . && useradd --system --home-dir /var/lib/shelfspace --create-home shelfspace

USER shelfspace
WORKDIR /var/lib/shelfspace
EXPOSE 8000
# Ready: database reachable and migrated, catalogue loaded, Redis reachable, spend restored.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
# SIGTERM: requests in flight finish and queued events are stored before the process ends.
STOPSIGNAL SIGTERM
CMD ["shelfspace", "serve", "--workers", "2"]
