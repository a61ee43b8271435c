// Writes the editor's API types (`src/shared/api-schema.ts`) from the server's OpenAPI
// document, as `switchboard openapi` prints it, with openapi-typescript. The document's
// response schemas come from the server's answer types, so the editor's types follow them;
// `.ci/test` regenerates into a temporary file and fails when the committed one differs.
//
// Usage: npm run api-types [-- --out FILE]
// The binary: SWITCHBOARD_BIN, else $CARGO_TARGET_DIR/debug/switchboard, else
// ../target/debug/switchboard (build it with `cargo build -p switchboard`).

import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

const editor = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outIndex = process.argv.indexOf("--out");
const out = outIndex > 0 ? resolve(process.argv[outIndex + 1]) : resolve(editor, "src/shared/api-schema.ts");

const binary =
  process.env.SWITCHBOARD_BIN ??
  resolve(editor, "..", process.env.CARGO_TARGET_DIR ?? "target", "debug", "switchboard");
if (!existsSync(binary)) {
  console.error(`api-types: no switchboard binary at ${binary}; run \`cargo build -p switchboard\` or set SWITCHBOARD_BIN`);
  process.exit(1);
}

const document = JSON.parse(execFileSync(binary, ["openapi"], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }));
// A field with a default may be left out of a request, so it is optional, not required.
const ast = await openapiTS(document, { alphabetize: true, defaultNonNullable: false });
const header = `// The HTTP API's types, generated from the server's OpenAPI document (\`switchboard openapi\`)
// by openapi-typescript. Do not edit: run \`npm run api-types\` after changing an answer or
// request type in engine/server (CI fails when this file differs from the document).
// Pages use the names \`api.ts\` gives these types, not this file (long because generated).

`;
writeFileSync(out, header + astToString(ast));
console.log(`api-types: wrote ${out}`);
