# Build: the specs are fetched with npm pack and verified against specs/pin.json.
FROM rust:1.88-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The dist profile (fat LTO) is what the benchmark measures: a smaller binary
# that starts faster and holds less memory than --release.
RUN cargo build --profile dist --locked --bin twilio-mcp \
    && cp target/dist/twilio-mcp /twilio-mcp

# Run: distroless with CA certificates, as an unprivileged user.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /twilio-mcp /usr/local/bin/twilio-mcp
ENV TWILIO_MCP_BIND=0.0.0.0:3000
EXPOSE 3000
USER nonroot
ENTRYPOINT ["/usr/local/bin/twilio-mcp"]
CMD ["serve"]
