# The social business dashboard as a container: one Streamlit replica. Several replicas share one DuckLake warehouse
# (PostgreSQL catalog + shared Parquet data); see docs/deploy.md and deploy/docker-compose.yml.
# Hosted, viewers never see error details: a page shows a reference code and the server log has the rest
# (docs/architecture.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DASHBOARD_DEMO=0 \
    STREAMLIT_CLIENT_SHOW_ERROR_DETAILS=none

RUN useradd --create-home --uid 10001 dashboard
WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY --chown=dashboard:dashboard . .
USER dashboard

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() == b'ok' else 1)"

CMD ["streamlit", "run", "dashboard.py", "--server.port=8501", "--server.address=0.0.0.0", "--server.headless=true"]
