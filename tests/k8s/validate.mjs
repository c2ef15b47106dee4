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

let failed = false;
for (const file of process.argv.slice(2)) {
  let doc = JSON.parse(readFileSync(file, "utf8"));
  const objects = Array.isArray(doc) ? doc : doc.kind === "List" ? doc.items : [doc];
  for (const obj of objects) {
    const name = `${obj.kind}/${obj.metadata?.name ?? "?"}`;
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
