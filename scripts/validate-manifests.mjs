// Validates every document of a `helm template` output against the Kubernetes schemas (kubernetes-models).
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import * as apps from "kubernetes-models/apps/v1";
import * as core from "kubernetes-models/v1";
import * as networking from "kubernetes-models/networking.k8s.io/v1";
import * as policy from "kubernetes-models/policy/v1";

const kinds = { "apps/v1": apps, "v1": core, "networking.k8s.io/v1": networking, "policy/v1": policy };
let checked = 0;
let skipped = [];
for (const doc of parseAllDocuments(readFileSync(process.argv[2], "utf8"))) {
  const obj = doc.toJSON();
  if (!obj) continue;
  const group = kinds[obj.apiVersion];
  const Kind = group && group[obj.kind];
  if (!Kind) { skipped.push(`${obj.apiVersion}/${obj.kind}`); continue; }
  new Kind(obj).validate();
  checked++;
}
if (checked === 0) { console.error("no manifest validated"); process.exit(1); }
console.log(`validated ${checked} manifest(s)` + (skipped.length ? `; no schema for ${skipped.join(", ")}` : ""));
