// Validates every Kubernetes manifest of a folder (default ../kubernetes/base) without a cluster:
//  - against the Kubernetes JSON schemas (kubernetes-models: types, required fields, enums, formats);
//  - strictly: a field the API does not define is an error (kubernetes-models' schemas allow extra fields, so every
//    key is also checked against @kubernetes/client-node's model of that type);
//  - the kustomization lists only files that exist, and every manifest file of the folder is listed or named a template.
// Prints one line per document; exit 1 with one line per problem.
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import * as clientNode from "@kubernetes/client-node";

const folder = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..", "kubernetes", "base"));
const problems = [];

// kubernetes-models module of an apiVersion: "v1" -> kubernetes-models/v1, "apps/v1" -> kubernetes-models/apps/v1.
async function schemaModel(apiVersion, kind) {
  try {
    const module = await import(`kubernetes-models/${apiVersion}`);
    return module[kind];
  } catch {
    return undefined;
  }
}

// client-node's type name: "V1" + kind for */v1, "V2" + kind for */v2.
function typeName(apiVersion, kind) {
  const version = apiVersion.split("/").pop();
  return version.charAt(0).toUpperCase() + version.slice(1) + kind;
}

function unknownFields(value, type, path, found) {
  if (value === null || value === undefined) return;
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (Array.isArray(value)) value.forEach((item, index) => unknownFields(item, array[1], `${path}[${index}]`, found));
    return;
  }
  const model = clientNode[type];
  if (typeof model?.getAttributeTypeMap !== "function" || typeof value !== "object" || Array.isArray(value)) return;
  const attributes = model.getAttributeTypeMap();
  for (const [key, child] of Object.entries(value)) {
    const attribute = attributes.find((candidate) => candidate.baseName === key);
    if (!attribute) {
      found.push(`${path}.${key}: unknown field (${type} has ${attributes.map((candidate) => candidate.baseName).join(", ")})`);
    } else {
      unknownFields(child, attribute.type, `${path}.${key}`, found);
    }
  }
}

const files = readdirSync(folder).filter((name) => name.endsWith(".yaml") || name.endsWith(".yml")).sort();
let documents = 0;
for (const file of files) {
  if (file === "kustomization.yaml") continue;
  for (const parsed of parseAllDocuments(readFileSync(join(folder, file), "utf8"))) {
    if (parsed.errors.length > 0) {
      problems.push(`${file}: YAML: ${parsed.errors[0].message}`);
      continue;
    }
    const doc = parsed.toJS();
    if (doc === null) continue;
    documents++;
    const name = `${file}: ${doc.kind ?? "?"}/${doc.metadata?.name ?? "?"}`;
    const Model = doc.apiVersion && doc.kind ? await schemaModel(doc.apiVersion, doc.kind) : undefined;
    if (!Model) {
      problems.push(`${name}: no schema for apiVersion '${doc.apiVersion}' kind '${doc.kind}'`);
      continue;
    }
    try {
      new Model(doc).validate();
    } catch (error) {
      problems.push(`${name}: ${error.message}`);
      continue;
    }
    const found = [];
    unknownFields(doc, typeName(doc.apiVersion, doc.kind), "", found);
    if (found.length > 0) {
      for (const problem of found) problems.push(`${name}: ${problem}`);
      continue;
    }
    console.log(`ok ${name}`);
  }
}

const kustomizationPath = join(folder, "kustomization.yaml");
if (existsSync(kustomizationPath)) {
  const kustomization = parseAllDocuments(readFileSync(kustomizationPath, "utf8"))[0].toJS();
  const resources = kustomization.resources ?? [];
  for (const resource of resources) {
    if (!existsSync(join(folder, resource))) problems.push(`kustomization.yaml: resource ${resource} does not exist`);
  }
  for (const file of files) {
    if (file !== "kustomization.yaml" && !resources.includes(file) && !file.includes(".template.")) {
      problems.push(`kustomization.yaml: ${file} is neither listed in resources nor named *.template.yaml`);
    }
  }
  console.log(`ok kustomization.yaml: ${resources.length} resources`);
}

for (const problem of problems) console.error(`error: ${problem}`);
console.log(`${documents} documents, ${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
