// Studio entry point: the top bar, client-side routing and page lifecycle.
import { adoptTokenFromUrl, getToken, onTokenChange, setToken } from "./auth.js";
import { appPath, config, href } from "./config.js";
import { h, replace } from "./dom.js";
import { icon } from "./icons.js";
import { loading, notFound } from "./pages/page-states.js";
import { workflowListPage } from "./pages/workflow-list.js";
import { workflowPage } from "./pages/workflow-page.js";
import { toast } from "./toast.js";

const main = document.getElementById("main");
let current = null; // {key, page}
let renderToken = 0;

/** Parse an in-app path into a route. */
function route(path) {
  const clean = path.replace(/\/+$/, "") || "/";
  if (clean === "/" || clean === "/workflows") return { name: "list", key: "list" };
  const match = clean.match(/^\/workflows\/([^/]+)(?:\/runs\/([^/]+))?$/);
  if (match) {
    const workflowId = decodeURIComponent(match[1]);
    return {
      name: "workflow",
      key: `workflow:${workflowId}`,
      workflowId,
      runId: match[2] ? decodeURIComponent(match[2]) : null,
    };
  }
  return { name: "missing", key: `missing:${clean}` };
}

/**
 * Go to an in-app path. `replace` keeps history short; `silent` only updates the address bar
 * (the page already shows what the new URL names).
 */
export function navigate(path, { replace: replaceEntry = false, silent = false } = {}) {
  const target = href(path);
  if (target !== window.location.pathname + window.location.search) {
    if (replaceEntry || silent) window.history.replaceState({}, "", target);
    else window.history.pushState({}, "", target);
  }
  if (!silent) render();
}

async function render() {
  const target = route(appPath());
  if (current && current.key === target.key && current.page.update) {
    current.page.update(target);
    return;
  }
  const token = ++renderToken;
  current?.page.dispose?.();
  current = null;
  replace(main, loading().el);
  let page;
  if (target.name === "list") page = await workflowListPage({ navigate });
  else if (target.name === "workflow")
    page = await workflowPage({ workflowId: target.workflowId, runId: target.runId, navigate });
  else page = notFound("This page does not exist.");
  if (token !== renderToken) {
    page.dispose?.();
    return;
  }
  current = { key: target.key, page };
  replace(main, page.el);
  updateNav(target);
}

function updateNav(target) {
  const crumbs = document.getElementById("crumbs");
  replace(
    crumbs,
    h(
      "a",
      { href: href("/"), "data-link": "", "aria-current": target.name === "list" ? "page" : null },
      "Workflows",
    ),
    target.name === "workflow"
      ? [
          h("span", { class: "crumb-sep", "aria-hidden": "true" }, "/"),
          h("span", { "aria-current": "page", class: "crumb-current" }, target.workflowId),
        ]
      : null,
  );
}

function topbar() {
  const tokenButton = h(
    "button",
    {
      type: "button",
      class: "btn btn-ghost btn-sm",
      "data-testid": "forget-token",
      "aria-label": "Forget token",
      title: "Forget the API token stored in this browser",
    },
    icon("logout", { size: 14 }),
    h("span", { class: "btn-label" }, "Forget token"),
  );
  tokenButton.addEventListener("click", () => {
    setToken("");
    toast("Token removed from this browser");
  });
  const syncToken = () => {
    tokenButton.hidden = !getToken();
  };
  onTokenChange(syncToken);
  syncToken();
  return h(
    "header",
    { class: "topbar" },
    h(
      "a",
      { class: "brand", href: href("/"), "data-link": "" },
      h("img", { src: `${config.basePath}/studio-assets/favicon.svg`, alt: "", width: 22, height: 22 }),
      h("span", { class: "brand-name" }, "Treadle"),
      h("span", { class: "brand-tag" }, "Studio"),
    ),
    h("nav", { id: "crumbs", class: "crumbs", "aria-label": "Breadcrumb" }),
    h(
      "div",
      { class: "topbar-tools" },
      tokenButton,
      h(
        "a",
        {
          class: "btn btn-ghost btn-sm",
          href: `${config.basePath}/docs`,
          target: "_blank",
          rel: "noopener",
          "aria-label": "API docs (opens in a new tab)",
        },
        icon("book", { size: 14 }),
        h("span", { class: "btn-label" }, "API docs"),
      ),
    ),
  );
}

function boot() {
  adoptTokenFromUrl();
  const skip = document.querySelector(".skip-link");
  if (skip) skip.after(topbar());
  else document.body.prepend(topbar());
  document.addEventListener("click", (event) => {
    const link = event.target.closest?.("a[data-link]");
    if (
      !link ||
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    )
      return;
    event.preventDefault();
    const url = new URL(link.href);
    navigate(url.pathname.slice(config.basePath.length) || "/");
  });
  window.addEventListener("popstate", () => render());
  window.addEventListener("unhandledrejection", (event) => {
    if (event.reason?.message === "Authentication was canceled") {
      event.preventDefault();
      toast("Authentication canceled: the API refused the request", "error");
    }
  });
  render();
}

boot();
