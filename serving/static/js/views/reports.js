// Weekly reports of the selected portfolio: open or download the stored HTML.
import { get, session } from "../api.js";
import { empty, fmt, h, panel, reason, toast } from "../ui.js";
import { noPortfolio } from "./common.js";

export const title = "Reports";
export const reactsTo = (ev, ctx) => ev.data?.type === "report" && ev.data?.portfolio_id === ctx.portfolioId;

export async function render(ctx) {
  const id = ctx.portfolioId;
  if (!id) return h("div", { class: "grid" }, noPortfolio());
  let data;
  try { data = await get(`/portfolios/${id}/reports?limit=100`) } catch (err) { data = { items: [], error: err } }
  const open = async (r, download) => {
    // The report needs the bearer token: fetch it, then hand the browser a blob URL.
    const res = await fetch(`/api/v1/portfolios/${id}/reports/${r.id}`, { headers: { Authorization: `Bearer ${session.tokens?.access_token}` } });
    if (!res.ok) { toast("Could not open the report", `status ${res.status}`, "error"); return }
    const url = URL.createObjectURL(new Blob([await res.text()], { type: "text/html" }));
    const a = h("a", { href: url, target: "_blank", rel: "noopener", download: download ? `crypto-risk-report-${r.period_end}.html` : null });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  };
  return h("div", {}, h("h1", {}, `Reports · ${ctx.portfolio?.name ?? ""}`), h("div", { class: "grid" },
    panel("Weekly reports", { cls: "span-12", data },
      data.error ? reason(data.error.message) : data.items.length ? h("table", { id: "reports" }, h("thead", {}, h("tr", {}, h("th", {}, "Week"), h("th", {}, "Created"), h("th", {}, ""))),
        h("tbody", {}, data.items.map((r) => h("tr", {}, h("td", {}, `${r.period_start} → ${r.period_end}`), h("td", {}, fmt.time(r.created_at)),
          h("td", { class: "num" }, h("button", { type: "button", class: "ghost", onclick: () => open(r, false) }, "Open"), " ",
            h("button", { type: "button", class: "ghost", onclick: () => open(r, true) }, "Download"), r.has_pdf ? " PDF available" : null)))))
        : empty("No reports yet: one is built every Monday for the week before."))));
}
