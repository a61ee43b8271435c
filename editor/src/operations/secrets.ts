// Workspace secrets as the Secrets page handles them: the name rule (the server's, so a bad
// name is caught before the request) and the placeholder an HTTP step writes to use one.

const NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** Why `name` is not a valid secret name, or null when it is. */
export function secretNameProblem(name: string): string | null {
  if (name === "") return "give the secret a name";
  if (NAME.test(name)) return null;
  return "a lowercase letter, then up to 63 lowercase letters, digits or _";
}

/** What an HTTP step's url, header or body writes to use the secret. */
export function placeholderOf(name: string): string {
  return `{{ secrets.${name} }}`;
}
