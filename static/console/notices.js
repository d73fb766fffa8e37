/* Vigie operator console: standing notices above the feed — devices that stopped answering
 * and escalations (a critical report left waiting, a duress PIN).
 *
 * A silent alert button is an alarm in itself: its notice stays until the device speaks
 * again. Offline devices are read through the REST API on every (re)connection, then
 * followed by `device.offline` / `device.online` events; escalations stay until dismissed or
 * until their report is no longer waiting.
 */
(function () {
  "use strict";

  const { t, el, formatTime } = window.Vigie;

  class Notices {
    constructor({ list, onSelect }) {
      this.list = list;
      this.onSelect = onSelect;
      this.devices = new Map(); // device id -> payload, offline ones only
      this.escalations = new Map(); // report id -> event data
    }

    /** The snapshot of silent devices, replacing whatever was held. */
    setOfflineDevices(devices) {
      this.devices = new Map(devices.map((device) => [device.id, device]));
      this.render();
    }

    deviceOffline(device) {
      this.devices.set(device.id, device);
      this.render();
    }

    deviceOnline(device) {
      this.devices.delete(device.id);
      this.render();
    }

    escalation(data) {
      if (!data.report || !data.report.id) return;
      this.escalations.set(data.report.id, data);
      this.render();
    }

    /** A report that is no longer new needs no escalation notice, unless it is a duress. */
    reportChanged(report) {
      const held = this.escalations.get(report.id);
      if (held && held.kind !== "duress" && report.status !== "new") {
        this.escalations.delete(report.id);
        this.render();
      }
    }

    render() {
      const items = [];
      for (const data of this.escalations.values()) {
        const dismiss = el("button", { type: "button", class: "dismiss", text: t("notice.dismiss") });
        dismiss.addEventListener("click", () => {
          this.escalations.delete(data.report.id);
          this.render();
        });
        const open = el("button", {
          type: "button",
          class: "link",
          text: t("notice.escalation." + (data.kind === "duress" ? "duress" : "overdue"), {
            ref: data.report.reference,
          }),
        });
        open.addEventListener("click", () => this.onSelect(data.report.id));
        items.push(
          el(
            "li",
            { class: "notice-item escalation", "data-report-id": data.report.id },
            open,
            dismiss,
          ),
        );
      }
      for (const device of this.devices.values()) {
        const since = device.last_heartbeat_at
          ? t("notice.device.since", { time: formatTime(device.last_heartbeat_at) })
          : t("notice.device.never");
        items.push(
          el(
            "li",
            { class: "notice-item device-offline", "data-device-id": device.id },
            el("strong", { text: t("notice.device.offline." + device.kind, { name: device.name }) }),
            " ",
            el("span", { class: "since", text: since }),
            device.sip_uri ? el("span", { class: "sip", text: " · " + device.sip_uri }) : null,
          ),
        );
      }
      this.list.replaceChildren(...items);
      this.list.hidden = items.length === 0;
    }
  }

  window.Vigie.Notices = Notices;
})();
