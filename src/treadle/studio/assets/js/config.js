// Server-injected settings (index.html meta tags) with safe fallbacks for local files.

function meta(name, fallback) {
  const value = document.querySelector(`meta[name="${name}"]`)?.getAttribute("content");
  return value && !value.startsWith("%%") ? value : fallback;
}

export const config = Object.freeze({
  apiPrefix: meta("treadle-api-prefix", "/api").replace(/\/+$/, ""),
  basePath: meta("treadle-base-path", "").replace(/\/+$/, ""),
});

/** The in-app path of the current location (without the base path). */
export function appPath() {
  const path = window.location.pathname;
  return config.basePath && path.startsWith(config.basePath)
    ? path.slice(config.basePath.length) || "/"
    : path;
}

/** An absolute href for an in-app path. */
export function href(path) {
  return `${config.basePath}${path}`;
}
