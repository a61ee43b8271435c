// One-way layers: each folder under `src/` is a page (editor, console, channels, operations)
// except `shared/`. A page imports from its own folder, from `shared/` and from `api.ts` only,
// never from another page; `shared/` imports from itself and `api.ts` only. The shell at the
// root (`App.tsx`, `main.tsx`) may import any page. Imports are read with TypeScript's own
// pre-processor, so `import`, `export … from`, `import type` and `import()` all count.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = import.meta.dirname;
const SHARED = "shared";
/** Modules at the root of `src/` that every folder may import. */
const OPEN_TO_ALL = new Set(["api", "api.ts"]);

/** Every TypeScript file under `dir`, as paths relative to `src/` with `/` separators. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) ? [relative(SRC, path).split(sep).join("/")] : [];
  });
}

/** The folder under `src/` a path (relative to `src/`) lies in; `null` at the root. */
function folderOf(path: string): string | null {
  const parts = path.split("/");
  return parts.length > 1 ? parts[0] : null;
}

/**
 * Why `file` (relative to `src/`) may not import `specifier`, or null when it may. Packages
 * (anything not starting with `.`) are always allowed.
 */
export function layerProblem(file: string, specifier: string): string | null {
  if (!specifier.startsWith(".")) return null;
  const from = folderOf(file);
  if (from === null) return null; // the shell
  const target = relative(SRC, resolve(SRC, dirname(file), specifier)).split(sep).join("/");
  const to = folderOf(target);
  if (to === from || to === SHARED) return null;
  if (to === null && OPEN_TO_ALL.has(target)) return null;
  const allowed = from === SHARED ? "shared/ and api.ts" : `${from}/, shared/ and api.ts`;
  const what = to === null ? `the root module ${target}` : `the ${to === SHARED ? "shared" : "page"} folder ${to}/`;
  return `src/${file} imports "${specifier}" (${what}); ${from}/ may import only from ${allowed}`;
}

/** The relative imports of a file's text, with their line numbers. */
function importsOf(text: string): { specifier: string; line: number }[] {
  const { importedFiles } = ts.preProcessFile(text, true, true);
  return importedFiles.map((f) => ({
    specifier: f.fileName,
    line: text.slice(0, f.pos).split("\n").length,
  }));
}

describe("one-way layers", () => {
  it("no page imports another page, and shared/ imports no page", () => {
    const files = sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(40);
    const problems = files.flatMap((file) =>
      importsOf(readFileSync(join(SRC, file), "utf8")).flatMap(({ specifier, line }) => {
        const problem = layerProblem(file, specifier);
        return problem ? [`${problem} (line ${line})`] : [];
      }),
    );
    expect(problems, `imports across layers:\n${problems.join("\n")}\n`).toEqual([]);
  });

  it("names the file and the import that cross a layer", () => {
    expect(layerProblem("console/Console.tsx", "../editor/workflow")).toBe(
      'src/console/Console.tsx imports "../editor/workflow" (the page folder editor/); console/ may import only from console/, shared/ and api.ts',
    );
    expect(layerProblem("shared/ui.tsx", "../console/Console")).toMatch(/shared\/ may import only from shared\/ and api\.ts/);
    expect(layerProblem("editor/Editor.tsx", "../channels")).toMatch(/the root module channels/);
    expect(layerProblem("editor/Editor.tsx", "../api")).toBeNull();
    expect(layerProblem("editor/Editor.tsx", "../shared/live")).toBeNull();
    expect(layerProblem("editor/Editor.tsx", "./store")).toBeNull();
    expect(layerProblem("editor/Editor.tsx", "@xyflow/react")).toBeNull();
    expect(layerProblem("App.tsx", "./editor/Editor")).toBeNull();
  });

  it("reads every kind of import statement", () => {
    const text = [
      'import { a } from "./a";',
      'import type { B } from "../b";',
      'export { c } from "./c";',
      'const d = import("./d");',
      'import "./e.css";',
    ].join("\n");
    expect(importsOf(text)).toEqual([
      { specifier: "./a", line: 1 },
      { specifier: "../b", line: 2 },
      { specifier: "./c", line: 3 },
      { specifier: "./d", line: 4 },
      { specifier: "./e.css", line: 5 },
    ]);
  });
});
