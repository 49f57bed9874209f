// Alerts: the list with acknowledge (toasts arrive through /ws, see app.js).
import { get, post } from "../api.js";
import { empty, errorText, fmt, h, panel, toast } from "../ui.js";

export const title = "Alerts";
export const reactsTo = (ev) => ev.channel === "alerts";

export async function render(ctx, [which = "open"]) {
  const query = which === "all" ? "" : `&acknowledged=${which === "acknowledged"}`;
  const data = await get(`/alerts?limit=100${query}`);
  const seg = h("div", { class: "seg", role: "group", "aria-label": "Show" }, ["open", "acknowledged", "all"].map((k) =>
    h("button", { type: "button", "aria-pressed": String(k === which), onclick: () => ctx.navigate(`#/alerts/${k}`) }, k)));
  const item = (a) => h("li", { "data-alert": a.id },
    h("span", { class: `badge ${a.severity}` }, a.severity), " ", h("strong", {}, a.title),
    h("div", { class: "meta" }, `${a.kind.replaceAll("_", " ")} · ${fmt.time(a.triggered_at)}${a.acknowledged_at ? ` · acknowledged ${fmt.time(a.acknowledged_at)}` : ""}`),
    h("p", {}, a.message),
    a.acknowledged_at ? null : h("button", { type: "button", class: "ghost", "aria-label": `Acknowledge ${a.title}`, onclick: async (e) => {
      const li = e.target.closest("li");
      li.classList.add("pending"); e.target.disabled = true;
      try {
        await post(`/alerts/${a.id}/ack`);
        if (which === "open") li.remove(); else { e.target.remove(); li.classList.remove("pending") }
        ctx.refreshAlertCount();
      } catch (err) { li.classList.remove("pending"); e.target.disabled = false; toast("Acknowledge refused", errorText(err), "error") }
    } }, "Acknowledge"));
  return h("div", {}, h("h1", {}, "Alerts"), h("div", { class: "grid" },
    panel("Alerts", { cls: "span-12", data, badges: [seg] },
      data.items.length ? h("ul", { class: "list", id: "alert-list" }, data.items.map(item)) : empty(which === "open" ? "No open alerts." : "No alerts."))));
}
