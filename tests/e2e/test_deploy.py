"""deploy/: the Kubernetes manifests validate against the Kubernetes API's
schemas (kubernetes-validate, strict: an unknown or misspelt field fails),
and agree with the server they deploy."""

from __future__ import annotations

import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from harness import REPO

K8S = REPO / "deploy" / "k8s"
# The oldest Kubernetes release still maintained upstream when this was
# written, and the newest the validator knows.
VERSIONS = ["1.32.0", "1.37.0"]


def documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def manifests() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("path", manifests(), ids=lambda p: p.name)
def test_manifest_is_valid(path: Path, version: str) -> None:
    for doc in documents(path):
        kubernetes_validate.validate(doc, version, strict=True)


def test_kustomization_lists_the_manifests() -> None:
    (kustomization,) = documents(K8S / "kustomization.yaml")
    listed = set(kustomization["resources"])
    # Everything but the Secret example, which must never be applied as is.
    assert listed == {p.name for p in manifests()} - {"secret.example.yaml"}


def resources() -> dict[str, dict]:
    out = {}
    for path in manifests():
        for doc in documents(path):
            out[doc["kind"]] = doc
    return out


def test_manifests_match_the_server() -> None:
    docs = resources()
    deployment = docs["Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    readme = (REPO / "README.md").read_text()
    for name in env:
        assert f"`{name}`" in readme, f"{name} is not documented in README.md"
    secret_keys = set(docs["Secret"]["stringData"])
    assert {"ACCOUNT_SID", "API_KEY", "API_SECRET", "TWILIO_AUTH_TOKEN"} <= secret_keys
    assert container["envFrom"][0]["secretRef"]["name"] == docs["Secret"]["metadata"]["name"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert env["TWILIO_MCP_BIND"].endswith(f":{ports['http']}")
    assert env["TWILIO_MCP_METRICS_BIND"].endswith(f":{ports['metrics']}")
    template_annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert template_annotations["prometheus.io/port"] == str(ports["metrics"])
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    # The grace period covers the drain delay and the longest request (the
    # default --request-timeout of 60 s).
    assert pod["terminationGracePeriodSeconds"] > int(env["TWILIO_MCP_DRAIN_DELAY"]) + 60
    # The drain delay outlasts the time a readiness probe takes to notice.
    probe = container["readinessProbe"]
    assert int(env["TWILIO_MCP_DRAIN_DELAY"]) > probe["periodSeconds"] * probe["failureThreshold"]
    # The Service exposes the MCP port only, never the metrics one.
    service_ports = [p["targetPort"] for p in docs["Service"]["spec"]["ports"]]
    assert service_ports == ["http"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert docs["Service"]["spec"]["selector"] == selector
    assert docs["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"] == selector
    assert docs["PodDisruptionBudget"]["spec"]["minAvailable"] < deployment["spec"]["replicas"]
    hpa = docs["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert hpa["minReplicas"] == deployment["spec"]["replicas"]
    # CPU utilisation needs a CPU request to be computed against.
    assert container["resources"]["requests"]["cpu"]
    assert re.fullmatch(r"[0-9]+m", container["resources"]["requests"]["cpu"])


def test_nginx_example_retries_only_what_was_not_sent() -> None:
    conf = (REPO / "deploy" / "nginx.conf").read_text()
    assert re.search(r"^\s*proxy_next_upstream error timeout;", conf, re.M)
    assert "non_idempotent" not in re.sub(r"#.*", "", conf)
    # Idle upstream connections expire before a draining server closes them.
    keepalive = re.search(r"^\s*keepalive_timeout (\d+)s;", conf, re.M)
    assert keepalive and int(keepalive.group(1)) < 5  # the default --drain-delay
