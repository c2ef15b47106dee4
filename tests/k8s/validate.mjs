// Validates Kubernetes objects against the official OpenAPI schemas (npm kubernetes-models):
//   node validate.mjs FILE...   each FILE a JSON object, a JSON array of objects, or a List
// Prints one line per object ("ok Kind/name" or "invalid Kind/name: why") and exits 1 if any is
// invalid or of a kind it does not know.
import { readFileSync } from "node:fs";

// "apps/v1" + "Deployment" -> kubernetes-models/apps/v1/Deployment; "v1" -> kubernetes-models/v1.
async function modelOf(apiVersion, kind) {
  if (!/^[A-Za-z0-9.\/]+$/.test(apiVersion) || !/^[A-Za-z]+$/.test(kind)) return null;
  try {
    return (await import(`kubernetes-models/${apiVersion}/${kind}`))[kind] ?? null;
  } catch {
    return null;
  }
}

// Custom resources kubernetes-models does not know: the fields the chart relies on, checked by
// hand (the Prometheus operator's ServiceMonitor).
const custom = {
  "monitoring.coreos.com/v1/ServiceMonitor": (obj) => {
    const spec = obj.spec ?? {};
    if (typeof obj.metadata?.name !== "string") throw new Error("metadata.name is required");
    if (typeof spec.selector !== "object") throw new Error("spec.selector must be an object");
    if (!Array.isArray(spec.endpoints) || spec.endpoints.length === 0) {
      throw new Error("spec.endpoints must be a non-empty array");
    }
    for (const e of spec.endpoints) {
      if (typeof e.port !== "string") throw new Error("spec.endpoints[].port must be a port name");
    }
  },
};

let failed = false;
for (const file of process.argv.slice(2)) {
  let doc = JSON.parse(readFileSync(file, "utf8"));
  const objects = Array.isArray(doc) ? doc : doc.kind === "List" ? doc.items : [doc];
  for (const obj of objects) {
    const name = `${obj.kind}/${obj.metadata?.name ?? "?"}`;
    const check = custom[`${obj.apiVersion}/${obj.kind}`];
    if (check) {
      try {
        check(obj);
        console.log(`ok ${name}`);
      } catch (e) {
        console.log(`invalid ${name}: ${e.message}`);
        failed = true;
      }
      continue;
    }
    const Model = await modelOf(obj.apiVersion ?? "", obj.kind ?? "");
    if (!Model) {
      console.log(`unknown ${name} (${obj.apiVersion})`);
      failed = true;
      continue;
    }
    try {
      new Model(obj).validate();
      console.log(`ok ${name}`);
    } catch (e) {
      console.log(`invalid ${name}: ${e.message}`);
      failed = true;
    }
  }
}
process.exit(failed ? 1 : 0);
