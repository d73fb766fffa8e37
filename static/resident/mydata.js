/* Vigie resident web app: "My data" — a copy of everything Vigie holds about the member
 * (GET /api/v1/me/export/, saved as a JSON file) and erasing their account
 * (DELETE /api/v1/me/ with the current password).
 *
 * Uses app.js's API client and session (window.VigieApp), so an ended token signs out the
 * same way everywhere. Loaded after app.js.
 */
(function () {
  "use strict";

  const app = window.VigieApp; // static/resident/app.js
  const config = JSON.parse(document.getElementById("vigie-config").textContent);
  const api = config.api || {};
  const EXPORT = api.export || "/api/v1/me/export/";
  const ME = api.me || "/api/v1/me/";
  const $ = (id) => document.getElementById(id);
  const t = app.t;

  function show(element, text) {
    element.textContent = text || "";
    element.hidden = !text;
  }

  /** The server's name for the file (`vigie-<username>-<date>.json`), else one like it. */
  function filenameOf(headers) {
    const disposition = headers.get("Content-Disposition") || "";
    const match = /filename="([^"]+)"/.exec(disposition);
    if (match) return match[1];
    const session = app.session() || {};
    return "vigie-" + (session.username || "member") + ".json";
  }

  function save(data, filename) {
    const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = filename;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    // Long enough for the browser to have started the download.
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  async function onExport() {
    const button = $("export");
    const status = $("export-status");
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    status.textContent = t("data.export.busy");
    try {
      const { data, headers } = await app.api(EXPORT, { withHeaders: true, timeoutMs: 120000 });
      const filename = filenameOf(headers);
      save(data, filename);
      status.textContent = t("data.export.done", { file: filename });
    } catch (error) {
      if (error.status !== 401) status.textContent = app.errorText(error);
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }

  async function onErase(event) {
    event.preventDefault();
    const error = $("erase-error");
    const password = $("erase-password");
    const confirm = $("erase-confirm");
    show(error, "");
    password.removeAttribute("aria-invalid");
    confirm.removeAttribute("aria-invalid");
    if (!password.value) {
      show(error, t("data.erase.missing"));
      password.setAttribute("aria-invalid", "true");
      password.focus();
      return;
    }
    if (!confirm.checked) {
      show(error, t("data.erase.unconfirmed"));
      confirm.setAttribute("aria-invalid", "true");
      confirm.focus();
      return;
    }
    const button = $("erase");
    button.disabled = true;
    button.textContent = t("data.erase.busy");
    try {
      await app.api(ME, {
        method: "DELETE",
        body: JSON.stringify({ password: password.value }),
        headers: { "Content-Type": "application/json" },
      });
      reset();
      // The token went with the account: back to the sign-in page (the draft forgotten too),
      // saying what happened.
      app.signOut();
      show($("signin-error"), t("data.erased"));
    } catch (failure) {
      if (failure.status === 401) return; // signed out already, by app.js
      show(error, app.errorText(failure));
      if (failure.code === "wrong_password") {
        password.setAttribute("aria-invalid", "true");
        password.select();
      }
    } finally {
      button.disabled = false;
      button.textContent = t("data.erase.button");
    }
  }

  function reset() {
    $("erase-form").reset();
    show($("erase-error"), "");
    $("export-status").textContent = "";
    for (const id of ["erase-password", "erase-confirm"]) $(id).removeAttribute("aria-invalid");
  }

  $("export").addEventListener("click", onExport);
  $("erase-form").addEventListener("submit", onErase);
  app.onShow("data-view", reset);
})();
