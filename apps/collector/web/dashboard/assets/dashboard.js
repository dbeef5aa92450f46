// The dashboard's only script, and an optional one: every page reads and every action works
// without it (an action then asks on a confirmation page). With it, actions ask in a dialog,
// and pages with live figures can refresh themselves.
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
  if (!globalThis.confirm(form.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  if (!form.querySelector('input[name="confirmed"]')) {
    const confirmed = document.createElement("input");
    confirmed.type = "hidden";
    confirmed.name = "confirmed";
    confirmed.value = "1";
    form.append(confirmed);
  }
});

const REFRESH_MS = 5000;
const KEY = "bfjobs.autoRefresh";

function startAutoRefresh(toggle) {
  toggle.checked = localStorage.getItem(KEY) === "1";
  toggle.addEventListener("change", () => {
    localStorage.setItem(KEY, toggle.checked ? "1" : "0");
  });
  setInterval(async () => {
    // Leave the page alone while someone reads a detail or types in a form.
    if (!toggle.checked || document.hidden) return;
    if (document.querySelector("main details[open], main :focus")) return;
    try {
      const response = await fetch(location.href, {
        headers: { accept: "text/html" },
        credentials: "same-origin",
      });
      if (!response.ok || response.redirected) return;
      const page = new DOMParser().parseFromString(
        await response.text(),
        "text/html",
      );
      const fresh = page.querySelector("main#main");
      const current = document.querySelector("main#main");
      if (fresh && current) current.replaceWith(fresh);
    } catch {
      // The worker may be restarting; the next tick tries again.
    }
  }, REFRESH_MS);
}

const toggle = document.getElementById("auto-refresh");
if (toggle instanceof HTMLInputElement) startAutoRefresh(toggle);
