// The forms' JSON Schema validator: react-jsonschema-form's `ValidatorType` over
// @cfworker/json-schema, which interprets schemas instead of compiling them to code. Ajv (RJSF's
// usual validator) compiles every schema with `new Function`, which only a Content-Security-Policy
// with 'unsafe-eval' allows; the editor's policy has none. Precompiling at build time is not an
// option: the step forms' schemas come from the server at run time (`/api/kinds`, `/api/schema`)
// and each shortcut's form is written in its workflow.
//
// What the forms use it for: picking the `oneOf`/`anyOf` option that matches the data (the
// trigger's type, a template's shape), `if`/`then` and defaults (`isValid`), and the errors
// shown when a shortcut form is submitted (`validateFormData`). The server stays the judge of
// workflow files: its located diagnostics are what the editor lists as problems.
//
// @rjsf/validator-ajv8 stays in package.json only because @rjsf/core's entry module imports it
// for a test helper (`getTestRegistry`) that the editor never calls; the build leaves it (and
// Ajv) out of the bundle.

import { dereference, validate, type OutputUnit, type Schema } from "@cfworker/json-schema";
import {
  createErrorHandler,
  getByPath,
  getDefaultFormState,
  getUiOptions,
  toErrorSchema,
  unwrapErrorHandler,
  validationDataMerge,
  type CustomValidator,
  type ErrorTransformer,
  type RJSFSchema,
  type RJSFValidationError,
  type UiSchema,
  type ValidationData,
  type ValidatorType,
} from "@rjsf/utils";

/** The server's schemas (schemars) are JSON Schema 2020-12. */
const DRAFT = "2020-12";

type Lookup = Record<string, Schema | boolean>;

/** Each root schema's subschemas by URI, built once per root. */
const lookups = new WeakMap<object, Lookup>();

/**
 * Every subschema of `root` by URI, for `$ref`s, and also by its bare fragment
 * (`#/$defs/Template`). The lookup is built from a copy: the validator marks the schemas it
 * indexes with resolved URIs, and the forms' schemas must stay unmarked, so that a `$ref` in
 * whatever RJSF hands over (the root's own subschemas, or copies it has rewritten) is looked up
 * by the fragment as written, against this root.
 */
function lookupFor(root: RJSFSchema): Lookup {
  let lookup = lookups.get(root);
  if (!lookup) {
    lookup = dereference(JSON.parse(JSON.stringify(root)) as Schema) as Lookup;
    for (const [uri, schema] of Object.entries(lookup)) {
      const hash = uri.indexOf("#");
      const fragment = hash >= 0 ? uri.slice(hash) : "#";
      if (!(fragment in lookup)) lookup[fragment] = schema;
    }
    lookups.set(root, lookup);
  }
  return lookup;
}

/**
 * The data as JSON would carry it: forms leave `undefined` in fields nobody filled, which JSON
 * Schema has no word for (and the validator refuses). Such fields are absent; an absent
 * whole counts as `null`.
 */
function asJson(data: unknown): unknown {
  if (data === undefined) return null;
  return JSON.parse(JSON.stringify(data)) as unknown;
}

/** Keywords whose error only says that something inside failed; the inner errors say what. */
const WRAPPERS = new Set([
  "$ref",
  "$recursiveRef",
  "properties",
  "patternProperties",
  "additionalProperties",
  "unevaluatedProperties",
  "items",
  "prefixItems",
  "additionalItems",
  "unevaluatedItems",
  "allOf",
  "if",
  "dependentSchemas",
  "propertyNames",
]);

