# The officestream image used by docker-compose for producers, workers and one-shot commands.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY ops ops
COPY schemas schemas
COPY connectors connectors
COPY producers producers
COPY processors processors
RUN pip install --no-cache-dir .
USER nobody
ENTRYPOINT []
