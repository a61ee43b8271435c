import { describe, expect, it } from "vitest";
import { placeholderOf, secretNameProblem } from "./secrets";

describe("secret names", () => {
  it("accepts the server's names and explains the others", () => {
    for (const ok of ["crm_key", "a", "k1", "a".repeat(64)]) expect(secretNameProblem(ok)).toBeNull();
    for (const bad of ["1key", "CRM", "crm-key", "_x", "a".repeat(65)]) expect(secretNameProblem(bad)).toMatch(/lowercase letter/);
    expect(secretNameProblem("")).toMatch(/name/);
  });

  it("gives the placeholder an HTTP step uses", () => {
    expect(placeholderOf("crm_key")).toBe("{{ secrets.crm_key }}");
  });
});