/** `#/a/b~1c` → `["a", "b/c"]`. */
function pointerSegments(location: string): string[] {
  return location
    .replace(/^#\/?/, "")
    .split("/")
    .filter((s) => s !== "")
    .map((s) => decodeURIComponent(s).replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** The title a form shows for the field at `path`: the UI schema's, else the schema's. */
function titleAt(path: string[], schema: RJSFSchema, lookup: Lookup, uiSchema?: UiSchema): string | undefined {
  const fromUi = getUiOptions(getByPath(uiSchema, path) as UiSchema | undefined).title;
  if (fromUi) return fromUi;
  let at: Schema | boolean | undefined = schema as Schema;
  for (const key of path) {
    if (at && typeof at === "object" && at.$ref) at = lookup[at.$ref] ?? at;
    if (!at || typeof at !== "object") return undefined;
    at = (at.properties?.[key] ?? (Array.isArray(at.items) ? at.items[Number(key)] : at.items)) as Schema | undefined;
  }
  if (at && typeof at === "object" && at.$ref) at = lookup[at.$ref] ?? at;
  return at && typeof at === "object" && typeof at.title === "string" ? at.title : undefined;
}

/** A sentence for one failed keyword, worded for a person filling in a form. */
function sentence(unit: OutputUnit): string {
  const numbers = unit.error.match(/-?\d+(\.\d+)?/g) ?? [];
  switch (unit.keyword) {
    case "required":
      return "is required";
    case "minLength":
      return numbers[1] === "1" ? "must not be empty" : `must have at least ${numbers[1]} characters`;
    case "maxLength":
      return `must have at most ${numbers[1]} characters`;
    case "type": {
      const expected = unit.error.match(/Expected "(.*)"\./)?.[1]?.split('", "') ?? [];
      return `must be ${expected.map((t) => (t === "integer" ? "a whole number" : t === "object" || t === "array" ? `an ${t}` : `a ${t}`)).join(" or ")}`;
    }
    case "enum":
      return "must be one of the listed values";
    case "const":
      return `must be ${unit.error.replace(/^Instance does not match /, "").replace(/\.$/, "")}`;
    case "minimum":
    case "exclusiveMinimum":
    case "maximum":
    case "exclusiveMaximum":
      return unit.error.replace(/^\S+ is /, "must not be ").replace(/\.$/, "");
    case "pattern":
      return "is not in the expected form";
    case "format":
      return `must be a valid ${unit.error.match(/format "(.*)"/)?.[1] ?? "value"}`;
    case "anyOf":
    case "oneOf":
      return "must match one of the allowed forms";
    case "false":
      return "is not allowed";
    default:
      return unit.error;
  }
}

/**
 * The validator's output as RJSF errors: one per failed keyword that says what is wrong (the
 * wrappers that only pass an inner failure on are left out), placed on the field it concerns
 * (`.reason`; a missing required field on that field, not its parent). The branches of a
 * failed `anyOf`/`oneOf` contradict each other ("must be a string", "must be an object"), so
 * the choice speaks once for them.
 */
export function toRjsfErrors(
  units: OutputUnit[],
  schema: RJSFSchema,
  uiSchema?: UiSchema,
): RJSFValidationError[] {
  const lookup = lookupFor(schema);
  const choices = units.filter((u) => u.keyword === "anyOf" || u.keyword === "oneOf");
  const inside = (u: OutputUnit) =>
    choices.some((c) => c !== u && u.keywordLocation.startsWith(`${c.keywordLocation}/`));
  return units
    .filter((u) => !WRAPPERS.has(u.keyword) && !inside(u))
    .map((unit) => {
      const path = pointerSegments(unit.instanceLocation);
      if (unit.keyword === "required") {
        const missing = unit.error.match(/required property "(.*)"\.$/)?.[1];
        if (missing !== undefined) path.push(missing);
      }
      const message = sentence(unit);
      const title = titleAt(path, schema, lookup, uiSchema) ?? path[path.length - 1];
      return {
        name: unit.keyword,
        property: path.map((p) => `.${p}`).join(""),
        message,
        params: {},
        stack: title ? `'${title}' ${message}` : message,
        schemaPath: unit.keywordLocation,
        title: title ?? "",
      };
    });
}

/** react-jsonschema-form's validator, without `eval`. */
export class InterpretingValidator<T = unknown> implements ValidatorType<T, RJSFSchema> {
  rawValidation<Result = OutputUnit>(schema: RJSFSchema, formData?: T): { errors?: Result[]; validationError?: Error } {
    try {
      const result = validate(asJson(formData), schema as Schema, DRAFT, lookupFor(schema), false);
      return { errors: result.valid ? undefined : (result.errors as Result[]) };
    } catch (e) {
      return { validationError: e instanceof Error ? e : new Error(String(e)) };
    }
  }

  validateFormData(
    formData: T | undefined,
    schema: RJSFSchema,
    customValidate?: CustomValidator<T, RJSFSchema>,
    transformErrors?: ErrorTransformer<T, RJSFSchema>,
    uiSchema?: UiSchema<T, RJSFSchema>,
  ): ValidationData<T> {
    const { errors: units, validationError } = this.rawValidation<OutputUnit>(schema, formData);
    let errors = toRjsfErrors(units ?? [], schema, uiSchema as UiSchema);
    if (validationError) errors = [...errors, { stack: validationError.message }];
    if (typeof transformErrors === "function") errors = transformErrors(errors, uiSchema);
    let errorSchema = toErrorSchema<T>(errors);
    if (validationError) {
      errorSchema = { ...errorSchema, $schema: { __errors: [validationError.message] } } as typeof errorSchema;
    }
    if (typeof customValidate !== "function") return { errors, errorSchema };
    // Custom validation sees every field, filled in or not (as with RJSF's own validators).
    const full = getDefaultFormState<T, RJSFSchema>(this, schema, formData, schema, true) as T;
    const handler = customValidate(full, createErrorHandler<T>(full), uiSchema, errorSchema);
    return validationDataMerge<T>({ errors, errorSchema }, unwrapErrorHandler<T>(handler));
  }

  isValid(schema: RJSFSchema, formData: T | undefined, rootSchema: RJSFSchema): boolean {
    try {
      return validate(asJson(formData), schema as Schema, DRAFT, lookupFor(rootSchema), true).valid;
    } catch (e) {
      // A schema the validator cannot use matches nothing (as with RJSF's Ajv validator).
      console.warn("the form's schema could not be used for validation:", e);
      return false;
    }
  }
}

/** The one instance the forms share (it keeps nothing per form but cached lookups). */
export const validator = new InterpretingValidator();
