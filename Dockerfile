# Production image: gunicorn web, Celery worker/beat and the simulators share it.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml constraints.txt ./
COPY . .
RUN pip install -c constraints.txt . && \
    useradd --create-home --uid 1000 app && mkdir -p /app/var && chown -R app /app/var
USER app
# collectstatic needs settings but no real secrets
RUN SECRET_KEY=build FIELD_ENCRYPTION_KEY=MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA= \
    python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--config", "config/gunicorn.conf.py"]
