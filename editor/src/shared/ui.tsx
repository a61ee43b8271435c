// Small pieces every page uses: the sign-out button, the error line, an API failure in
// words, and data loaded on mount.

import { useCallback, useEffect, useState } from "react";
import { ApiError } from "../api";

/** The "Sign out" button at the end of a page's header. */
export function SignOut({ onSignOut }: { onSignOut: () => void }) {
  return (
    <button className="quiet" onClick={onSignOut}>
      Sign out
    </button>
  );
}

/** A page's error line, with "dismiss" when the page lets it go. */
export function Alert({ error, onDismiss }: { error: string | null; onDismiss?: () => void }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {error}{" "}
      {onDismiss && (
        <button className="quiet" onClick={onDismiss}>
          dismiss
        </button>
      )}
    </p>
  );
}

/** What an API call's failure says, for an error line. */
export function errorText(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

/**
 * Data a page loads on mount and again on `reload()`, with the error line the page shows
 * (its setter too, for the page's own actions).
 */
export function useLoaded<T>(load: () => Promise<T>) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(() => {
    // `load` is a module-level API call: loaded once per mount and on `reload()`.
    load().then(setData, (e) => setError(errorText(e)));
  }, []);
  useEffect(reload, [reload]);
  return { data, error, setError, reload };
}
