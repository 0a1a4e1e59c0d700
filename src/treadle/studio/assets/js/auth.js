// API token: kept in localStorage, taken once from `?token=`, asked for when the API says 401.
import { openDialog } from "./dialogs.js";
import { h } from "./dom.js";

const STORAGE_KEY = "treadle.studio.token";
const listeners = new Set();
let pendingPrompt = null;

export function getToken() {
  try {
    return window.localStorage.getItem(STORAGE_KEY) || "";
  } catch {
    return "";
  }
}

export function setToken(token) {
  try {
    if (token) window.localStorage.setItem(STORAGE_KEY, token);
    else window.localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Private mode without storage: the token lives for this page only.
  }
  for (const listener of listeners) listener(token);
}

export function onTokenChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Move a `?token=` from the URL into storage and drop it from the address bar and history. */
export function adoptTokenFromUrl() {
  const url = new URL(window.location.href);
  const token = url.searchParams.get("token");
  if (token === null) return;
  setToken(token.trim());
  url.searchParams.delete("token");
  window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
}

/**
 * Ask the user for a token (one dialog however many requests are waiting). Resolves with the
 * new token, or rejects when the user dismisses the dialog.
 */
export function promptForToken() {
  if (pendingPrompt) return pendingPrompt;
  const hadToken = Boolean(getToken());
  const input = h("input", {
    type: "password",
    class: "input",
    id: "api-token",
    name: "token",
    autocomplete: "current-password",
    spellcheck: "false",
    placeholder: "API token",
    "data-testid": "token-input",
    autofocus: true,
  });
  const error = h("p", { class: "field-error", role: "alert" });
  const content = h(
    "div",
    { class: "stack" },
    h(
      "p",
      { class: "dialog-message" },
      hadToken
        ? "The server refused the stored token. Enter a valid one to continue."
        : "This server requires an API token (TREADLE_API_TOKEN). It is kept in this browser only.",
    ),
    h("label", { class: "field-label", for: "api-token" }, "Token"),
    input,
    error,
  );
  pendingPrompt = new Promise((resolve, reject) => {
    const { closed } = openDialog({
      title: "Authentication required",
      size: "sm",
      testId: "token-dialog",
      content,
      actions: [
        { label: "Cancel", variant: "ghost", value: undefined },
        {
          label: "Continue",
          variant: "primary",
          submit: true,
          testId: "token-submit",
          onClick: (close) => {
            const token = input.value.trim();
            if (!token) {
              error.textContent = "Enter a token.";
              input.focus();
              return;
            }
            close(token);
          },
        },
      ],
    });
    closed.then((token) => {
      pendingPrompt = null;
      if (token) {
        setToken(token);
        resolve(token);
      } else reject(new Error("Authentication was canceled"));
    });
  });
  return pendingPrompt;
}
